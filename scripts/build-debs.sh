#!/bin/bash
# Build guse's Debian packages (guse-dkms, gpio-sim-guse-dkms, libguse0,
# libguse-dev, guse-tools, python3-guse) with dpkg-buildpackage -us -uc -b,
# in a copy of the tree so that the tree's own configured build is left
# alone, then check them with lintian.
#
# usage: scripts/build-debs.sh [--out DIR] [--src DIR] [--no-lintian]
#   --out DIR     where the .deb, .buildinfo and .changes files go
#                 (default: build/debs)
#   --src DIR     the tree to package (default: this one); its tracked and
#                 untracked-but-not-ignored files are copied when it is a git
#                 checkout, everything but build/ otherwise
#   --no-lintian  skip lintian
#
# DEB_BUILD_OPTIONS is passed on (e.g. nocheck, parallel=2).  The build
# dependencies are those of debian/control (scripts/setup-host.sh installs
# them); a missing one stops dpkg-buildpackage with its name.  Exits
# nonzero when the build fails or lintian reports an error or a warning
# (lintian overrides are in debian/*.lintian-overrides, each with its
# reason).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
src=$top out=$top/build/debs lintian=1

say() { printf 'build-debs: %s\n' "$*" >&2; }

while [ $# -gt 0 ]; do
	case $1 in
	--out) out=${2:?}; shift 2 ;;
	--src) src=$(cd "${2:?}" && pwd); shift 2 ;;
	--no-lintian) lintian=0; shift ;;
	-h | --help) sed -n '5,11p' "$0" | sed 's/^# //'; exit 0 ;;
	*) say "unknown argument: $1"; exit 2 ;;
	esac
done
mkdir -p "$out"
out=$(cd "$out" && pwd)

version=$(sed -n 's/^AC_INIT(\[guse\], *\[\([^]]*\)\].*/\1/p' "$src/configure.ac")
[ -n "$version" ] || { say "no AC_INIT version in $src/configure.ac"; exit 1; }

# dpkg-buildpackage puts its results beside the source directory
work=$(mktemp -d "$out/.work.XXXXXX")
# make check runs guse-sim as an unprivileged user too (tools/tests)
chmod 755 "$work"
trap 'rm -rf "$work"' EXIT
pkgsrc=$work/guse-$version
mkdir -p "$pkgsrc"
say "copying $src to $pkgsrc"
# (a copy below build/ of a checkout is no checkout of its own)
if [ "$(git -C "$src" rev-parse --show-toplevel 2>/dev/null)" = "$src" ]; then
	(cd "$src" && git ls-files -co --exclude-standard -z | tar --null -T - -c -f -) |
		tar -x -C "$pkgsrc" -f -
else
	tar -C "$src" --exclude=./build -c -f - . | tar -x -C "$pkgsrc" -f -
fi

say "dpkg-buildpackage -us -uc -b (guse $version, DEB_BUILD_OPTIONS='${DEB_BUILD_OPTIONS:-}')"
start=$(date +%s)
if ! (cd "$pkgsrc" && dpkg-buildpackage -us -uc -b) >"$out/build.log" 2>&1; then
	tail -40 "$out/build.log" >&2
	say "dpkg-buildpackage failed (log: $out/build.log)"
	exit 1
fi
say "built in $(($(date +%s) - start)) s"
changes=$(ls "$work"/guse_*.changes)
rm -f "$out"/*.deb "$out"/guse_*.changes "$out"/guse_*.buildinfo
mv "$work"/*.deb "$work"/guse_*.buildinfo "$changes" "$out/"
changes=$out/$(basename "$changes")
(cd "$out" && ls -1 *.deb) | sed 's/^/build-debs:   /' >&2

if [ $lintian = 1 ]; then
	say "lintian $changes"
	# --fail-on warning: a warning fails as an error does; overrides (with
	# their reasons) are shown, so that they are seen
	if ! lintian --fail-on error,warning --show-overrides --info "$changes" \
		>"$out/lintian.log" 2>&1; then
		cat "$out/lintian.log" >&2
		say "lintian found errors or warnings (log: $out/lintian.log)"
		exit 1
	fi
	sed 's/^/build-debs: lintian: /' "$out/lintian.log" >&2
fi
say "packages in $out"
