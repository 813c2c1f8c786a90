#!/usr/bin/env bash
# The package test (make test-package): installs the .deb with apt into a clean Debian 12
# root and checks what a sysadmin gets, as README.md's "Installing" goes: files, user,
# unit, the extension in PHP's CLI and PHP-FPM, residentd under systemd behind PHP-FPM, a
# restart PHP does not notice, remove and purge. Needs root (chroot, mount, nspawn) and,
# the first time, Debian's mirror: the root is made with debootstrap (minbase, plus what
# the README has one install first and the checks use) and kept as a tarball in
# $RESIDENT_PACKAGE_CACHE; each run unpacks a fresh copy of it.
#
#   tests/package/run.sh target/debian/resident_<version>_<arch>.deb
set -euo pipefail
deb=$(realpath "${1:?usage: tests/package/run.sh RESIDENT.deb}")
cache=${RESIDENT_PACKAGE_CACHE:-/var/cache/resident-package-test}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
# Installed into the root before the package: PHP-FPM as the README says, the CLI, systemd
# (systemd-analyze, and to boot the root) and cgi-fcgi to talk to PHP-FPM.
base_packages="php8.2-cli php8.2-fpm libfcgi-bin systemd adduser"
base="$cache/bookworm-$(echo "$base_packages" | md5sum | cut -c1-8).tar"
started=$SECONDS

step() { printf '%3ds  %s\n' $((SECONDS - started)) "$*"; }
fail() { echo "FAILED: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || fail "run as root (chroot and mount need it)"

# --- the cached clean root -------------------------------------------------------------
make_base() {
    local tmp
    tmp=$(mktemp -d /var/tmp/resident-bookworm.XXXXXX)
    chmod 755 "$tmp" # it becomes /
    step "debootstrap bookworm into $tmp (once; cached as $base)"
    debootstrap --variant=minbase bookworm "$tmp" "$mirror" >"$tmp.log" 2>&1 \
        || { tail -20 "$tmp.log"; fail "debootstrap"; }
    cat >"$tmp/etc/apt/sources.list" <<SOURCES
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb http://deb.debian.org/debian-security bookworm-security main
SOURCES
    # Nothing the packages install may start a service here.
    printf '#!/bin/sh\nexit 101\n' >"$tmp/usr/sbin/policy-rc.d"
    chmod 755 "$tmp/usr/sbin/policy-rc.d"
    mount -t proc proc "$tmp/proc"
    chroot "$tmp" sh -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq --no-install-recommends '"$base_packages"' \
        && apt-get clean' >>"$tmp.log" 2>&1 || { umount "$tmp/proc"; tail -20 "$tmp.log"; fail "apt-get in the new root"; }
    umount "$tmp/proc"
    mkdir -p "$cache"
    tar -C "$tmp" -cf "$base.part" . && mv "$base.part" "$base"
    rm -rf --one-file-system "$tmp" "$tmp.log"
}
[ -f "$base" ] || make_base

root=$(mktemp -d /var/tmp/resident-package-test.XXXXXX)
cleanup() {
    [ -f "$root/run/residentd.pid" ] && kill "$(cat "$root/run/residentd.pid")" 2>/dev/null || true
    if [ -n "${nspawn:-}" ] && kill -0 "$nspawn" 2>/dev/null; then
        kill "$nspawn"; wait "$nspawn" || true
    fi
    mountpoint -q "$root/proc" && umount "$root/proc"
    rm -rf --one-file-system "$root" "$root.boot.log"
}
trap cleanup EXIT
step "unpack a clean root into $root"
tar -C "$root" -xf "$base"
chmod 755 "$root"
mount -t proc proc "$root/proc"
in_root() { chroot "$root" "$@"; }

# --- install -------------------------------------------------------------------------------
step "apt-get install ./$(basename "$deb")"
cp "$deb" "$root/tmp/resident.deb"
in_root sh -c 'DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends /tmp/resident.deb' \
    >"$root/tmp/install.log" 2>&1 || { cat "$root/tmp/install.log"; fail "apt-get install"; }

step "files, conffiles, user and data directory"
for f in /usr/bin/residentd /usr/bin/resident /usr/lib/php/20220829/resident.so \
    /etc/php/8.2/mods-available/resident.ini /etc/resident/residentd.toml \
    /lib/systemd/system/residentd.service; do
    [ -f "$root$f" ] || fail "$f is not installed"
done
for sapi in cli fpm; do
    [ "$(readlink "$root/etc/php/8.2/$sapi/conf.d/20-resident.ini")" = /etc/php/8.2/mods-available/resident.ini ] \
        || fail "the extension is not enabled for PHP's $sapi"
done
conffiles=$(in_root dpkg-query -W -f='${Conffiles}' resident)
for f in /etc/resident/residentd.toml /etc/php/8.2/mods-available/resident.ini; do
    grep -q " $f " <<<"$conffiles" || fail "$f is not a conffile"
done
in_root id -nG resident | grep -qw www-data || fail "resident is not in www-data"
owner=$(in_root stat -c '%U:%G %a' /var/lib/resident)
[ "$owner" = "resident:resident 750" ] || fail "/var/lib/resident: $owner"
[ -L "$root/etc/systemd/system/multi-user.target.wants/residentd.service" ] || fail "residentd is not enabled"

step "systemd-analyze verify and security"
in_root systemd-analyze verify /lib/systemd/system/residentd.service \
    || fail "systemd-analyze verify"
exposure=$(in_root systemd-analyze security --offline=true /lib/systemd/system/residentd.service 2>&1 \
    | sed -n 's/.*Overall exposure level for residentd.service: \([0-9.]*\).*/\1/p')
echo "      exposure $exposure (systemd-analyze security; 0 is best, 10 worst)"
awk -v e="$exposure" 'BEGIN { exit !(e != "" && e <= 2.0) }' || fail "exposure '$exposure' is over 2.0"

# --- smoke test: the daemon as the unit runs it, PHP as PHP-FPM would ------------------------
step "residentd as user resident with the installed config; resident ping; PHP as www-data"
in_root install -d -o resident -g resident -m 0755 /run/resident
# chroot itself, not in_root: $! must be the daemon's pid (chroot and setpriv exec it).
chroot "$root" setpriv --reuid=resident --regid=resident --init-groups \
    /usr/bin/residentd --config /etc/resident/residentd.toml >"$root/tmp/residentd.log" 2>&1 &
echo $! >"$root/run/residentd.pid"
for _ in $(seq 100); do [ -S "$root/run/resident/resident.sock" ] && break; sleep 0.1; done
[ -S "$root/run/resident/resident.sock" ] || { cat "$root/tmp/residentd.log"; fail "no socket"; }
owner=$(in_root stat -c '%G %a' /run/resident/resident.sock)
[ "$owner" = "www-data 660" ] || fail "socket: $owner"
in_root resident --socket /run/resident/resident.sock ping || fail "resident ping"
php_says=$(in_root setpriv --reuid=www-data --regid=www-data --init-groups php -r '
    echo Resident\ping() ? "ping " : "no ping ", Resident\stats()["server"], " ", phpversion("resident");')
[[ $php_says == "ping residentd "* ]] || fail "PHP as www-data: $php_says"
echo "      PHP: $php_says"
grep -q '^Resident support => enabled' <<<"$(in_root php -i)" || fail "no resident section in php -i"
nobody_says=$(in_root setpriv --reuid=nobody --regid=nogroup --clear-groups php -r \
    'echo Resident\ping() ? "ping" : "no ping";')
[ "$nobody_says" = "no ping" ] || fail "a user outside www-data reached the socket"
kill -TERM "$(cat "$root/run/residentd.pid")"
wait "$(cat "$root/run/residentd.pid")" || fail "residentd did not stop cleanly: $(cat "$root/tmp/residentd.log")"
rm "$root/run/residentd.pid"
[ ! -e "$root/run/resident/resident.sock" ] || fail "the socket outlived residentd"
[ -n "$(ls "$root/var/lib/resident")" ] || fail "residentd wrote nothing to /var/lib/resident"

# --- under systemd: the unit as installed, its hardening in force --------------------------
# The root boots in a container (systemd-nspawn, Debian's systemd-container); the package
# enabled residentd, so systemd starts it. A PHP loop of reads as www-data runs across a
# `systemctl restart residentd`: none may fail (resident.reconnect_wait_ms).
step "boot the root with systemd-nspawn: residentd.service behind PHP-FPM; systemctl restart under PHP reads"
rm -f "$root/usr/sbin/policy-rc.d"
umount "$root/proc"
# On a host run by systemd, nspawn asks it for a scope of its own; without one (a container
# or a VM whose PID 1 is something else), it stays in the cgroup it was started in.
scope=(--keep-unit)
[ -d /run/systemd/system ] && scope=()
systemd-nspawn --register=no "${scope[@]}" --quiet -D "$root" -M resident-test -b \
    </dev/null >"$root.boot.log" 2>&1 &
nspawn=$!
# The container's systemd is the child of systemd-nspawn.
container_init() { pgrep -P "$nspawn" -x systemd || true; }
in_container() { nsenter -t "$init" -a "$@"; }
init=
for _ in $(seq 300); do
    init=$(container_init)
    [ -n "$init" ] && in_container systemctl is-active --quiet residentd php8.2-fpm 2>/dev/null && break
    sleep 0.1
done
[ -n "$init" ] || { cat "$root.boot.log"; fail "the container did not boot"; }
in_container systemctl is-active --quiet residentd php8.2-fpm \
    || { in_container systemctl status residentd php8.2-fpm --no-pager; fail "residentd or php8.2-fpm is not active"; }
mkdir -p "$root/var/www"
cat >"$root/var/www/resident.php" <<'PHP'
<?php
echo Resident\ping() ? 'ping ' : 'no ping ', Resident\stats()['server'], ' ', php_sapi_name();
PHP
fpm_says=$(in_container env SCRIPT_FILENAME=/var/www/resident.php REQUEST_METHOD=GET \
    cgi-fcgi -bind -connect /run/php/php8.2-fpm.sock 2>&1 | tail -1 || true)
[[ $fpm_says == "ping residentd "*" fpm-fcgi" ]] || fail "through PHP-FPM: $fpm_says"
echo "      PHP-FPM: $fpm_says"
reads=$(in_container setpriv --reuid=www-data --regid=www-data --init-groups php -r '
    $calls = $failed = 0;
    $end = microtime(true) + 3;
    while (microtime(true) < $end) {
        try { Resident\stats(); $calls++; } catch (Throwable $e) { $failed++; fwrite(STDERR, $e->getMessage() . "\n"); }
        usleep(1000);
    }
    echo "$calls reads, $failed failed, ", Resident\metrics()["process"]["reconnects"], " reconnects";' &
    sleep 1; in_container systemctl restart residentd; wait $!)
echo "      PHP across systemctl restart: $reads"
[[ $reads == *" 0 failed, 1 reconnects" ]] \
    || { in_container journalctl -u residentd --no-pager | tail -20; fail "PHP noticed the restart: $reads"; }
in_container systemctl is-active --quiet residentd || fail "residentd.service did not come back"
kill -s SIGRTMIN+4 "$init" # systemd's signal to power off (no D-Bus needed)
wait "$nspawn" || true
mount -t proc proc "$root/proc"

# --- remove keeps the data; purge removes it ------------------------------------------------
step "apt-get remove, then purge"
in_root apt-get remove -y -qq resident >"$root/tmp/remove.log" 2>&1 || { cat "$root/tmp/remove.log"; fail "remove"; }
[ -d "$root/var/lib/resident" ] || fail "remove took the data"
[ ! -e "$root/usr/bin/residentd" ] || fail "remove left residentd"
[ ! -e "$root/etc/php/8.2/cli/conf.d/20-resident.ini" ] || fail "remove left the extension enabled"
! grep -qx resident <<<"$(in_root php -m)" || fail "PHP still loads the extension"
in_root apt-get purge -y -qq resident >"$root/tmp/purge.log" 2>&1 || { cat "$root/tmp/purge.log"; fail "purge"; }
[ ! -e "$root/var/lib/resident" ] || fail "purge left /var/lib/resident"
[ ! -e "$root/etc/resident/residentd.toml" ] || fail "purge left the config"
in_root getent passwd resident >/dev/null || fail "purge removed the user (files elsewhere may still be theirs)"

step "package test passed"
