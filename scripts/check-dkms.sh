#!/bin/bash
# The DKMS path of the README, checked on the host: `make dkms-install`
# into a scratch root, then `dkms add` and `dkms build` of both trees, guse
# and gpio-sim-guse (with a private source and DKMS tree, so nothing of the
# system's DKMS state is touched) for every kernel whose headers are
# installed on the host, and gpio-sim-guse's BUILD_EXCLUSIVE_CONFIG refusing
# 7.3 (whose headers, in the trixie chroot, say CONFIG_GPIO_SIM=m).  KTAP
# output; exit 0 pass, 1 fail, 4 skip (no dkms or no configured build tree).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
. "$here/common.sh"

krels=()
for k in $GUSE_KERNELS; do
	krel=$(resolve_krel "$k")
	[ -d "/lib/modules/$krel/build" ] && krels+=("$krel")
done
echo "KTAP version 1"
echo "1..$((2 + ${#krels[@]}))"
if ! command -v dkms >/dev/null || [ ! -f "$top/Makefile" ]; then
	why=$(command -v dkms >/dev/null || echo "dkms not installed")
	why=${why:-"no configured build tree (./configure)"}
	for i in $(seq $((2 + ${#krels[@]}))); do echo "ok $i dkms # SKIP $why"; done
	exit 4
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
version=$(sed -n 's/^PACKAGE_VERSION = //p' "$top/Makefile")
fail=0
if make -s -C "$top" dkms-install DESTDIR="$tmp/root" >"$tmp/install.log" 2>&1 &&
	grep -qx "PACKAGE_VERSION=\"$version\"" "$tmp/root/usr/src/guse-$version/dkms.conf" &&
	mkdir -p "$tmp/tree" &&
	grep -qx "PACKAGE_VERSION=\"$version\"" "$tmp/root/usr/src/gpio-sim-guse-$version/dkms.conf" &&
	dkms add -m guse -v "$version" --sourcetree "$tmp/root/usr/src" \
		--dkmstree "$tmp/tree" >>"$tmp/install.log" 2>&1 &&
	dkms add -m gpio-sim-guse -v "$version" --sourcetree "$tmp/root/usr/src" \
		--dkmstree "$tmp/tree" >>"$tmp/install.log" 2>&1; then
	echo "ok 1 make dkms-install gives trees dkms accepts (guse/$version, gpio-sim-guse/$version)"
else
	echo "not ok 1 make dkms-install gives trees dkms accepts (guse/$version, gpio-sim-guse/$version)"
	sed 's/^/# /' "$tmp/install.log" | tail -20
	fail=1
fi
n=1
for krel in "${krels[@]}"; do
	n=$((n + 1))
	if dkms build -m guse -v "$version" -k "$krel" --sourcetree "$tmp/root/usr/src" \
		--dkmstree "$tmp/tree" >"$tmp/build.log" 2>&1 &&
		ls "$tmp/tree/guse/$version/$krel"/*/module/gpio-guse.ko* >/dev/null 2>&1 &&
		ls "$tmp/tree/guse/$version/$krel"/*/module/guse.ko* >/dev/null 2>&1 &&
		! ls "$tmp/tree/guse/$version/$krel"/*/module/gpio-sim.ko* >/dev/null 2>&1 &&
		dkms build -m gpio-sim-guse -v "$version" -k "$krel" --sourcetree "$tmp/root/usr/src" \
			--dkmstree "$tmp/tree" >>"$tmp/build.log" 2>&1 &&
		ls "$tmp/tree/gpio-sim-guse/$version/$krel"/*/module/gpio-sim.ko* >/dev/null 2>&1; then
		echo "ok $n dkms build for $krel (guse: guse.ko, gpio-guse.ko; gpio-sim-guse: gpio-sim.ko)"
	else
		echo "not ok $n dkms build for $krel (guse: guse.ko, gpio-guse.ko; gpio-sim-guse: gpio-sim.ko)"
		sed 's/^/# /' "$tmp/build.log" | tail -20
		fail=1
	fi
done
# A kernel with its own gpio-sim: DKMS refuses gpio-sim-guse (exit 77,
# "does not match this kernel/arch/config") before building anything.
n=$((n + 1))
k73=$(resolve_krel 7.3)
hdr=$GUSE_CACHE/trixie-root/usr/src/linux-headers-$k73
if ! grep -q '^CONFIG_GPIO_SIM=[ym]' "$hdr/.config" 2>/dev/null; then
	echo "ok $n gpio-sim-guse is not built where the kernel has gpio-sim # SKIP no $hdr/.config with CONFIG_GPIO_SIM (scripts/setup-host.sh)"
else
	dkms build -m gpio-sim-guse -v "$version" -k "$k73" --kernelsourcedir "$hdr" \
		--sourcetree "$tmp/root/usr/src" --dkmstree "$tmp/tree" >"$tmp/excl.log" 2>&1
	st=$?
	if [ $st = 77 ] && grep -q 'BUILD_EXCLUSIVE' "$tmp/excl.log" &&
		[ ! -d "$tmp/tree/gpio-sim-guse/$version/$k73" ]; then
		echo "ok $n gpio-sim-guse is not built for $k73, which has gpio-sim (BUILD_EXCLUSIVE_CONFIG)"
	else
		echo "not ok $n gpio-sim-guse is not built for $k73, which has gpio-sim (BUILD_EXCLUSIVE_CONFIG)"
		echo "# dkms build exit status $st"
		sed 's/^/# /' "$tmp/excl.log" | tail -20
		fail=1
	fi
fi
exit $fail
