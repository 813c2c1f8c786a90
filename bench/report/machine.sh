#!/usr/bin/env bash
# Prints the "Machine and versions" section of bench/REPORT.md: what the benchmarks ran on
# and with which versions of every part, read from this machine when the report is built.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)

pkg() { # the installed Debian version of a package, or "not installed"
    dpkg-query -W -f='${Version}' "$1" 2>/dev/null || echo "not installed"
}
first_line() { "$@" 2>&1 | head -n 1 || true; }

cpu=$(LC_ALL=C lscpu 2>/dev/null | awk -F: '/^Model name/ { sub(/^ +/, "", $2); print $2; exit }')
memory=$(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
os=$(. /etc/os-release && echo "$PRETTY_NAME")
virt=$(systemd-detect-virt 2>/dev/null || true)
fs=$(df --output=fstype "${BENCH_TMPDIR:-/var/tmp}" | tail -n 1)
commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
git -C "$root" diff --quiet HEAD -- 2>/dev/null || commit+=" with local changes"

cat <<MD
## Machine and versions

| | |
|---|---|
| CPU | ${cpu:-unknown}, **$(nproc) vCPUs**${virt:+ (virtualisation: $virt)} |
| memory | $memory |
| system | $os, Linux $(uname -r) |
| disk of the data (\`${BENCH_TMPDIR:-/var/tmp}\`) | $fs |
| Resident | commit $commit; residentd and the extension built with $(first_line rustc --version) in release mode |
| PHP | $(php -r 'echo PHP_VERSION;') (CLI and FPM, Debian $(pkg php8.2-fpm)), opcache $(pkg php8.2-opcache) |
| Laravel's illuminate/database | $(pkg php-illuminate-database) (Debian's php-illuminate-database) |
| PostgreSQL | $(pkg postgresql-15) |
| SQLite | $(pkg libsqlite3-0) (php8.2-sqlite3 $(pkg php8.2-sqlite3)) |
| Redis | $(pkg redis-server) (phpredis $(pkg php8.2-redis)) |
| nginx | $(pkg nginx) |
| wrk | $(pkg wrk) |
| gnuplot (charts) | $(pkg gnuplot-nox) |

The load generators, the PHP processes and the servers all run on this one machine and
share its $(nproc) vCPUs: figures are comparisons within one run on one box, not
capacity numbers for a production set-up.
MD
