#!/bin/bash
# The DKMS path of the README, checked on the host: `make dkms-install`
# into a scratch root, then `dkms add` and `dkms build` (with a private
# source and DKMS tree, so nothing of the system's DKMS state is touched)
# for every kernel whose headers are installed on the host.  KTAP output;
# exit 0 pass, 1 fail, 4 skip (no dkms or no configured build tree).
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
echo "1..$((1 + ${#krels[@]}))"
if ! command -v dkms >/dev/null || [ ! -f "$top/Makefile" ]; then
	why=$(command -v dkms >/dev/null || echo "dkms not installed")
	why=${why:-"no configured build tree (./configure)"}
	for i in $(seq $((1 + ${#krels[@]}))); do echo "ok $i dkms # SKIP $why"; done
	exit 4
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
version=$(sed -n 's/^PACKAGE_VERSION = //p' "$top/Makefile")
fail=0
if make -s -C "$top" dkms-install DESTDIR="$tmp/root" >"$tmp/install.log" 2>&1 &&
	grep -qx "PACKAGE_VERSION=\"$version\"" "$tmp/root/usr/src/guse-$version/dkms.conf" &&
	mkdir -p "$tmp/tree" &&
	dkms add -m guse -v "$version" --sourcetree "$tmp/root/usr/src" \
		--dkmstree "$tmp/tree" >>"$tmp/install.log" 2>&1; then
	echo "ok 1 make dkms-install gives a tree dkms accepts (guse/$version)"
else
	echo "not ok 1 make dkms-install gives a tree dkms accepts (guse/$version)"
	sed 's/^/# /' "$tmp/install.log" | tail -20
	fail=1
fi
n=1
for krel in "${krels[@]}"; do
	n=$((n + 1))
	if dkms build -m guse -v "$version" -k "$krel" --sourcetree "$tmp/root/usr/src" \
		--dkmstree "$tmp/tree" >"$tmp/build.log" 2>&1 &&
		ls "$tmp/tree/guse/$version/$krel"/*/module/gpio-guse.ko* >/dev/null 2>&1 &&
		ls "$tmp/tree/guse/$version/$krel"/*/module/guse.ko* >/dev/null 2>&1; then
		echo "ok $n dkms build for $krel"
	else
		echo "not ok $n dkms build for $krel"
		sed 's/^/# /' "$tmp/build.log" | tail -20
		fail=1
	fi
done
exit $fail
