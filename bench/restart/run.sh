#!/usr/bin/env bash
# make bench, restart: how long residentd takes to answer again after a stop, from the
# log alone and from a snapshot plus a short tail of log, against redis-server loading
# an RDB of the same accounts; and what back-to-back snapshots cost commits meanwhile.
# Figures only; nothing is asserted.
#
# BENCH_RESTART_ENTITIES (1000000) accounts of BENCH_RESTART_EVENTS_PER_ENTITY (10) events
# each, written by server/examples/gen_log; BENCH_TMPDIR (/var/tmp, not /tmp: /tmp is a
# tmpfs on some systems, where neither reads nor fsyncs touch a disk).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=${CARGO_TARGET_DIR:-$root/target}/release
entities=${BENCH_RESTART_ENTITIES:-1000000}
per_entity=${BENCH_RESTART_EVENTS_PER_ENTITY:-10}
[[ $entities =~ ^[1-9][0-9]*$ && $per_entity =~ ^[1-9][0-9]*$ ]] || {
    echo "BENCH_RESTART_ENTITIES and BENCH_RESTART_EVENTS_PER_ENTITY must be positive integers" >&2
    exit 2
}
events=$((entities * per_entity))
load_seconds=6

# make build builds neither the load generator nor gen_log; cargo does nothing when current.
if [ -z "${RESIDENTD:-}" ]; then
    (cd "$root" && cargo build --release --quiet -p resident-server -p resident-bench)
    RESIDENTD=$bin/residentd
else
    (cd "$root" && cargo build --release --quiet -p resident-bench)
fi
(cd "$root" && cargo build --release --quiet -p resident-server --example gen_log)
cli=$(dirname "$RESIDENTD")/resident
source "$here/../lib/servers.sh"

work=$(mktemp -d "${BENCH_TMPDIR:-/var/tmp}/resident-bench-restart.XXXXXX")
data=$work/resident-data
sock=$work/resident.sock
redis_stop() {
    [ -n "${REDIS_PID:-}" ] && kill -TERM "$REDIS_PID" 2>/dev/null && wait "$REDIS_PID" 2>/dev/null
    REDIS_PID=
}
snapshots_stop() {
    [ -n "${LOOP_PID:-}" ] && kill -TERM "$LOOP_PID" 2>/dev/null && wait "$LOOP_PID" 2>/dev/null
    LOOP_PID=
}
# set +e: a server killed mid-load makes `wait` fail, and the log (GBs) must still go.
trap 'set +e; snapshots_stop; residentd_stop; redis_stop; rm -rf "$work"' EXIT

# Microseconds since the epoch without forking date: the wait loops below poll every 10 ms.
now_us() { echo "${EPOCHREALTIME/[.,]/}"; }
rss_mib() { awk '{ printf "%.0f", $1 / 1024 }' < <(ps -o rss= -p "$1"); }
# The value of NAME=… in the last line of FILE that has MARK.
field() { grep "$2" "$3" | tail -n 1 | sed -n "s/.* $1=\([0-9]*\).*/\1/p"; }

# start_timed NAME EVENTS: starts residentd on $data (stderr in $work/NAME.log) with about
# EVENTS of log to replay, waits until it answers a ping and sets READY_US to the time
# from launch. residentd binds its socket only once the state is loaded, so servers.sh's
# 10 s wait_for_socket would not do for a long replay; meanwhile this repeats residentd's
# own progress every 10 s. No scheduled snapshot may start: a restart is timed alone, and
# the commits without snapshots must be without any.
start_timed() {
    local log=$work/$1.log total=$2 t0 next replayed
    t0=$(now_us)
    next=$((t0 + 10000000))
    "$RESIDENTD" --socket "$sock" --data "$data" --snapshot-every-events 1000000000 2>"$log" &
    RESIDENTD_PID=$!
    until [ -S "$sock" ] && "$cli" --socket "$sock" ping >/dev/null 2>&1; do
        if ! kill -0 "$RESIDENTD_PID" 2>/dev/null; then
            echo "residentd stopped while loading; its log:" >&2
            tail -n 20 "$log" >&2
            exit 1
        fi
        if [ "$(now_us)" -ge "$next" ]; then
            replayed=$(field events_replayed 'replaying the log' "$log")
            echo "    loading: ${replayed:-0} of $total events replayed after $(((next - t0) / 1000000)) s"
            next=$((next + 10000000))
        fi
        sleep 0.01
    done
    READY_US=$(($(now_us) - t0))
}

# redis_timed: starts redis-server on $work/redis (loading dump.rdb if there is one) and
# sets READY_US to when PING is answered PONG: while loading, Redis answers -LOADING.
redis_timed() {
    local t0
    t0=$(now_us)
    redis-server --port 0 --unixsocket "$work/redis.sock" --dir "$work/redis" \
        --dbfilename dump.rdb --logfile "$work/redis.log" --save '' --appendonly no &
    REDIS_PID=$!
    until [ "$(redis-cli -s "$work/redis.sock" ping 2>/dev/null)" = PONG ]; do
        kill -0 "$REDIS_PID" 2>/dev/null || { tail -n 20 "$work/redis.log" >&2; exit 1; }
        sleep 0.01
    done
    READY_US=$(($(now_us) - t0))
}

commit_load() { # $1: clients → one TSV line: target clients events_per_s p50_us p99_us commits seconds
    "$bin/commit-load" --target resident --socket "$sock" --clients "$1" \
        --seconds "$load_seconds" --warmup 1 --tsv
}

fs=$(df --output=fstype "$work" | tail -n 1)
echo "Restart: $entities accounts × $per_entity events = $events events, in $work ($fs)"
[ "$fs" = tmpfs ] && echo "WARNING: $work is a tmpfs: loads read memory, not a disk; set BENCH_TMPDIR."

echo "[1/4] writing the log with gen_log…"
"$bin/examples/gen_log" --data "$data" --entities "$entities" --events-per-entity "$per_entity" |
    sed 's/^/    gen_log: /'
log_bytes=$(du -sb "$data/log" | cut -f 1)
echo "    restarting residentd from the log alone…"
start_timed log-only "$events"
log_ready=$READY_US
log_took=$(field took_ms 'state loaded' "$work/log-only.log")
log_replayed=$(field events_replayed 'state loaded' "$work/log-only.log")
log_rss=$(rss_mib "$RESIDENTD_PID")

echo "[2/4] snapshot, a short tail of commits, stop, restart…"
snapshot_line=$("$cli" --socket "$sock" snapshot)
snapshot_bytes=$(sed -n 's/.*, \([0-9]*\) bytes, .*/\1/p' <<<"$snapshot_line")
# One client for 1 s: with an fsync per commit, some hundreds to thousands of events.
tail_line=$("$bin/commit-load" --target resident --socket "$sock" --clients 1 --seconds 1 --warmup 0 --tsv)
tail_events=$(cut -f 6 <<<"$tail_line")
residentd_stop
start_timed snapshot "$tail_events"
snap_ready=$READY_US
snap_took=$(field took_ms 'state loaded' "$work/snapshot.log")
snap_replayed=$(field events_replayed 'state loaded' "$work/snapshot.log")
snap_rss=$(rss_mib "$RESIDENTD_PID")

# Before Redis: this reuses the server just loaded, and frees its memory for Redis after.
echo "[3/4] commits with and without snapshots taken back to back…"
quiet=$(commit_load 8)
# The loop runs until its flag file goes; the trap kills it if the script dies first.
touch "$work/snapshotting" "$work/snapshots.txt"
(while [ -e "$work/snapshotting" ]; do
    "$cli" --socket "$sock" snapshot >>"$work/snapshots.txt" || break
done) &
LOOP_PID=$!
busy=$(commit_load 8)
rm -f "$work/snapshotting"
wait "$LOOP_PID" || true
LOOP_PID=
read -r snapshots_taken snapshot_avg_ms < <(awk '
    { sub(/ ms$/, ""); ms += $NF; n++ }
    END { printf "%d %.0f\n", n, n ? ms / n : 0 }' "$work/snapshots.txt")
residentd_stop

echo "[4/4] redis-server: the same accounts as hashes, SAVE, restart from the RDB…"
mkdir "$work/redis"
redis_timed
# HSET account:<uuid> uuid … name … balance …, the state gen_log's events leave, as RESP.
awk -v n="$entities" -v balance=$((10 * (per_entity - 1))) 'BEGIN {
    for (i = 0; i < n; i++) {
        id = sprintf("%08x-%04x-4000-8000-%012x", int(i / 65536), i % 65536, 0)
        key = "account:" id; name = "Account " i
        printf "*8\r\n$4\r\nHSET\r\n$%d\r\n%s\r\n$4\r\nuuid\r\n$%d\r\n%s\r\n", length(key), key, length(id), id
        printf "$4\r\nname\r\n$%d\r\n%s\r\n$7\r\nbalance\r\n$%d\r\n%s\r\n", length(name), name, length(balance), balance
    }
}' | redis-cli -s "$work/redis.sock" --pipe >"$work/redis-pipe.txt"
grep -q 'errors: 0,' "$work/redis-pipe.txt" || { cat "$work/redis-pipe.txt" >&2; exit 1; }
t0=$(now_us)
redis-cli -s "$work/redis.sock" save >/dev/null
save_ms=$((($(now_us) - t0) / 1000))
rdb_bytes=$(stat -c %s "$work/redis/dump.rdb")
redis_stop
redis_timed
redis_ready=$READY_US
redis_took_s=$(sed -n 's/.*DB loaded from disk: \([0-9.]*\) seconds.*/\1/p' "$work/redis.log" | tail -n 1)
redis_keys=$(redis-cli -s "$work/redis.sock" dbsize)
redis_rss=$(rss_mib "$REDIS_PID")
redis_stop

summary() {
    echo
    echo "residentd snapshot: $snapshot_line"
    echo "redis-server SAVE: $rdb_bytes bytes in $save_ms ms"
    echo
    echo "Ready: from launch until a ping is answered; load: the server's own figure; data: what it"
    echo "loads (the log; the snapshot, tail not counted; the RDB); RSS: right after loading."
    printf '%-58s %8s %8s %10s %10s %6s %6s\n' "" ready load replayed events/s data RSS "" s s events "" MiB MiB
    row() { # label ready_us load_ms replayed events_per_s data_bytes rss_mib
        awk -v l="$1" -v r="$2" -v t="$3" -v e="$4" -v v="$5" -v d="$6" -v m="$7" 'BEGIN {
            printf "%-58s %8.2f %8.2f %10s %10s %6.0f %6d\n", l, r / 1e6, t / 1e3, e, v, d / 1048576, m }'
    }
    row "residentd, log only (goal: 1M events/s replayed)" "$log_ready" "$log_took" "$log_replayed" \
        "$(awk -v e="$log_replayed" -v t="$log_took" 'BEGIN { printf "%.0f", (t > 0 ? e / (t / 1e3) : 0) }')" \
        "$log_bytes" "$log_rss"
    row "residentd, snapshot + $tail_events-event tail (goal: under 2 s)" "$snap_ready" "$snap_took" \
        "$snap_replayed" - "$snapshot_bytes" "$snap_rss"
    # Redis logs its load time in seconds.
    row "redis-server, RDB of $redis_keys hashes" "$redis_ready" \
        "$(awk -v s="${redis_took_s:-0}" 'BEGIN { printf "%.0f", s * 1000 }')" - - "$rdb_bytes" "$redis_rss"
    echo
    echo "Commits while snapshots are taken back to back ($snapshots_taken taken, $snapshot_avg_ms ms each on"
    echo "average), 8 clients, one event per commit, ${load_seconds} s after 1 s warm-up:"
    echo "                         events/s   p50 µs   p99 µs"
    # Fields: target clients events_per_s p50_us p99_us commits seconds.
    awk -v q="$quiet" -v b="$busy" 'BEGIN {
        split(q, a, "\t"); split(b, c, "\t")
        printf "%-22s %10.0f %8d %8d\n", "no snapshot", a[3], a[4], a[5]
        printf "%-22s %10.0f %8d %8d\n", "snapshots running", c[3], c[4], c[5]
        printf "p99 with / without: %.2f (goal: within 2)\n", (a[5] > 0 ? c[5] / a[5] : 0)
    }'
}

# The summary also goes to bench/results/restart.txt (for bench/REPORT.md), with the
# seconds until each server answered in restart.1-ready.tsv (a chart), once all went well.
summary | tee "$work/printed.txt"
results=$(cd "$here/.." && pwd)/results
mkdir -p "$results"
{ echo "Restart: $entities accounts × $per_entity events = $events events"; cat "$work/printed.txt"; } \
    >"$results/restart.txt"
awk -v n="$entities" -v l="$log_ready" -v s="$snap_ready" -v r="$redis_ready" 'BEGIN {
    print "# title: Restart with " n " accounts: seconds until the first answer (lower is better)"
    print "# ylabel: seconds"
    print "# scale: log"
    print "start-up\tseconds"
    printf "residentd from the log alone\t%.2f\nresidentd from a snapshot + tail\t%.2f\nredis-server from its RDB\t%.2f\n", l / 1e6, s / 1e6, r / 1e6
}' >"$results/restart.1-ready.tsv"
