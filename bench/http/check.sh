#!/usr/bin/env bash
# make bench-http-check: the functional smoke test of the three variants of the bench/http
# bank, each behind real nginx and PHP-FPM, on a throw-away residentd and PostgreSQL. Every
# variant is seeded with the same accounts, runs the same script of requests
# (tools/smoke.php checks each answer against a model) and must end with exactly the same
# balances as the others. Nothing is measured.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
: "${RESIDENTD:?}" "${EXTENSION:?}"
source "$here/../lib/servers.sh"
source "$here/lib/stack.sh"
source "$here/lib/variants.sh"
stack_check

servers_up http-check

echo "bench/http smoke test: the same script against each variant, on 127.0.0.1:$port"
for variant in "${VARIANTS[@]}"; do
    echo "$(variant_label "$variant"):"
    seed_variant "$variant" 2>&1
    stack_start "$work" "$variant" "$port"
    if ! php "$here/tools/smoke.php" "$port" 2>&1 >"$work/smoke-$variant.txt"; then
        stack_logs "$work" "$variant" >&2
        exit 1
    fi
    stack_stop
done
for variant in "${VARIANTS[@]:1}"; do
    if ! diff -u "$work/smoke-resident.txt" "$work/smoke-$variant.txt" >&2; then
        echo "FAIL: $(variant_label "$variant") ends with other balances than Resident" >&2
        exit 1
    fi
done
echo "ok: all ${#VARIANTS[@]} variants hold identical balances after the script ($(wc -l <"$work/smoke-resident.txt") balances compared)"
