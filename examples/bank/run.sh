#!/usr/bin/env bash
# Starts residentd and the bank example on PHP's built-in web server; Ctrl-C stops both.
# Called by `make run`, which builds everything first and sets the variables below.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
: "${RESIDENTD:?}" "${EXTENSION:?}" "${SOCKET:?}" "${DATA:?}" "${PORT:=8080}"
log=$(dirname "$SOCKET")/residentd.log
mkdir -p "$(dirname "$SOCKET")" "$DATA"

"$RESIDENTD" --socket "$SOCKET" --data "$DATA" 2>>"$log" &
server=$!
web=
stop() {
    set +e # Ctrl-C reaches both servers too: either may be gone already.
    [ -n "$web" ] && kill "$web" 2>/dev/null
    kill -TERM "$server" 2>/dev/null
    wait "$server" 2>/dev/null
    echo "Stopped residentd (its data stays in $DATA)."
}
trap stop EXIT
trap 'exit 0' INT TERM

for _ in $(seq 100); do
    [ -S "$SOCKET" ] && break
    kill -0 "$server" 2>/dev/null || { echo "residentd failed to start:"; tail -n 20 "$log"; exit 1; }
    sleep 0.05
done
[ -S "$SOCKET" ] || { echo "residentd did not create $SOCKET:"; tail -n 20 "$log"; exit 1; }

export RESIDENT_SOCKET=$SOCKET
php -d extension="$EXTENSION" "$here/seed.php"

cat <<INFO

  Resident is running.
    socket:   $SOCKET
    data:     $DATA
    log:      $log
  Bank example: http://127.0.0.1:$PORT/

  Ctrl-C stops both.

INFO
php -d extension="$EXTENSION" -S "127.0.0.1:$PORT" -t "$here/public" "$here/public/index.php" &
web=$!
wait "$web"
