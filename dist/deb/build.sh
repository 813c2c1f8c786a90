#!/usr/bin/env bash
# Builds the resident .deb with Debian's own dpkg-deb (no debhelper, no extra tool): the
# files of dist/ and the release build laid out as installed, the maintainer scripts of
# this directory, dependencies from dpkg-shlibdeps. Run by `make deb`.
#
#   dist/deb/build.sh OUT_DIR     → OUT_DIR/resident_<version>_<arch>.deb
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:?usage: dist/deb/build.sh OUT_DIR}
out=${out%/}
release=target/release

# The extension is built for one PHP ABI: Debian 12's PHP 8.2 (module API 20220829).
php_config=$(command -v php-config8.2 || true)
[ -n "$php_config" ] || { echo "php-config8.2 not found: apt-get install php8.2-dev" >&2; exit 1; }
extension_dir=$("$php_config" --extension-dir)
php_api=$(basename "$extension_dir")

version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
arch=$(dpkg --print-architecture)
for f in residentd resident libresident.so; do
    [ -f "$release/$f" ] || { echo "$release/$f is missing: make build" >&2; exit 1; }
done

root=$(mktemp -d "${TMPDIR:-/tmp}/resident-deb.XXXXXX")
chmod 0755 "$root"
trap 'rm -rf "$root"' EXIT
install -d "$root/DEBIAN" "$root/usr/bin" "$root$extension_dir" "$root/etc/php/8.2/mods-available" \
    "$root/etc/resident" "$root/lib/systemd/system" "$root/usr/share/doc/resident"
install -m 0755 -s "$release/residentd" "$release/resident" "$root/usr/bin/"
install -m 0644 -s "$release/libresident.so" "$root$extension_dir/resident.so"
install -m 0644 dist/resident.ini "$root/etc/php/8.2/mods-available/resident.ini"
install -m 0644 dist/residentd.toml "$root/etc/resident/residentd.toml"
install -m 0644 dist/residentd.service "$root/lib/systemd/system/residentd.service"
install -m 0644 README.md dist/deb/copyright "$root/usr/share/doc/resident/"
install -m 0755 dist/deb/postinst dist/deb/prerm dist/deb/postrm "$root/DEBIAN/"
install -m 0644 dist/deb/conffiles "$root/DEBIAN/"

# What the binaries link against (libc6, libgcc-s1), as Debian's packages compute it;
# dpkg-shlibdeps wants a debian/control to read.
shlibs=$(mktemp -d "${TMPDIR:-/tmp}/resident-shlibs.XXXXXX")
trap 'rm -rf "$root" "$shlibs"' EXIT
mkdir "$shlibs/debian"
printf 'Source: resident\n\nPackage: resident\nArchitecture: any\n' > "$shlibs/debian/control"
binaries=("$root/usr/bin/residentd" "$root/usr/bin/resident" "$root$extension_dir/resident.so")
libs=$(cd "$shlibs" && dpkg-shlibdeps -O "${binaries[@]}" 2>/dev/null | sed -n 's/^shlibs:Depends=//p')

size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
sed -e "s/@VERSION@/$version/" -e "s/@ARCH@/$arch/" -e "s/@SIZE@/$size/" \
    -e "s/@DEPENDS@/$libs, phpapi-$php_api/" dist/deb/control > "$root/DEBIAN/control"

mkdir -p "$out"
deb="$out/resident_${version}_${arch}.deb"
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
echo "$deb"
