#!/usr/bin/env bash
# make bench: Account::find() from PHP against phpredis GET of the same entity (JSON) from
# redis-server, both over Unix sockets, in the same run. Prints medians, p99 and ratios,
# first with the processes free to run on any vCPU, then all pinned to one.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
: "${RESIDENTD:?}" "${EXTENSION:?}"
work=$(mktemp -d /tmp/resident-bench.XXXXXX)
cleanup() {
    [ -n "${resident_pid:-}" ] && kill -TERM "$resident_pid" 2>/dev/null && wait "$resident_pid" 2>/dev/null
    [ -n "${redis_pid:-}" ] && kill -TERM "$redis_pid" 2>/dev/null && wait "$redis_pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

run_pair() { # $1: prefix command for every process (e.g. "taskset -c 0"), $2: label
    local pin=$1 label=$2
    $pin redis-server --port 0 --unixsocket "$work/redis.sock" --save '' --appendonly no \
        --dir "$work" --logfile "$work/redis.log" &
    redis_pid=$!
    $pin "$RESIDENTD" --socket "$work/resident.sock" --data "$work/data-$label" 2>>"$work/residentd.log" &
    resident_pid=$!
    for _ in $(seq 200); do [ -S "$work/redis.sock" ] && [ -S "$work/resident.sock" ] && break; sleep 0.05; done
    RESIDENT_SOCKET="$work/resident.sock" REDIS_SOCKET="$work/redis.sock" BENCH_LABEL="$label" \
        $pin php -d extension="$EXTENSION" "$here/find_vs_redis.php"
    kill -TERM "$resident_pid" "$redis_pid"; wait "$resident_pid" "$redis_pid" 2>/dev/null || true
    resident_pid= redis_pid=
}

run_pair "" "unpinned"
run_pair "taskset -c 0" "pinned to vCPU 0"
