#!/bin/bash
# Build guse.ko and gpio-guse.ko for the kernels of scripts/kernels.conf.
#
# usage: scripts/build-modules.sh [-f] <short-name|krel|all>...
#        (e.g. 6.1 6.12 7.3, or all; -f rebuilds even when up to date)
#
# Results: build/modules/<krel>/{guse,gpio-guse}.ko and build.log.
# kbuild writes its objects next to the sources, so kernel/ and include/ are
# copied into a per-kernel build directory first.  The bookworm kernels are
# built against /usr/src/linux-headers-<krel> on the host; 7.3's kbuild needs
# trixie's toolchain, so it runs inside the trixie chroot made by
# setup-host.sh.  Always W=1; any compiler warning fails the build.
#
# Environment: GUSE_SRC (default: this tree) is the tree holding kernel/ and
# include/, handy for building a throwaway module.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
. "$top/scripts/common.sh"
cache=$GUSE_CACHE
chroot_root=$cache/trixie-root
src=${GUSE_SRC:-$top}
out_base=$top/build/modules
force=0

say() { printf 'build-modules: %s\n' "$*" >&2; }


# The kernels built inside the trixie chroot: those whose headers are there
# and not on the host.
in_chroot() {
	[ ! -d "/usr/src/linux-headers-$1" ] && [ -d "$chroot_root/usr/src/linux-headers-$1" ]
}

# The module sources the build depends on (for the up-to-date check).
sources() {
	find "$src/kernel" "$src/include" -type f \
		\( -name '*.[ch]' -o -name Kbuild -o -name Makefile \) ! -name '*.mod.c' | sort
}

# Copy the sources into a fresh build directory.
stage() { # <dir>
	rm -rf "$1"
	mkdir -p "$1"
	cp -pR "$src/kernel" "$src/include" "$1/"
	# drop build products of an in-tree build
	find "$1/kernel" \( -name '*.o' -o -name '*.ko' -o -name '*.mod' -o -name '*.mod.c' \
		-o -name '.*.cmd' -o -name modules.order -o -name Module.symvers \) -delete
}

build_one() { # <krel>
	local krel=$1 out=$out_base/$1 bdir log kbuild_dir stamp
	log=$out/build.log
	mkdir -p "$out"
	stamp=$(sources | xargs cat | cksum)
	if [ $force = 0 ] && [ -f "$out/guse.ko" ] && [ -f "$out/gpio-guse.ko" ] &&
		[ "$(cat "$out/.stamp" 2>/dev/null)" = "$stamp" ]; then
		say "$krel: up to date ($out)"
		return
	fi
	rm -f "$out"/*.ko "$out/.stamp"
	if in_chroot "$krel"; then
		# one directory per checkout, so that two trees can build at once
		local tag
		tag=$(echo "$top" | cksum | cut -d' ' -f1)
		bdir=$chroot_root/build/guse-$tag-$krel
		kbuild_dir=/build/guse-$tag-$krel/kernel
		say "$krel: building in the trixie chroot ($bdir)"
		stage "$bdir"
		# objtool reads /proc: give the chroot one, in a private mount
		# namespace so that nothing stays mounted afterwards.
		if ! unshare --mount --fork chroot "$chroot_root" /bin/sh -c \
			'mount -t proc proc /proc && exec make -C "$1" M="$2" W=1 modules' \
			sh "/usr/src/linux-headers-$krel" "$kbuild_dir" >"$log" 2>&1; then
			cat "$log" >&2
			say "$krel: BUILD FAILED (log: $log)"
			return 1
		fi
		bdir=$bdir/kernel
	else
		[ -d "/usr/src/linux-headers-$krel" ] ||
			{ say "$krel: no headers in /usr/src (run scripts/setup-host.sh)"; return 1; }
		bdir=$top/build/kbuild/$krel
		say "$krel: building against /usr/src/linux-headers-$krel ($bdir)"
		stage "$bdir"
		if ! make -C "/usr/src/linux-headers-$krel" M="$bdir/kernel" W=1 modules \
			>"$log" 2>&1; then
			cat "$log" >&2
			say "$krel: BUILD FAILED (log: $log)"
			return 1
		fi
		bdir=$bdir/kernel
	fi
	if grep -q 'warning:' "$log"; then
		grep -B2 -A4 'warning:' "$log" >&2
		say "$krel: compiler warnings (W=1): failing (log: $log)"
		return 1
	fi
	local ko n=0
	for ko in "$bdir"/*.ko; do
		[ -f "$ko" ] || continue
		cp "$ko" "$out/"
		n=$((n + 1))
	done
	[ $n -gt 0 ] || { say "$krel: no .ko produced"; return 1; }
	echo "$stamp" >"$out/.stamp"
	say "$krel: ok: $(cd "$out" && echo *.ko)"
}

main() {
	local args=() all k
	while [ $# -gt 0 ]; do
		case $1 in
		-f | --force) force=1 ;;
		-h | --help) sed -n '4,5p' "$0" | sed 's/^# //'; exit 0 ;;
		all) read -r -a all <<<"$GUSE_KERNELS"; args+=("${all[@]}") ;;
		*) args+=("$1") ;;
		esac
		shift
	done
	[ ${#args[@]} -gt 0 ] || { sed -n '4,5p' "$0" | sed 's/^# //' >&2; exit 2; }
	[ -f "$src/kernel/Kbuild" ] || [ -f "$src/kernel/Makefile" ] ||
		{ say "no $src/kernel/Kbuild"; exit 1; }
	local failed=0
	for k in "${args[@]}"; do
		build_one "$(resolve_krel "$k")" || failed=1
	done
	return $failed
}

main "$@"
