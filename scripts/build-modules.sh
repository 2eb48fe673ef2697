#!/bin/bash
# Build guse.ko and gpio-guse.ko for the kernels of scripts/kernels.conf.
#
# usage: scripts/build-modules.sh [-f] <short-name|krel|all>...
#        (e.g. 6.1 6.12 7.3, or all; -f rebuilds even when up to date)
#
# Results: build/modules/<krel>/{guse,gpio-guse}.ko and build.log; the test
# consumer module (tests/kmod, for the VM tests only) separately, with its own
# up-to-date check, in build/modules/<krel>/test/guse-test-consumer.ko.
# kbuild writes its objects next to the sources, so kernel/ and include/ (and
# tests/kmod) are copied into a per-kernel build directory first.  The
# bookworm kernels are built against /usr/src/linux-headers-<krel> on the
# host; 7.3's kbuild needs trixie's toolchain, so it runs inside the trixie
# chroot made by setup-host.sh.  Always W=1; any compiler warning fails the
# build.
#
# Environment: GUSE_SRC (default: this tree) is the tree holding kernel/ and
# include/, handy for building a throwaway module (the test module is built
# only if it has tests/kmod).
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


# The build directory of a kernel built against on the host: Debian's
# headers in /usr/src, or the tree of a kernel built here (the debug kernel,
# scripts/build-debug-kernel.sh).
host_build_dir() { # <krel>
	local d
	for d in "/usr/src/linux-headers-$1" "$cache/kernels/$1/lib/modules/$1/build"; do
		[ -f "$d/Makefile" ] && { echo "$d"; return 0; }
	done
	return 1
}

# The kernels built inside the trixie chroot: those whose headers are there
# and not on the host.
in_chroot() {
	[ ! -d "/usr/src/linux-headers-$1" ] && [ -d "$chroot_root/usr/src/linux-headers-$1" ]
}

# The module sources under the directories given (for the up-to-date check).
sources() { # <dir relative to $src>...
	local d
	for d in "$@"; do find "$src/$d" -type f \
		\( -name '*.[ch]' -o -name Kbuild -o -name Makefile \) ! -name '*.mod.c'; done | sort
}

# Copy the source directories into a fresh build directory.
stage() { # <dir> <dir relative to $src>...
	local to=$1 d
	shift
	rm -rf "$to"
	mkdir -p "$to"
	for d in "$@"; do
		mkdir -p "$to/$(dirname "$d")"
		cp -pR "$src/$d" "$to/$d"
	done
	# drop build products of an in-tree build
	find "$to" \( -name '*.o' -o -name '*.ko' -o -name '*.mod' -o -name '*.mod.c' \
		-o -name '.*.cmd' -o -name modules.order -o -name Module.symvers \) -delete
}

# Build the modules of the kbuild directory <mdir> (e.g. kernel) from a
# staged copy of the source <dir>s into <out> (with build.log and .stamp),
# unless <out> has every one of <kos> and was built from the same sources.
# <name> names the staging directory and the messages.
build_set() { # <krel> <name> <out> <mdir> "<kos>" <dir>...
	local krel=$1 name=$2 out=$3 mdir=$4 kos=$5 bdir log kbuild_dir stamp ko have=1
	shift 5
	log=$out/build.log
	mkdir -p "$out"
	stamp=$(sources "$@" | xargs cat | cksum)
	for ko in $kos; do [ -f "$out/$ko" ] || have=0; done
	if [ $force = 0 ] && [ $have = 1 ] &&
		[ "$(cat "$out/.stamp" 2>/dev/null)" = "$stamp" ]; then
		say "$name: up to date ($out)"
		return
	fi
	rm -f "$out"/*.ko "$out/.stamp"
	if in_chroot "$krel"; then
		# one directory per checkout, so that two trees can build at once
		local tag
		tag=$(echo "$top" | cksum | cut -d' ' -f1)
		bdir=$chroot_root/build/guse-$tag-$name
		kbuild_dir=/build/guse-$tag-$name/$mdir
		say "$name: building in the trixie chroot ($bdir)"
		stage "$bdir" "$@"
		# objtool reads /proc: give the chroot one, in a private mount
		# namespace so that nothing stays mounted afterwards.
		if ! unshare --mount --fork chroot "$chroot_root" /bin/sh -c \
			'mount -t proc proc /proc && exec make -C "$1" M="$2" W=1 modules' \
			sh "/usr/src/linux-headers-$krel" "$kbuild_dir" >"$log" 2>&1; then
			cat "$log" >&2
			say "$name: BUILD FAILED (log: $log)"
			return 1
		fi
		bdir=$bdir/$mdir
	else
		local kdir
		kdir=$(host_build_dir "$krel") ||
			{ say "$krel: no headers in /usr/src (run scripts/setup-host.sh)"; return 1; }
		bdir=$top/build/kbuild/$name
		say "$name: building against $kdir ($bdir)"
		stage "$bdir" "$@"
		if ! make -C "$kdir" M="$bdir/$mdir" W=1 modules \
			>"$log" 2>&1; then
			cat "$log" >&2
			say "$name: BUILD FAILED (log: $log)"
			return 1
		fi
		bdir=$bdir/$mdir
	fi
	if grep -q 'warning:' "$log"; then
		grep -B2 -A4 'warning:' "$log" >&2
		say "$name: compiler warnings (W=1): failing (log: $log)"
		return 1
	fi
	local n=0
	for ko in "$bdir"/*.ko; do
		[ -f "$ko" ] || continue
		cp "$ko" "$out/"
		n=$((n + 1))
	done
	[ $n -gt 0 ] || { say "$name: no .ko produced"; return 1; }
	echo "$stamp" >"$out/.stamp"
	say "$name: ok: $(cd "$out" && echo *.ko)"
}

# The modules, then (independently of them) the test module.
build_one() { # <krel>
	local krel=$1 st=0
	build_set "$krel" "$krel" "$out_base/$krel" kernel "guse.ko gpio-guse.ko" \
		kernel include || st=1
	[ -d "$src/tests/kmod" ] || return $st
	build_set "$krel" "$krel-test" "$out_base/$krel/test" tests/kmod \
		guse-test-consumer.ko tests/kmod || st=1
	return $st
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
