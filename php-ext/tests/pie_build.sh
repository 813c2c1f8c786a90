#!/usr/bin/env bash
# PIE installs an extension by running phpize, ./configure, make and make install in the
# package's directory of the repository it downloaded. This does the same with the files
# of this checkout (copied to target/pie/src, cargo's build in target/pie/cargo), installs
# into target/pie/root, and checks that PHP loads what was installed; and it checks
# php-ext/composer.json against the rules of PIE's php-ext schema. Run by make test-pie.
set -euo pipefail
cd "$(dirname "$0")/../.."
work=$PWD/target/pie
php_config=$(command -v php-config8.2) || { echo "php-config8.2 not found: apt-get install php8.2-dev" >&2; exit 1; }

name=$(php php-ext/tests/pie_metadata.php php-ext/composer.json)

rm -rf "$work/src" "$work/root"
mkdir -p "$work/src"
# The tracked files (what a download of the repository holds), with their times, so cargo
# rebuilds only what changed since the last run.
git ls-files -z --cached --others --exclude-standard | tar --null -T - -cf - | tar -C "$work/src" -xf -
cd "$work/src/php-ext"
log=$work/build.log
{ phpize8.2 && ./configure --with-php-config="$php_config" \
    && CARGO_TARGET_DIR=$work/cargo make && make install INSTALL_ROOT="$work/root"; } >"$log" 2>&1 \
    || { tail -30 "$log"; echo "the phpize build failed (all of it in $log)" >&2; exit 1; }

installed=$work/root$("$php_config" --extension-dir)/resident.so
# PIE enables the extension by the name composer.json gives: PHP must know it by that name.
version=$(php -d extension="$installed" -r "echo phpversion('$name');")
expected=$(sed -n 's/^version = "\(.*\)"/\1/p' "$work/src/Cargo.toml" | head -1)
[ "$version" = "$expected" ] || { echo "PHP loaded '$version' from $installed, not $expected" >&2; exit 1; }
echo "pie build: phpize, configure, make, make install gave $installed ($version)"
