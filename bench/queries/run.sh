#!/usr/bin/env bash
# make bench, queries: starts residentd and a throw-away PostgreSQL on Unix sockets in a
# work directory, then runs queries.php against them and a SQLite file beside them.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
: "${RESIDENTD:?}" "${EXTENSION:?}"
source "$here/../lib/servers.sh"
work=$(mktemp -d /tmp/resident-bench-queries.XXXXXX)
chmod 755 "$work"
trap 'residentd_stop; postgres_stop; rm -rf "$work"' EXIT

residentd_start "$work"
postgres_start "$work"
echo "Queries from PHP: Resident against PostgreSQL 15 and SQLite through PDO and Eloquent" | tee "$work/printed.txt"
RESIDENT_SOCKET="$work/resident.sock" BENCH_WORK="$work" RESIDENTD_PID="$RESIDENTD_PID" \
    php -d memory_limit=4G -d extension="$EXTENSION" "$here/queries.php" | tee -a "$work/printed.txt"
# What was printed goes into bench/REPORT.md (bench/report/build.sh), once the run succeeded.
mkdir -p "$here/../results" && cp "$work/printed.txt" "$here/../results/queries.txt"
