# Throw-away servers for the benchmarks, each in a work directory of its own, reachable
# only over Unix sockets in that directory. Source this file; call *_stop from a trap.

# residentd_start WORK [extra flags…]: socket WORK/resident.sock, data WORK/resident-data.
# PIN, when set, prefixes the command (e.g. PIN="taskset -c 0").
residentd_start() {
    local work=$1; shift
    ${PIN:-} "$RESIDENTD" --socket "$work/resident.sock" --data "$work/resident-data" "$@" 2>>"$work/residentd.log" &
    RESIDENTD_PID=$!
    wait_for_socket "$work/resident.sock" "$work/residentd.log"
}

residentd_stop() {
    [ -n "${RESIDENTD_PID:-}" ] || return 0
    kill -TERM "$RESIDENTD_PID" 2>/dev/null
    wait "$RESIDENTD_PID" 2>/dev/null
    RESIDENTD_PID=
}

# postgres_start WORK: a new cluster in WORK/pg with its socket in WORK (port 5432 on no
# TCP address), trust authentication, synchronous_commit on (the default, said aloud).
# PostgreSQL refuses to run as root, so as root it runs as the postgres user.
postgres_start() {
    local work=$1 bin=/usr/lib/postgresql/15/bin as=()
    [ "$(id -u)" = 0 ] && as=(runuser -u postgres --) && chown postgres "$work"
    "${as[@]}" "$bin/initdb" -D "$work/pg" -A trust -U postgres >"$work/pg-init.log" 2>&1
    "${as[@]}" "$bin/pg_ctl" -D "$work/pg" -l "$work/pg.log" -w start \
        -o "-k $work -c listen_addresses='' -c synchronous_commit=on -c fsync=on -c shared_buffers=512MB" >/dev/null
    POSTGRES_STOP=("${as[@]}" "$bin/pg_ctl" -D "$work/pg" -m fast stop)
    export PG_DSN="pgsql:host=$work;port=5432;dbname=postgres;user=postgres"
}

postgres_stop() {
    [ -n "${POSTGRES_STOP:-}" ] || return 0
    "${POSTGRES_STOP[@]}" >/dev/null 2>&1
    POSTGRES_STOP=
}

wait_for_socket() {
    local socket=$1 log=$2
    for _ in $(seq 200); do
        [ -S "$socket" ] && return 0
        sleep 0.05
    done
    echo "no server on $socket; its log:" >&2
    tail -n 20 "$log" >&2
    return 1
}
