# The web stack of one variant: nginx in front of PHP-FPM, both run as the current user
# with every file (config, pid, logs, temp, the FastCGI socket) under a directory of the
# work dir. nginx listens on 127.0.0.1 only. Source this file; call stack_stop from a trap.
#
# Every variant gets the same settings: nginx with 1 worker; PHP-FPM with pm = static and
# BENCH_HTTP_WORKERS workers (4), opcache on without timestamp checks (as in production),
# no JIT (Debian's default), no access log.

FPM=${FPM:-/usr/sbin/php-fpm8.2}
NGINX=${NGINX:-/usr/sbin/nginx}
HTTP_WORKERS=${BENCH_HTTP_WORKERS:-4}
STACK_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# stack_check: fails with a clear message when a part is missing (make bench-http-deps).
stack_check() {
    local missing= modules
    modules=$("$FPM" -m 2>/dev/null || true) # not piped into grep -q: SIGPIPE would fail it
    [ -x "$FPM" ] || missing+=" php8.2-fpm"
    [ -x "$NGINX" ] || missing+=" nginx"
    [ -r /etc/nginx/fastcgi_params ] || missing+=" nginx-common"
    [ -r /usr/share/php/Illuminate/Database/autoload.php ] || missing+=" php-illuminate-database"
    [ -x /usr/lib/postgresql/15/bin/initdb ] || missing+=" postgresql-15"
    grep -q 'Zend OPcache' <<<"$modules" || missing+=" php8.2-opcache(for-fpm)"
    grep -q 'pdo_pgsql' <<<"$modules" || missing+=" php8.2-pgsql(for-fpm)"
    if [ -n "$missing" ]; then
        echo "missing:$missing (make bench-http-deps installs them)" >&2
        return 1
    fi
}

# free_port: a TCP port on 127.0.0.1 that nothing listens on (the kernel picks it).
free_port() {
    php -r '$s = stream_socket_server("tcp://127.0.0.1:0", $no, $err) or exit(1);
            echo substr(strrchr(stream_socket_get_name($s, false), ":"), 1);'
}

# stack_start WORK VARIANT PORT: starts PHP-FPM and nginx serving public/VARIANT.php.
# Environment for the variants: RESIDENT_SOCKET and EXTENSION (resident), PG_SOCKET_DIR.
stack_start() {
    local work=$1 variant=$2 port=$3
    local dir=$work/web-$variant user_lines=
    # Opcache is set up by the master process, before it reads a pool: set it on the command line.
    local fpm_args=(-d opcache.enable=1 -d opcache.validate_timestamps=0 -d opcache.memory_consumption=128
        -d opcache.max_accelerated_files=20000 -d opcache.jit=off)
    mkdir -p "$dir/tmp"
    [ -r "$STACK_HERE/public/$variant.php" ] || { echo "no front controller for variant '$variant'" >&2; return 1; }
    if [ "$(id -u)" = 0 ]; then
        # As root both would drop to nobody, who could not reach the sockets in WORK.
        fpm_args+=(--allow-to-run-as-root)
        user_lines=$'user = root\ngroup = root'
    fi
    local variant_ini
    case $variant in
        resident)
            fpm_args+=(-d "extension=${EXTENSION:?}")
            variant_ini="php_admin_value[resident.socket] = ${RESIDENT_SOCKET:?}"
            ;;
        *)
            variant_ini="env[PG_SOCKET_DIR] = ${PG_SOCKET_DIR:?}
env[PG_DATABASE] = bank_${variant//-/_}
env[PG_SETUP] = ${BENCH_HTTP_PG_SETUP:-tuned}"
            ;;
    esac
    cat >"$dir/fpm.conf" <<CONF
[global]
pid = $dir/fpm.pid
error_log = $dir/fpm.log
daemonize = no

[bank]
$user_lines
listen = $dir/fpm.sock
listen.mode = 0600
pm = static
pm.max_children = $HTTP_WORKERS
pm.max_requests = 0
request_terminate_timeout = 30s
clear_env = yes
catch_workers_output = yes
php_admin_value[error_log] = $dir/php-errors.log
php_admin_flag[log_errors] = on
php_admin_flag[display_errors] = off
php_admin_value[memory_limit] = 256M
$variant_ini
CONF
    "$FPM" --nodaemonize --fpm-config "$dir/fpm.conf" "${fpm_args[@]}" >"$dir/fpm.out" 2>&1 &
    FPM_PID=$!
    wait_for_socket "$dir/fpm.sock" "$dir/fpm.out" || return 1

    local nginx_user=
    [ "$(id -u)" = 0 ] && nginx_user='user root root;'
    cat >"$dir/nginx.conf" <<CONF
$nginx_user
worker_processes 1;
daemon off;
pid $dir/nginx.pid;
error_log $dir/nginx-error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $dir/tmp/body;
    fastcgi_temp_path $dir/tmp/fastcgi;
    proxy_temp_path $dir/tmp/proxy;
    uwsgi_temp_path $dir/tmp/uwsgi;
    scgi_temp_path $dir/tmp/scgi;
    # wrk keeps its connections for the whole run; do not make it reconnect every 1000.
    keepalive_requests 10000000;
    server {
        listen 127.0.0.1:$port;
        location / {
            include /etc/nginx/fastcgi_params;
            fastcgi_param SCRIPT_FILENAME $STACK_HERE/public/$variant.php;
            fastcgi_pass unix:$dir/fpm.sock;
        }
    }
}
CONF
    "$NGINX" -p "$dir" -c "$dir/nginx.conf" -e "$dir/nginx-error.log" >"$dir/nginx.out" 2>&1 &
    NGINX_PID=$!
    for _ in $(seq 200); do
        (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
        kill -0 "$NGINX_PID" 2>/dev/null || break
        sleep 0.05
    done
    echo "nginx did not listen on 127.0.0.1:$port:" >&2
    cat "$dir/nginx.out" "$dir/nginx-error.log" 2>/dev/null | tail -n 20 >&2
    return 1
}

# stack_logs WORK VARIANT: the tails of the stack's logs, for a failure message.
stack_logs() {
    local dir=$1/web-$2 f
    for f in php-errors.log fpm.log fpm.out nginx-error.log; do
        [ -s "$dir/$f" ] || continue
        echo "--- $dir/$f"
        # A PHP stack trace is long: its first line says what happened.
        grep -m 3 -E 'PHP (Fatal|Warning)|Uncaught|\[(error|crit|alert|emerg)\]' "$dir/$f" | cut -c 1-600
        tail -n 5 "$dir/$f" | cut -c 1-300
    done
    return 0
}

stack_stop() {
    local pid
    for pid in ${NGINX_PID:-} ${FPM_PID:-}; do
        kill -TERM "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    done
    NGINX_PID= FPM_PID=
}

# servers_up NAME: a work directory under BENCH_TMPDIR (on disk, not a tmpfs: the same
# durable settings as the benchmark), residentd (fsync always) and PostgreSQL in it, and
# every server stopped on exit (BENCH_HTTP_KEEP=1 keeps the directory, its configs and
# logs, for a look after a failure). Sets work and port.
servers_up() {
    work=$(mktemp -d "${BENCH_TMPDIR:-/var/tmp}/resident-bench-$1.XXXXXX")
    chmod 755 "$work"
    trap 'stack_stop; residentd_stop; postgres_stop; [ "${BENCH_HTTP_KEEP:-0}" = 1 ] || rm -rf "$work"' EXIT
    trap 'exit 130' INT TERM # so that the EXIT trap stops every server
    residentd_start "$work" --fsync always
    postgres_start "$work"
    export RESIDENT_SOCKET=$work/resident.sock PG_SOCKET_DIR=$work EXTENSION
    port=$(free_port)
}
