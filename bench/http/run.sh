#!/usr/bin/env bash
# make bench-http: the same bank (bench/http/app) three ways — Resident; Eloquent on
# PostgreSQL; stored_events + projection on PostgreSQL — each behind real nginx and
# PHP-FPM on 127.0.0.1, driven by wrk with three mixes: read-only, write-only, 90 % reads.
# Prints requests/s and p50/p99 latency with the ratio to Resident, and writes
# bench/results/http.{md,*.tsv} for bench/report/build.sh.
#
# Every write is durable in every variant: residentd --fsync always; PostgreSQL fsync = on,
# synchronous_commit = on. Each variant is smoke-tested (tools/smoke.php) before and after
# its runs, and a run with any failed request (status >= 400, socket error, timeout)
# stops the benchmark: a broken variant is never measured.
#
# BENCH_HTTP_SECONDS (10) measured per case, after BENCH_HTTP_WARMUP (2) of the same load;
# BENCH_HTTP_CONNECTIONS (8) and BENCH_HTTP_THREADS (2) for wrk; BENCH_HTTP_ROUNDS (1) times
# every case is measured (the report gives the median); BENCH_HTTP_WORKERS (4)
# PHP-FPM workers; BENCH_HTTP_ACCOUNTS (10000); BENCH_HTTP_PG_SETUP (tuned, or
# laravel-default: see app/Postgres/Database.php);
# BENCH_TMPDIR (/var/tmp: on disk, where fsync costs what it costs); BENCH_HTTP_KEEP=1
# keeps the work directory.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
: "${RESIDENTD:?}" "${EXTENSION:?}"
seconds=${BENCH_HTTP_SECONDS:-10}
warmup=${BENCH_HTTP_WARMUP:-2}
connections=${BENCH_HTTP_CONNECTIONS:-8}
threads=${BENCH_HTTP_THREADS:-2}
rounds=${BENCH_HTTP_ROUNDS:-1}
in_range() { [[ $2 =~ ^[0-9]+$ ]] && [ "$2" -ge "$3" ] && [ "$2" -le "$4" ] || { echo "$1 must be from $3 to $4" >&2; exit 2; }; }
in_range BENCH_HTTP_SECONDS "$seconds" 1 600
in_range BENCH_HTTP_WARMUP "$warmup" 0 600
in_range BENCH_HTTP_CONNECTIONS "$connections" 1 1000
in_range BENCH_HTTP_THREADS "$threads" 1 "$connections"
in_range BENCH_HTTP_ROUNDS "$rounds" 1 20
source "$root/bench/lib/servers.sh"
source "$here/lib/stack.sh"
source "$here/lib/variants.sh"
stack_check
command -v wrk >/dev/null || { echo "wrk is missing (make bench-http-deps installs it)" >&2; exit 1; }
command -v cgi-fcgi >/dev/null || { echo "cgi-fcgi is missing (libfcgi-bin; make deps installs it)" >&2; exit 1; }

servers_up http
accounts=$(php "$here/tools/accounts.php")
pages=$(((accounts + 49) / 50))
php "$here/tools/ids.php" >"$work/ids.txt"
fs=$(df --output=fstype "$work" | tail -n 1)
runs=$work/runs.tsv
: >"$runs"

# Other work on the machine shares its vCPUs with the stack: say so, in the report too.
# (The load average lags by minutes; one second of /proc/stat tells what happens now.)
cpu_busy() {
    local a b
    a=$(head -n 1 /proc/stat); sleep 1; b=$(head -n 1 /proc/stat)
    awk -v a="$a" -v b="$b" 'BEGIN {
        n = split(a, x, " "); split(b, y, " ")
        for (i = 2; i <= n; i++) { total += y[i] - x[i] }
        idle = (y[5] - x[5]) + (y[6] - x[6])
        printf "%.0f", (total > 0 ? 100 * (total - idle) / total : 0) }'
}
busy_before=$(cpu_busy)
if [ "$busy_before" -gt 20 ]; then
    echo "WARNING: the CPUs are ${busy_before} % busy before the run: other work will disturb the figures."
fi
echo "The bank over HTTP: nginx + PHP-FPM ($HTTP_WORKERS workers, opcache) on 127.0.0.1:$port,"
echo "$accounts accounts; wrk -t$threads -c$connections, ${seconds} s per case after ${warmup} s warm-up;"
echo "data of residentd and PostgreSQL in $work ($fs), every write fsynced."
[ "$fs" = tmpfs ] && echo "WARNING: $work is a tmpfs, where fsync costs nothing; set BENCH_TMPDIR to a disk."

# wrk_run VARIANT MIX SECONDS: one wrk run; prints its RESULT fields; fails on any error.
wrk_run() {
    local variant=$1 mix=$2 duration=$3 read_percent out
    case $mix in read) read_percent=100 ;; write) read_percent=0 ;; mixed) read_percent=90 ;; esac
    out=$(wrk -t"$threads" -c"$connections" -d"${duration}s" --timeout 5s -s "$here/wrk/mix.lua" \
        "http://127.0.0.1:$port" -- "$work/ids.txt" "$read_percent" "$pages" 2>&1) || {
        echo "wrk failed: $out" >&2
        return 1
    }
    local fields
    fields=$(awk '$1 == "RESULT" { print $2, $3, $4, $5, $6, $7, $8, $9, $10 }' <<<"$out")
    read -r requests duration_us e_connect e_read e_write e_status e_timeout p50_us p99_us <<<"$fields" || true
    if [ -z "${p99_us:-}" ] || [ "$requests" -eq 0 ]; then
        echo "wrk gave no result for $variant/$mix: $out" >&2
        return 1
    fi
    local errors=$((e_connect + e_read + e_write + e_status + e_timeout))
    if [ "$errors" -ne 0 ]; then
        echo "FAIL: $(variant_label "$variant"), $mix mix: $errors of $requests requests failed" \
            "(status >= 400: $e_status, connect $e_connect, read $e_read, write $e_write, timeout $e_timeout)." >&2
        echo "A variant that fails requests is not measured. Its logs:" >&2
        stack_logs "$work" "$variant" >&2
        return 1
    fi
    echo "$requests $duration_us $p50_us $p99_us"
}

smoke() { # VARIANT WHEN
    php "$here/tools/smoke.php" "$port" 2>&1 >/dev/null | sed "s/smoke test passed/smoke test $2 passed/" || {
        stack_logs "$work" "$1" >&2
        return 1
    }
}

# measure VARIANT MIX ROUND: one case, on a stack started for it (the stores keep their
# data between cases). It starts from the same place every time: dirty pages written out,
# PostgreSQL's checkpoint done, then a warm-up with the same load fills every cache.
measure() {
    local variant=$1 mix=$2 round=$3 requests duration_us p50_us p99_us
    stack_start "$work" "$variant" "$port"
    sync
    if [ "$variant" != resident ]; then
        /usr/lib/postgresql/15/bin/psql -h "$work" -U postgres -d "bank_${variant//-/_}" -qAt -c CHECKPOINT >/dev/null
    fi
    [ "$warmup" -eq 0 ] || wrk_run "$variant" "$mix" "$warmup" >/dev/null
    read -r requests duration_us p50_us p99_us < <(wrk_run "$variant" "$mix" "$seconds" || echo FAIL)
    [ "$requests" != FAIL ] || exit 1
    stack_stop
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$variant" "$mix" "$round" "$requests" "$duration_us" "$p50_us" "$p99_us" >>"$runs"
    awk -v v="$(variant_label "$variant")" -v r="$requests" -v d="$duration_us" -v p50="$p50_us" -v p99="$p99_us" 'BEGIN {
        printf "  %-27s %7.0f req/s  p50 %6.2f ms  p99 %6.2f ms  (%d requests)\n", v, r / (d / 1e6), p50 / 1000, p99 / 1000, r }'
}

echo
echo "Seeding, and the smoke test before the load:"
for variant in "${VARIANTS[@]}"; do
    echo "$(variant_label "$variant")"
    seed_variant "$variant" 2>&1
    stack_start "$work" "$variant" "$port"
    smoke "$variant" "before the load"
    stack_stop
done

# Mix by mix, the variants one after the other: a disturbance from outside then hits the
# variants of a mix alike, instead of all the cases of one variant.
for round in $(seq "$rounds"); do
    for mix in read write mixed; do
        echo
        echo "$mix mix$([ "$rounds" -eq 1 ] || echo ", round $round of $rounds"):"
        for variant in "${VARIANTS[@]}"; do
            measure "$variant" "$mix" "$round"
        done
    done
done

echo
echo "The smoke test after the load, and what PHP-FPM ran with:"
for variant in "${VARIANTS[@]}"; do
    echo "$(variant_label "$variant")"
    stack_start "$work" "$variant" "$port"
    smoke "$variant" "after the load"
    opcache=$(SCRIPT_FILENAME="$here/tools/opcache-status.php" REQUEST_METHOD=GET \
        cgi-fcgi -bind -connect "$work/web-$variant/fpm.sock" | tr -d '\r' | grep '^opcache' || true)
    echo "  ${opcache:-no answer from the opcache probe}"
    [[ $opcache == "opcache on"* ]] || { echo "FAIL: opcache is not on in PHP-FPM" >&2; exit 1; }
    [ "$variant" != stored-events ] || php "$here/tools/verify-stored-events.php"
    stack_stop
done

echo
BENCH_HTTP_PG_SETUP=${BENCH_HTTP_PG_SETUP:-tuned} BENCH_HTTP_FS=$fs BENCH_HTTP_ACCOUNTS_SEEDED=$accounts BENCH_HTTP_BUSY_BEFORE=$busy_before BENCH_HTTP_CONNECTIONS=$connections BENCH_HTTP_THREADS=$threads \
    BENCH_HTTP_SECONDS=$seconds BENCH_HTTP_WARMUP=$warmup BENCH_HTTP_ROUNDS=$rounds BENCH_HTTP_WORKERS=$HTTP_WORKERS \
    php "$here/tools/report.php" "$runs" "$root/bench/results"
