#!/usr/bin/env bash
# make bench, find: Account::find() from PHP against phpredis GET of the same entity (JSON)
# from redis-server, both over Unix sockets, in the same run. Prints medians, p99 and the
# ratio, first with the processes free to run on any vCPU, then all pinned to one.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
: "${RESIDENTD:?}" "${EXTENSION:?}"
source "$here/../lib/servers.sh"
work=$(mktemp -d /tmp/resident-bench-find.XXXXXX)
redis_stop() {
    [ -n "${REDIS_PID:-}" ] && kill -TERM "$REDIS_PID" 2>/dev/null && wait "$REDIS_PID" 2>/dev/null
    REDIS_PID=
}
trap 'residentd_stop; redis_stop; rm -rf "$work"' EXIT

run_pair() { # $1: label, $2…: prefix for every process (e.g. taskset -c 0)
    local label=$1; shift
    rm -rf "$work/resident-data"
    "$@" redis-server --port 0 --unixsocket "$work/redis.sock" --save '' --appendonly no \
        --dir "$work" --logfile "$work/redis.log" &
    REDIS_PID=$!
    PIN="$*" residentd_start "$work"
    wait_for_socket "$work/redis.sock" "$work/redis.log"
    RESIDENT_SOCKET="$work/resident.sock" REDIS_SOCKET="$work/redis.sock" BENCH_LABEL="$label" \
        "$@" php -d extension="$EXTENSION" "$here/find_vs_redis.php" | tee -a "$work/printed.txt"
    residentd_stop
    redis_stop
}

echo "Account::find() against phpredis GET + json_decode" | tee "$work/printed.txt"
run_pair "unpinned"
run_pair "pinned to vCPU 0" taskset -c 0
# What was printed goes into bench/REPORT.md (bench/report/build.sh), once the run succeeded.
mkdir -p "$here/../results" && cp "$work/printed.txt" "$here/../results/find.txt"
