#!/bin/bash
# Build the suite's debug kernel from Debian's own 6.12 source
# (linux-source-6.12 from bookworm-backports, the release the stock 6.12
# kernel of the suite is built from): x86_64_defconfig + kvm_guest.config +
# scripts/debug-kernel.config (KASAN, lockdep, kmemleak, UBSAN,
# DEBUG_OBJECTS, SLUB debugging, hung-task detection, fault injection).
#
# usage: scripts/build-debug-kernel.sh [-f]
#
# The result is laid out like the unpacked Debian kernels, in
# $GUSE_CACHE/kernels/<krel>/ (boot/vmlinuz-<krel>, lib/modules/<krel>/,
# whose build/ is the configured source tree modules are built against).
# Built once per machine: a second run only checks that the config fragment
# and the source package are unchanged.  About 20 minutes on 2 cores.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
. "$here/common.sh"
cache=$GUSE_CACHE
krel=$GUSE_KREL_debug
pkg=linux-source-6.12
pkgver=$GUSE_DEBUG_SOURCE_VERSION
frag=$here/debug-kernel.config
dest=$cache/kernels/$krel
src=$cache/debug-kernel/src
force=0
[ "${1:-}" = -f ] && force=1

say() { printf 'build-debug-kernel: %s\n' "$*" >&2; }

stamp=$( (echo "$pkgver"; cat "$frag") | cksum | cut -d' ' -f1)
if [ $force = 0 ] && [ -f "$dest/.complete" ] && [ "$(cat "$dest/.complete")" = "$stamp" ]; then
	say "$krel: up to date ($dest)"
	exit 0
fi

deb=$cache/debs/${pkg}_${pkgver}_all.deb
if [ ! -f "$deb" ]; then
	say "downloading $pkg=$pkgver"
	mkdir -p "$cache/debs"
	(cd "$cache/debs" && apt-get download -q -o APT::Sandbox::User=root "$pkg=$pkgver" >/dev/null)
fi
[ -f "$deb" ] || { say "no $deb after download"; exit 1; }

say "unpacking $pkg $pkgver into $src"
rm -rf "$src" "$dest"
mkdir -p "$src"
dpkg-deb --fsys-tarfile "$deb" | tar -xO ./usr/src/linux-source-6.12.tar.xz |
	tar -xJ -C "$src" --strip-components=1

# defconfig, then the fragment applied with scripts/config and resolved by
# olddefconfig; every option of the fragment must have survived.
cd "$src"
make -s x86_64_defconfig kvm_guest.config >/dev/null
args=()
while IFS= read -r line; do
	case $line in '' | '#'*) continue ;; esac
	name=${line%%=*} val=${line#*=}
	case $val in
	y) args+=(--enable "$name") ;;
	m) args+=(--module "$name") ;;
	n) args+=(--disable "$name") ;;
	\"*) val=${val#\"}; args+=(--set-str "$name" "${val%\"}") ;;
	*) args+=(--set-val "$name" "$val") ;;
	esac
done <"$frag"
scripts/config "${args[@]}"
make -s olddefconfig
# a second pass: options whose dependencies the first pass only enabled
scripts/config "${args[@]}"
make -s olddefconfig
bad=0
while IFS= read -r line; do
	case $line in '' | '#'*) continue ;; esac
	name=${line%%=*} val=${line#*=}
	case $val in
	n) grep -qx "CONFIG_$name=[ym].*" .config && { say "CONFIG_$name still set"; bad=1; } ;;
	*) grep -qx "CONFIG_$name=$val" .config || { say "CONFIG_$name=$val did not stick: $(grep "CONFIG_$name[= ]" .config || echo unset)"; bad=1; } ;;
	esac
done <"$frag"
grep -qx CONFIG_GPIOLIB_IRQCHIP=y .config || { say "CONFIG_GPIOLIB_IRQCHIP is not set"; bad=1; }
[ $bad = 0 ] || exit 1

say "building $krel (about 20 minutes on 2 cores; log: $cache/debug-kernel/build.log)"
start=$(date +%s)
if ! nice -n 10 make -j"$(nproc)" bzImage modules >"$cache/debug-kernel/build.log" 2>&1; then
	tail -40 "$cache/debug-kernel/build.log" >&2
	say "BUILD FAILED"
	exit 1
fi
[ "$(make -s kernelrelease)" = "$krel" ] || { say "release is $(make -s kernelrelease), not $krel"; exit 1; }
mkdir -p "$dest/boot"
cp arch/x86/boot/bzImage "$dest/boot/vmlinuz-$krel"
cp .config "$dest/boot/config-$krel"
cp System.map "$dest/boot/System.map-$krel"
make -s INSTALL_MOD_PATH="$dest" modules_install >/dev/null
# modules_install points build/ at this tree: out-of-tree modules use it
ln -sfn "$src" "$dest/lib/modules/$krel/build"
echo "$stamp" >"$dest/.complete"
say "done in $(($(date +%s) - start)) s: $dest"
