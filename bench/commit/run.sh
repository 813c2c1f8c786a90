#!/usr/bin/env bash
# make bench, commit: durable commit throughput and p50/p99 latency of residentd (fsync
# before every answer) against redis-server with appendfsync always (RPUSH per event),
# both writing to the same disk in the same run, with 1, 8 and 64 clients that each
# commit one event at a time. It also times append + fdatasync on that disk: a store that
# fsyncs once per commit cannot beat 1 / that, so the last columns show what sharing
# fsyncs (group commit) buys. Figures only; nothing is asserted.
#
# BENCH_SECONDS (5) measured per case after BENCH_WARMUP (1); BENCH_CLIENTS ("1 8 64");
# BENCH_TMPDIR (/var/tmp, not /tmp: /tmp is a tmpfs on some systems, where fsync is free).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=${CARGO_TARGET_DIR:-$root/target}/release
seconds=${BENCH_SECONDS:-5}
warmup=${BENCH_WARMUP:-1}
clients_list=${BENCH_CLIENTS:-1 8 64}

# make build does not build the load generator; cargo does nothing when it is current.
if [ -z "${RESIDENTD:-}" ]; then
    (cd "$root" && cargo build --release --quiet -p resident-server -p resident-bench)
    RESIDENTD=$bin/residentd
else
    (cd "$root" && cargo build --release --quiet -p resident-bench)
fi
source "$here/../lib/servers.sh"

# One directory holds residentd's log, Redis's AOF and the probe file: one disk for all.
work=$(mktemp -d "${BENCH_TMPDIR:-/var/tmp}/resident-bench-commit.XXXXXX")
redis_stop() {
    [ -n "${REDIS_PID:-}" ] && kill -TERM "$REDIS_PID" 2>/dev/null && wait "$REDIS_PID" 2>/dev/null
    REDIS_PID=
}
trap 'set +e; residentd_stop; redis_stop; rm -rf "$work"' EXIT

# No AOF rewrite (a fork that rewrites the file) in the middle of a case: both only append.
redis-server --port 0 --unixsocket "$work/redis.sock" --dir "$work" --logfile "$work/redis.log" \
    --save '' --appendonly yes --appendfsync always --auto-aof-rewrite-percentage 0 &
REDIS_PID=$!
residentd_start "$work"
wait_for_socket "$work/redis.sock" "$work/redis.log"

fs=$(df --output=fstype "$work" | tail -n 1)
# 1000 appends (a fraction of a second): a median that a burst of disk noise barely moves.
read -r probe_p50 probe_p99 ceiling < <("$bin/fsync-probe" --dir "$work" --count 1000 --tsv)
table() {
    echo "Durable commits: residentd against redis-server with appendfsync always"
    echo "One event of 100 B per commit, each client waiting for its answer:"
    echo "residentd against redis-server (appendonly, appendfsync always, RPUSH), data of both"
    echo "in $work ($fs), ${seconds} s per case after ${warmup} s warm-up."
    echo "append 200 B + fdatasync there (1000 times): median $probe_p50 µs, p99 $probe_p99 µs:" \
        "one fsync per commit allows $(printf '%.0f' "$ceiling") commits/s."
    if [ "$fs" = tmpfs ]; then
        echo "WARNING: $work is a tmpfs, where fsync costs nothing; set BENCH_TMPDIR to a disk."
    fi
    echo
    # Written out, not printf'd: printf pads bytes, and µ takes two.
    echo "        | Resident                   | Redis                      | Resident/ Resident/    Redis/"
    echo "clients |   events/s  p50 µs  p99 µs |   events/s  p50 µs  p99 µs |     Redis   1 fsync   1 fsync"

    load() { # $1: target, $2: socket, $3: clients → one TSV line (see commit-load)
        "$bin/commit-load" --target "$1" --socket "$2" --clients "$3" \
            --seconds "$seconds" --warmup "$warmup" --tsv
    }

    for clients in $clients_list; do
        resident=$(load resident "$work/resident.sock" "$clients")
        redis=$(load redis "$work/redis.sock" "$clients")
        # Fields: target clients events_per_s p50_us p99_us commits seconds.
        awk -v chart="$work/chart.tsv" -v ceiling="$ceiling" -v r="$resident" -v d="$redis" 'BEGIN {
            split(r, a, "\t"); split(d, b, "\t")
            printf "%7d | %10.0f %7d %7d | %10.0f %7d %7d | %9.2f %9.1f %9.1f\n",
                a[2], a[3], a[4], a[5], b[3], b[4], b[5], a[3] / b[3], a[3] / ceiling, b[3] / ceiling
            printf "%d\t%.0f\t%.0f\t%.0f\n", a[2], a[3], b[3], ceiling >> chart
        }'
    done
}

# The table also goes to bench/results/commit.txt (for bench/REPORT.md) and its events/s to
# commit.1-throughput.tsv (a chart), once the run succeeded.
printf '# title: Durable commits, one event each: events per second (higher is better)\n# ylabel: events/s\nclients\tResident (fsync always)\tRedis (appendfsync always)\tone fsync per commit\n' >"$work/chart.tsv"
table | tee "$work/printed.txt"
mkdir -p "$root/bench/results"
cp "$work/printed.txt" "$root/bench/results/commit.txt"
cp "$work/chart.tsv" "$root/bench/results/commit.1-throughput.tsv"
