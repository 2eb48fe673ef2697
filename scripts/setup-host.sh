#!/bin/bash
# Prepare a Debian 12 (bookworm) machine to build and test guse.
#
# - adds the apt suites guse needs (bookworm-backports, trixie,
#   trixie-backports) with pins that keep the base system on bookworm,
# - installs exact packages: toolchain, autotools, QEMU, busybox, the
#   libgpiod v2 tools and headers, kernel headers for 6.1 and 6.12,
#   python3-dev, pytest and python3-libgpiod 2.1.3 (the Python bindings),
#   simavr and the AVR toolchain (guse-avr and its test firmwares),
# - downloads (never installs) the kernel images the test VM boots,
# - builds a trixie chroot carrying the 7.3 headers and gcc-14,
# - fetches libgpiod's source (its Python binding tests) through deb-src.
#
# Idempotent: a second run only checks.  Downloads are cached in
# $GUSE_CACHE (default /var/cache/guse).  Never upgrades installed packages.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
. "$here/kernels.conf"
cache=${GUSE_CACHE:-/var/cache/guse}
mirror=${GUSE_DEBIAN_MIRROR:-http://deb.debian.org/debian}

say() { printf 'setup: %s\n' "$*" >&2; }

[ "$(id -u)" = 0 ] || { say "must run as root"; exit 1; }
export DEBIAN_FRONTEND=noninteractive
mkdir -p "$cache/debs" "$cache/kernels"

# --- apt suites ----------------------------------------------------------
src=/etc/apt/sources.list.d/guse-extra.sources
want_src="Types: deb
URIs: $mirror
Suites: bookworm-backports trixie trixie-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg"
pin=/etc/apt/preferences.d/guse-pin
want_pin="# guse: trixie is only used for exact, named packages.
Package: *
Pin: release n=trixie
Pin-Priority: 50

Package: *
Pin: release n=trixie-backports
Pin-Priority: 50"
need_update=0
if [ "$(cat "$src" 2>/dev/null)" != "$want_src" ]; then
	say "adding apt suites bookworm-backports, trixie, trixie-backports"
	printf '%s\n' "$want_src" >"$src"
	need_update=1
fi
if [ "$(cat "$pin" 2>/dev/null)" != "$want_pin" ]; then
	say "pinning trixie below bookworm"
	printf '%s\n' "$want_pin" >"$pin"
	need_update=1
fi
if ! apt-cache show "linux-headers-$GUSE_KREL_6_12" >/dev/null 2>&1; then
	need_update=1
fi
if [ $need_update = 1 ]; then
	say "apt-get update"
	apt-get update -qq
fi

# --- host packages -------------------------------------------------------
bpo=bookworm-backports
pkgs=(
	build-essential autoconf automake libtool pkg-config
	cpio kmod busybox-static qemu-system-x86 debootstrap valgrind dkms strace
	python3 xz-utils zstd bc
	flex bison libelf-dev libssl-dev
	libfuse3-dev fuse3 shunit2
	# guse-avr (bridges/avr/): simavr's library, the AVR toolchain for its
	# test firmwares (bookworm: simavr 1.6, gcc-avr 5.4, avr-libc 2.0)
	simavr libsimavr-dev gcc-avr avr-libc binutils-avr
	qemu-system-arm gcc-arm-none-eabi binutils-arm-none-eabi libjansson-dev
	# guse-qemu's Linux guest (bridges/qemu/linux-guest): its static /init
	gcc-aarch64-linux-gnu libc6-dev-arm64-cross
	"gpiod/$bpo" "libgpiod3/$bpo" "libgpiod-dev/$bpo"
	# the Python bindings (bindings/python): headers and setuptools to
	# build them, pip to install them from the tree, pytest and libgpiod's
	# Python binding (the VM tests' consumer, exactly this version)
	python3-dev python3-setuptools python3-pip python3-pytest
	"python3-libgpiod=2.1.3-1~bpo12+1"
	# the Debian packages (debian/, scripts/build-debs.sh)
	debhelper dh-dkms dh-python lintian fakeroot
	"linux-headers-$GUSE_KREL_6_1"
	"linux-headers-$GUSE_KREL_6_12/$bpo"
	"linux-headers-${GUSE_KREL_6_12%-amd64}-common/$bpo"
	"linux-kbuild-${GUSE_KREL_6_12%-amd64}/$bpo"
)
missing=()
for p in "${pkgs[@]}"; do
	name=${p%/*}
	if [ "$p" != "${p%%=*}" ]; then
		# name=version: exactly that version, from whichever suite has it
		inst=$(dpkg-query -W -f='${Version}' "${p%%=*}" 2>/dev/null || true)
		[ "$inst" = "${p#*=}" ] && continue
	elif [ "$p" != "$name" ]; then
		# must be the version from that suite
		# version lines: "[***] <version> <prio>"; source lines:
		# "<prio> <uri> <suite>/<component> ..." or "<prio> /var/lib/dpkg/status"
		cand=$(apt-cache policy "$name" | awk -v s="${p#*/}" '
			$1 == "***" && NF == 3 { v = $2; next }
			NF == 2 && $2 !~ /^\// { v = $1; next }
			index($0, " " s "/") { print v; exit }')
		inst=$(dpkg-query -W -f='${Version}' "$name" 2>/dev/null || true)
		[ -n "$inst" ] && [ "$inst" = "$cand" ] && continue
	else
		dpkg-query -W -f='${Status}' "$name" 2>/dev/null | grep -q 'ok installed' && continue
	fi
	missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	say "installing: ${missing[*]}"
	apt-get install -y -q --no-install-recommends \
		-o Dpkg::Options::=--force-confold "${missing[@]}" >"$cache/apt.log" 2>&1 ||
		{ tail -30 "$cache/apt.log" >&2; exit 1; }
else
	say "host packages present"
fi

# --- kernel images for the test VM (downloaded and unpacked, not installed)
fetch_kernel() { # <short> <release> <suite> <package...>
	local short=$1 rel=$2 suite=$3 dir pkg
	shift 3
	dir=$cache/kernels/$rel
	if [ -f "$dir/.complete" ]; then
		normalize_kernel "$dir" "$rel" # caches from older versions of this script
		return
	fi
	say "fetching kernel $rel ($suite)"
	rm -rf "$dir"
	mkdir -p "$dir"
	for pkg in "$@"; do
		if ! ls "$cache/debs/${pkg}_"*.deb >/dev/null 2>&1; then
			(cd "$cache/debs" && apt-get download -q -o APT::Sandbox::User=root "$pkg/$suite" >/dev/null)
		fi
		dpkg-deb -x "$(ls "$cache/debs/${pkg}_"*.deb | head -1)" "$dir"
	done
	normalize_kernel "$dir" "$rel"
	[ -f "$dir/boot/vmlinuz-$rel" ] || { say "no vmlinuz in $dir"; exit 1; }
	touch "$dir/.complete"
}

# Give every unpacked kernel the same layout, boot/vmlinuz-<rel> and
# lib/modules/<rel>/ with a modules.dep: trixie's packages put everything in
# usr/lib/modules/<rel>/ (vmlinuz included), and no package ships modules.dep
# (depmod runs at install time, which we skip).
normalize_kernel() { # <dir> <release>
	local dir=$1 rel=$2 f
	if [ -d "$dir/usr/lib/modules/$rel" ] && [ ! -e "$dir/lib/modules/$rel" ]; then
		mkdir -p "$dir/lib/modules"
		mv "$dir/usr/lib/modules/$rel" "$dir/lib/modules/$rel"
	fi
	mkdir -p "$dir/boot"
	for f in vmlinuz System.map config; do
		if [ -e "$dir/lib/modules/$rel/$f" ] && [ ! -e "$dir/boot/$f-$rel" ]; then
			ln -s "../lib/modules/$rel/$f" "$dir/boot/$f-$rel"
		fi
	done
	if [ ! -f "$dir/lib/modules/$rel/modules.dep" ]; then
		depmod -b "$dir" "$rel"
	fi
}
fetch_kernel 6.1 "$GUSE_KREL_6_1" bookworm "linux-image-$GUSE_KREL_6_1"
fetch_kernel 6.12 "$GUSE_KREL_6_12" bookworm-backports "linux-image-$GUSE_KREL_6_12"
v73=${GUSE_KREL_7_3%-amd64}
fetch_kernel 7.3 "$GUSE_KREL_7_3" trixie-backports \
	"linux-binary-$GUSE_KREL_7_3" "linux-modules-$GUSE_KREL_7_3" \
	"linux-base-$GUSE_KREL_7_3"

# --- checkpatch.pl and kernel-doc (not in the headers packages) ------------
lint=$cache/checkpatch
if [ ! -f "$lint/.complete" ]; then
	say "extracting checkpatch.pl from linux-source-6.1 (about 15 s)"
	if ! ls "$cache/debs/linux-source-6.1_"*.deb >/dev/null 2>&1; then
		(cd "$cache/debs" && apt-get download -q -o APT::Sandbox::User=root linux-source-6.1/bookworm >/dev/null)
	fi
	rm -rf "$lint"
	mkdir -p "$lint"
	dpkg-deb --fsys-tarfile "$(ls "$cache/debs/linux-source-6.1_"*.deb | head -1)" |
		tar -xO ./usr/src/linux-source-6.1.tar.xz |
		tar -xJ -C "$lint" --strip-components=1 \
			linux-source-6.1/scripts/checkpatch.pl \
			linux-source-6.1/scripts/spelling.txt \
			linux-source-6.1/scripts/const_structs.checkpatch \
			linux-source-6.1/scripts/kernel-doc
	touch "$lint/.complete"
fi

# --- the kernel's kselftest harness, a build dependency of the C tests ----
# (kselftest_harness.h and kselftest.h from the linux-source-6.12 the debug
# kernel is built from; configure finds them here)
kst=$cache/kselftest
if [ ! -f "$kst/.complete" ]; then
	say "extracting the kselftest harness from linux-source-6.12"
	deb=$cache/debs/linux-source-6.12_${GUSE_DEBUG_SOURCE_VERSION}_all.deb
	if [ ! -f "$deb" ]; then
		(cd "$cache/debs" && apt-get download -q -o APT::Sandbox::User=root \
			"linux-source-6.12=$GUSE_DEBUG_SOURCE_VERSION" >/dev/null)
	fi
	rm -rf "$kst"
	mkdir -p "$kst"
	dpkg-deb --fsys-tarfile "$deb" | tar -xO ./usr/src/linux-source-6.12.tar.xz |
		tar -xJ -C "$kst" --strip-components=4 \
			linux-source-6.12/tools/testing/selftests/kselftest_harness.h \
			linux-source-6.12/tools/testing/selftests/kselftest.h
	touch "$kst/.complete"
fi

# --- the kernel's gpio-mockup selftest, a test dependency -----------------
# tests/kselftest/86-gpio-mockup.sh runs tools/testing/selftests/gpio/
# gpio-mockup.sh (which sources gpio-mockup-sysfs.sh) of the same
# linux-source-6.12, unmodified, against guse-sim chips through the shim in
# tests/upstream/gpio-mockup/.  Its helper gpio-mockup-cdev is built here
# from that source against the installed uapi headers (linux-libc-dev), next
# to the scripts, where gpio-mockup.sh looks for it.
# gpio-sim.sh and its helpers gpio-chip-info and gpio-line-name run in
# tests/kselftest/48-gpiosim-compat.sh against guse's gpio-sim.ko.
kgpio=$cache/kselftest-gpio
if [ ! -f "$kgpio/.complete" ] || [ ! -x "$kgpio/gpio-line-name" ]; then
	say "extracting the gpio selftests (gpio-mockup, gpio-sim) from linux-source-6.12"
	deb=$cache/debs/linux-source-6.12_${GUSE_DEBUG_SOURCE_VERSION}_all.deb
	if [ ! -f "$deb" ]; then
		(cd "$cache/debs" && apt-get download -q -o APT::Sandbox::User=root \
			"linux-source-6.12=$GUSE_DEBUG_SOURCE_VERSION" >/dev/null)
	fi
	rm -rf "$kgpio"
	mkdir -p "$kgpio"
	dpkg-deb --fsys-tarfile "$deb" | tar -xO ./usr/src/linux-source-6.12.tar.xz |
		tar -xJ -C "$kgpio" --strip-components=5 \
			linux-source-6.12/tools/testing/selftests/gpio/gpio-mockup.sh \
			linux-source-6.12/tools/testing/selftests/gpio/gpio-mockup-sysfs.sh \
			linux-source-6.12/tools/testing/selftests/gpio/gpio-mockup-cdev.c \
			linux-source-6.12/tools/testing/selftests/gpio/gpio-sim.sh \
			linux-source-6.12/tools/testing/selftests/gpio/gpio-chip-info.c \
			linux-source-6.12/tools/testing/selftests/gpio/gpio-line-name.c
	for p in gpio-mockup-cdev gpio-chip-info gpio-line-name; do
		cc -O2 -g -Wall -o "$kgpio/$p" "$kgpio/$p.c"
	done
	echo "linux-source-6.12 $GUSE_DEBUG_SOURCE_VERSION" >"$kgpio/ORIGIN"
	touch "$kgpio/.complete"
fi

# --- QEMU 10.0 beside the system's 7.2, for guse-qemu's tests ------------
# bookworm-backports' qemu-system-arm and the packages of its data and
# modules, unpacked (not installed) into $cache/qemu-10.0; run it as
#   QEMU_MODULE_DIR=$cache/qemu-10.0/usr/lib/x86_64-linux-gnu/qemu \
#   $cache/qemu-10.0/usr/bin/qemu-system-arm -L $cache/qemu-10.0/usr/share/qemu
# (its own modules must be found first: 7.2's abort a 10.0 QEMU).
q10=$cache/qemu-10.0
if [ ! -f "$q10/.complete" ]; then
	say "unpacking QEMU 10.0 (bookworm-backports) into $q10"
	rm -rf "$q10"
	mkdir -p "$q10"
	for pkg in qemu-system-arm qemu-system-common qemu-system-data qemu-system-gui \
		qemu-system-modules-opengl qemu-system-modules-spice qemu-block-extra; do
		if ! ls "$cache/debs/${pkg}_1%3a10.0"*.deb >/dev/null 2>&1; then
			(cd "$cache/debs" && apt-get download -q -o APT::Sandbox::User=root "$pkg/$bpo" >/dev/null)
		fi
		dpkg-deb -x "$(ls "$cache/debs/${pkg}_1%3a10.0"*.deb | head -1)" "$q10"
	done
	"$q10/usr/bin/qemu-system-arm" --version | head -1 >"$q10/VERSION"
	touch "$q10/.complete"
fi

# private_apt DIR TYPE SUITES [APT-OPTIONS...]: a private apt configuration
# under DIR (one stanza of TYPE for SUITES of $mirror, its own lists, state
# and caches; the system's apt is not touched); its options in aopt
private_apt() {
	local dir=$1 type=$2 suites=$3
	shift 3
	mkdir -p "$dir/sources.list.d" "$dir/lists/partial" "$dir/cache/archives/partial"
	touch "$dir/status"
	printf '%s\n' "Types: $type" "URIs: $mirror" "Suites: $suites" "Components: main" \
		"Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg" \
		>"$dir/sources.list.d/private.sources"
	aopt=(-q -o Dir::Etc::sourcelist=/dev/null -o "Dir::Etc::sourceparts=$dir/sources.list.d"
		-o "Dir::State::Lists=$dir/lists" -o "Dir::State::status=$dir/status"
		-o "Dir::Cache=$dir/cache" -o APT::Sandbox::User=root "$@")
}

# --- libgpiod's own tests, a test dependency -----------------------------
# tests/kselftest/92-python-libgpiod.sh runs bindings/python/tests of
# Debian's libgpiod source, unmodified, on guse.gpiosim, and
# 85-libgpiod-tools.sh its tools/gpio-tools-test.bash.  The
# source comes once, through a private apt configuration (its own deb-src
# stanza, lists and caches under $cache/apt-src; the system's apt is not
# touched), into $cache/libgpiod/libgpiod-<version>/, never at test time.
# Preferred: the version of the installed gpiod tools (bookworm-backports);
# when that source is not fetchable (the mirror answers 404 for 2.1.3's),
# trixie's 2.2.1.
# The .dsc may answer 404: the orig tarball is unpacked, not dpkg-source -x.
lgd=$cache/libgpiod
if [ ! -f "$lgd/.complete" ]; then
	asrc=$cache/apt-src
	rm -rf "$asrc" "$lgd"
	mkdir -p "$lgd"
	private_apt "$asrc" deb-src "$bpo trixie"
	say "fetching libgpiod's source for its tests (deb-src $bpo, trixie)"
	apt-get "${aopt[@]}" update >"$asrc/apt.log" 2>&1 ||
		{ tail -20 "$asrc/apt.log" >&2; exit 1; }
	got=''
	for suite in $bpo trixie; do
		rm -f "$lgd"/*.tar.*
		if (cd "$lgd" && apt-get "${aopt[@]}" source --download-only "libgpiod/$suite") \
			>>"$asrc/apt.log" 2>&1 || ls "$lgd"/libgpiod_*.orig.tar.* >/dev/null 2>&1; then
			orig=$(ls "$lgd"/libgpiod_*.orig.tar.* 2>/dev/null | head -1)
			[ -n "$orig" ] && got=$suite && break
		fi
		say "libgpiod/$suite: no source tarball (see $asrc/apt.log)"
	done
	[ -n "$got" ] || { say "cannot fetch libgpiod's source"; exit 1; }
	ver=$(basename "$orig")
	ver=${ver#libgpiod_}
	dir=libgpiod-${ver%%.orig.tar.*}
	mkdir -p "$lgd/$dir"
	tar -xf "$orig" -C "$lgd/$dir" --strip-components=1 --no-same-owner
	[ -d "$lgd/$dir/bindings/python/tests" ] ||
		{ say "no bindings/python/tests in $orig"; exit 1; }
	# the one tree the test uses, and where it came from
	ln -sfn "$dir" "$lgd/source"
	printf '%s %s\n' "$got" "$(basename "$orig")" >"$lgd/ORIGIN"
	rm -rf "$asrc/lists" "$asrc/cache"
	touch "$lgd/.complete"
	say "libgpiod's tests: $lgd/$dir (from $got)"
fi

# The tools of that same release, for its tools tests: built from that
# source as Debian builds them (--enable-tools, no interactive gpioset),
# statically, so that they never meet the system's libgpiod3 (2.1.3), into
# $cache/libgpiod/tools/bin.  Under a minute.
lgt=$lgd/tools
if [ ! -f "$lgt/.complete" ] || [ "$(cat "$lgt/.complete")" != "$(readlink "$lgd/source")" ]; then
	say "building libgpiod's tools from $(readlink "$lgd/source") (its tools tests use them)"
	rm -rf "$lgt" "$lgd/build"
	mkdir -p "$lgd/build"
	(cd "$lgd/build" &&
		"$lgd/source/configure" -q --enable-tools --disable-shared --enable-static \
			--disable-bindings-cxx --disable-bindings-python --prefix="$lgt" &&
		make -j"$(nproc)" -s && make -s install) >"$lgd/build.log" 2>&1 ||
		{ tail -20 "$lgd/build.log" >&2; exit 1; }
	rm -rf "$lgd/build"
	readlink "$lgd/source" >"$lgt/.complete"
fi

# --- guse-qemu's Linux guest: Debian's arm64 kernel ----------------------
# bridges/qemu/linux-guest boots it on qemu-system-aarch64 -M virt (its
# PL061 and the GPIO character device are built in; it reaches /init in
# half the time of armmp under TCG, Documentation/guse-qemu.rst).  The
# current bookworm linux-image-*-arm64-unsigned, through a private apt
# configuration for arm64 (the system's architectures are not touched),
# downloaded and unpacked, not installed, into $cache/linux-guest/vmlinuz.
lgk=$cache/linux-guest
if [ ! -f "$lgk/.complete" ]; then
	rm -rf "$lgk"
	private_apt "$lgk/apt" deb bookworm -o APT::Architecture=arm64 -o APT::Architectures=arm64
	apt-get "${aopt[@]}" update >"$lgk/apt.log" 2>&1 || { tail -20 "$lgk/apt.log" >&2; exit 1; }
	img=$(apt-cache "${aopt[@]}" depends linux-image-arm64 |
		awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { sub(/:arm64$/, "", $2); print $2; exit }')
	[ -n "$img" ] || { say "no linux-image-arm64 in bookworm for arm64"; exit 1; }
	say "fetching $img-unsigned (arm64) for guse-qemu's Linux guest"
	mkdir -p "$lgk/deb"
	(cd "$lgk/deb" && apt-get "${aopt[@]}" download "$img-unsigned:arm64") >>"$lgk/apt.log" 2>&1 ||
		{ tail -20 "$lgk/apt.log" >&2; exit 1; }
	dpkg-deb -x "$lgk"/deb/*.deb "$lgk/x"
	cp "$lgk"/x/boot/vmlinuz-* "$lgk/vmlinuz"
	basename "$lgk"/x/boot/vmlinuz-* | sed 's/^vmlinuz-//' >"$lgk/VERSION"
	grep -q '^CONFIG_GPIO_PL061=y' "$lgk"/x/boot/config-* &&
		grep -q '^CONFIG_GPIO_CDEV=y' "$lgk"/x/boot/config-* ||
		{ say "$img: PL061 or GPIO_CDEV not built in"; exit 1; }
	rm -rf "$lgk/apt/lists" "$lgk/apt/cache" "$lgk/x" "$lgk/deb"
	touch "$lgk/.complete"
else
	say "Linux guest kernel $(cat "$lgk/VERSION") present"
fi

# --- trixie chroot with the 7.3 headers ----------------------------------
root=$cache/trixie-root
if [ ! -f "$root/.complete" ]; then
	say "creating trixie build chroot in $root (about a minute)"
	rm -rf "$root"
	debootstrap --variant=minbase --include=make,gcc-14,libc6-dev,ca-certificates \
		trixie "$root" "$mirror" >"$cache/debootstrap.log" 2>&1 ||
		{ tail -30 "$cache/debootstrap.log" >&2; exit 1; }
	printf 'deb %s trixie main\ndeb %s trixie-backports main\n' "$mirror" "$mirror" \
		>"$root/etc/apt/sources.list"
	chroot "$root" apt-get update -qq
	chroot "$root" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
		--no-install-recommends "linux-headers-$GUSE_KREL_7_3/trixie-backports" \
		>"$cache/chroot-apt.log" 2>&1 ||
		{ tail -30 "$cache/chroot-apt.log" >&2; exit 1; }
	chroot "$root" apt-get clean
	touch "$root/.complete"
else
	say "trixie chroot present"
fi
# --- bookworm root for the Debian package test ------------------------------
# tests/debian/check-debian.sh installs the packages into a fresh copy of
# this root: a minbase bookworm with the 6.1 and 6.12 headers installed (as
# on a user's machine with those kernels) and, downloaded but not
# installed, what the packages depend on and what the test builds the
# README's server with.  apt resolves the dependencies from that cache at
# test time with --no-download, so nothing downloads then.
debroot=$cache/debian-root
debroot_pkgs="linux-headers-$GUSE_KREL_6_1 linux-headers-$GUSE_KREL_6_12/$bpo"
debroot_cached="dkms adduser python3 libelf1 libsimavr2 gcc libc6-dev pkgconf"
debroot_key="v2 $debroot_pkgs | $debroot_cached"
if [ ! -f "$debroot/.complete" ] || [ "$(cat "$debroot/.key" 2>/dev/null)" != "$debroot_key" ]; then
	say "creating the bookworm root for the package test in $debroot (a few minutes)"
	rm -rf "$debroot"
	mkdir -p "$debroot"
	r=$debroot/root
	debootstrap --variant=minbase bookworm "$r" "$mirror" >"$debroot/debootstrap.log" 2>&1 ||
		{ tail -30 "$debroot/debootstrap.log" >&2; exit 1; }
	printf 'deb %s bookworm main\ndeb %s bookworm-backports main\n' "$mirror" "$mirror" \
		>"$r/etc/apt/sources.list"
	# 6.12's headers depend on its image; nothing boots the root, so the
	# image's hook makes no initramfs (INITRD=No)
	# shellcheck disable=SC2086 # word lists
	if ! { chroot "$r" apt-get update -qq &&
		chroot "$r" env DEBIAN_FRONTEND=noninteractive INITRD=No apt-get install -y -q \
			--no-install-recommends $debroot_pkgs &&
		chroot "$r" apt-get clean &&
		chroot "$r" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
			--no-install-recommends --download-only $debroot_cached; } \
		>"$debroot/apt.log" 2>&1; then
		tail -30 "$debroot/apt.log" >&2
		exit 1
	fi
	tar -C "$r" --numeric-owner -c -f - . | zstd -q -T0 -o "$debroot/bookworm.tar.zst"
	rm -rf "$r"
	echo "$debroot_key" >"$debroot/.key"
	touch "$debroot/.complete"
else
	say "bookworm root for the package test present"
fi
say "done"
