#!/bin/bash
# guse's Debian packages end to end, as a Debian user gets them:
#
#  1. build them (scripts/build-debs.sh: dpkg-buildpackage -us -uc -b, then
#     lintian, no errors or warnings), and a second version, <version>+test1,
#     from a copy of the tree with that version in configure.ac and a new
#     changelog entry;
#  2. install the first into a fresh bookworm root (the debootstrap base of
#     scripts/setup-host.sh, with the 6.1 and 6.12 headers) with apt, which
#     resolves their dependencies from the root's package cache; DKMS builds
#     the modules there for both kernels; the README's server builds
#     against libguse-dev with pkg-config;
#  3. upgrade to the second: the guse group (same gid) and the udev rule
#     stay, DKMS rebuilds the modules of the new version for both kernels
#     and drops the old;
#  4. boot the test VM on 6.1 and on 6.12 with the modules DKMS installed
#     in the root, and run tests/debian/vm-installed.sh (gpio-sim.ko, the
#     README's server, python3-guse, guse-list, all from the root) and the
#     tools test tests/kselftest/70-tools.sh against the installed guse-sim
#     and guse-list;
#  5. purge: every file dpkg -L listed is gone, and the root holds no file
#     it did not hold before the install except those of the dependencies
#     apt pulled in (still installed) and the few that package tools and
#     the kernel's depmod regenerate (listed below, with the reasons).
#
# usage: tests/debian/check-debian.sh [--keep] [--reuse]
#   --keep   leave the root (build/debian-test/root) for a look
#   --reuse  use the packages of the previous run instead of building them
# KTAP on stdout, one result per check; exit 0 pass, 1 fail, 4 skip.
# Work directory: build/debian-test/ (the root is removed after a pass).
# Environment: GUSE_DEB_KERNELS (default "6.1 6.12"), DEB_BUILD_OPTIONS
# (default nocheck: make check runs three ways in the suite already).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$top/scripts/common.sh"

keep=0 reuse=0
for a in "$@"; do
	case $a in
	--keep) keep=1 ;;
	--reuse) reuse=1 ;; # (development) the packages of the previous run
	*) echo "usage: $0 [--keep] [--reuse]" >&2; exit 2 ;;
	esac
done
out=$top/build/debian-test
base=$GUSE_CACHE/debian-root/bookworm.tar.zst
root=$out/root
pkgs=(guse-dkms gpio-sim-guse-dkms libguse0 libguse-dev guse-tools python3-guse)
export DEB_BUILD_OPTIONS=${DEB_BUILD_OPTIONS-nocheck}
read -r -a kernels <<<"${GUSE_DEB_KERNELS:-6.1 6.12}"
krels=()
for k in "${kernels[@]}"; do krels+=("$(resolve_krel "$k")"); done

n=0 failed=0 skipped=0
echo "KTAP version 1"
ok() { # <description> CMD...: one result from the command's status
	local desc=$1
	shift
	n=$((n + 1))
	if "$@" >"$out/last.log" 2>&1; then
		echo "ok $n $desc"
	else
		echo "not ok $n $desc"
		sed 's/^/# /' "$out/last.log" | tail -30
		failed=$((failed + 1))
	fi
}
skip() { n=$((n + 1)) skipped=$((skipped + 1)); echo "ok $n $1 # SKIP $2"; }
diag() { echo "# $*"; }
finish() {
	echo "1..$n"
	diag "debian: $((n - failed - skipped)) passed, $failed failed, $skipped skipped in $SECONDS s"
	if [ $failed = 0 ] && [ $keep = 0 ]; then rm -rf "$root"; fi
	[ $failed = 0 ] || exit 1
	[ $skipped -lt $n ] || exit 4
	exit 0
}
timed() { # <what>: the time since the previous call
	diag "$1: $((SECONDS - ${last_t:-0})) s"
	last_t=$SECONDS
}

why=
for tool in dpkg-buildpackage dh_dkms dh_python3 lintian debootstrap zstd unshare; do
	command -v "$tool" >/dev/null || why="${why:+$why, }$tool"
done
[ -z "$why" ] || why="not installed: $why (scripts/setup-host.sh)"
[ -n "$why" ] || [ -f "$base" ] || why="no base root $base (scripts/setup-host.sh)"
[ -n "$why" ] || [ "$(id -u)" = 0 ] || why="needs root (chroot)"
if [ -n "$why" ]; then
	skip "debian packages" "$why"
	finish
fi
mkdir -p "$out"
version=$(sed -n 's/^AC_INIT(\[guse\], *\[\([^]]*\)\].*/\1/p' "$top/configure.ac")
next=$version+test1

# --- helpers -------------------------------------------------------------------
# Run a command in the root, in a private mount namespace with /proc, /dev
# and $out (at /mnt: the packages, the README's server source) mounted.
in_root() {
	unshare --mount --fork /bin/sh -c '
		r=$1 o=$2
		shift 2
		mount -t proc proc "$r/proc" && mount --rbind /dev "$r/dev" &&
			mount --bind "$o" "$r/mnt" || exit 125
		exec chroot "$r" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
			HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"' \
		sh "$root" "$out" "$@"
}
# The packages of a build directory, as paths under /mnt in the root.
debs_of() { # <dir under $out>
	local p
	for p in "${pkgs[@]}"; do ls "$out/$1/${p}_"*.deb | sed "s|^$out|/mnt|"; done
}
# autoinstall_all_kernels (dkms's framework.conf setting, honoured from
# the environment by dkms's common.postinst): in a chroot, whose running
# kernel is the host's, common.postinst builds for every kernel on a first
# install but only for the newest (6.12: its headers pull in its image, and
# /boot/config-* names it) on an upgrade; a machine booted on 6.1 would get
# 6.1 and 6.12.  The test wants both kernels every time.
# Nothing may download: the dependencies come from the root's package
# cache.  (apt's --no-download refuses local .deb files, "Pathname to
# install is not absolute", so a proxy nobody listens on stands in for it:
# a package missing from the cache fails the install.)
apt_install() { # <dir under $out>
	# shellcheck disable=SC2046 # one path per package
	in_root autoinstall_all_kernels=1 apt-get install -y -q --no-install-recommends \
		-o Acquire::http::Proxy=http://127.0.0.1:9 -o Acquire::https::Proxy=http://127.0.0.1:9 \
		-o Dpkg::Use-Pty=0 $(debs_of "$1")
}
# Every path in the root but the mount points and scratch directories
# (/proc, /dev, /sys, /run, /tmp, /mnt), with its type: "<f|d|l> /path".
snapshot() {
	(cd "$root" && find . -xdev \( -path ./proc -o -path ./dev -o -path ./sys -o \
		-path ./run -o -path ./tmp -o -path ./mnt \) -prune -o -printf '%y %P\n') |
		sed 's| | /|' | LC_ALL=C sort
}
# The version dpkg has of a package ("" if none).
pkg_version() { in_root dpkg-query -W -f='${db:Status-Abbrev}${Version}' "$1" 2>/dev/null | sed -n 's/^ii *//p'; }
all_at() { # <version>: every package installed at that version
	local p v bad=0
	for p in "${pkgs[@]}"; do
		v=$(pkg_version "$p")
		[ "$v" = "$1" ] || { echo "$p: '${v:-not installed}', want $1"; bad=1; }
	done
	return $bad
}
# DKMS installed <module>/<version> for every kernel and nothing else of it.
dkms_installed() { # <module> <version>
	local st k bad=0
	st=$(in_root dkms status -m "$1")
	echo "$st"
	for k in "${krels[@]}"; do
		grep -q "^$1/$2, $k, [^:]*: installed" <<<"$st" ||
			{ echo "$1/$2 is not installed for $k"; bad=1; }
	done
	if grep -v "^$1/$2, " <<<"$st" | grep -q .; then
		echo "other versions of $1 are still there"
		bad=1
	fi
	return $bad
}
# The installed .ko of a module for a kernel (DKMS's /updates/dkms).
ko_of() { ls "$root/lib/modules/$1/updates/dkms/$2.ko"* 2>/dev/null | head -1; }
# The modules DKMS installed are newer than <file> and are DKMS's copies
# of the <module>/<version> build.
rebuilt_since() { # <file> <dkms module> <version> <ko names...>
	local since=$1 mod=$2 ver=$3 k m f bad=0
	shift 3
	for k in "${krels[@]}"; do
		for m in "$@"; do
			f=$(ko_of "$k" "$m")
			if [ -z "$f" ]; then echo "no $m for $k"; bad=1; continue; fi
			[ "$f" -nt "$since" ] || { echo "$f is older than the upgrade"; bad=1; }
			cmp "$f" "$root/var/lib/dkms/$mod/$ver/$k/x86_64/module/$(basename "$f")" ||
				bad=1
		done
	done
	return $bad
}

# --- 1. build -----------------------------------------------------------------
rm -rf "$out/vm-logs"
build_first() {
	[ $reuse = 1 ] && [ -f "$out/debs-1/lintian.log" ] && return 0
	rm -rf "$out/debs-1" && "$top/scripts/build-debs.sh" --out "$out/debs-1"
}
ok "dpkg-buildpackage builds the packages of guse $version, lintian reports no error or warning" \
	build_first
timed "build and lintian"
have_all() {
	local p bad=0
	for p in "${pkgs[@]}"; do ls "$out/$1/${p}_"*.deb || bad=1; done
	return $bad
}
ok "it builds ${pkgs[*]}" have_all debs-1
# libguse0's symbols: what the map says, which dpkg-gensymbols (check level
# 4) has compared with what the library exports
symbols_match() {
	local tmp
	tmp=$(mktemp -d)
	dpkg-deb -e "$(ls "$out"/debs-1/libguse0_*.deb)" "$tmp/ctl" &&
		dpkg-deb -x "$(ls "$out"/debs-1/libguse0_*.deb)" "$tmp/fs" &&
		"$top/debian/gen-symbols" "$top/lib/libguse.map" >"$tmp/want" &&
		diff -u "$tmp/want" "$tmp/ctl/symbols" &&
		nm -D --defined-only "$tmp"/fs/usr/lib/*/libguse.so.0 |
			awk '$2 == "T" { sub(/@.*/, "", $3); print $3 }' | sort >"$tmp/exported" &&
		awk '/^ guse_/ { sub(/@.*/, "", $1); print $1 }' "$tmp/ctl/symbols" | sort >"$tmp/listed" &&
		diff -u "$tmp/listed" "$tmp/exported"
	local st=$?
	rm -rf "$tmp"
	return $st
}
ok "libguse0's symbols file is the linker map's and lists every exported symbol" symbols_match

# the next version: the tree with another version in configure.ac (the one
# place it comes from) and a changelog entry for it
make_next() {
	[ $reuse = 1 ] && have_all debs-2 && return 0
	rm -rf "$out/src-next" "$out/debs-2"
	mkdir -p "$out/src-next"
	(cd "$top" && git ls-files -co --exclude-standard -z | tar --null -T - -c -f -) |
		tar -x -C "$out/src-next" -f - &&
		sed -i "s/^AC_INIT(\[guse\], *\[$version\]/AC_INIT([guse], [$next]/" \
			"$out/src-next/configure.ac" &&
		grep -q "^AC_INIT(\[guse\], \[$next\]" "$out/src-next/configure.ac" &&
		{ printf 'guse (%s) unstable; urgency=medium\n\n  * Test upgrade.\n\n -- %s  %s\n\n' \
			"$next" "guse maintainers <maintainers@users.noreply.h-seed-40f2ac9c.example>" \
			"$(date -R)"; cat "$top/debian/changelog"; } >"$out/src-next/debian/changelog.new" &&
		mv "$out/src-next/debian/changelog.new" "$out/src-next/debian/changelog" &&
		"$top/scripts/build-debs.sh" --src "$out/src-next" --out "$out/debs-2" --no-lintian &&
		have_all debs-2
}
ok "the packages of the next version ($next) build from a copy with that version" make_next
timed "second build"
# the changelog and configure.ac must agree, or the build stops
mismatch_refused() {
	local d=$out/src-mismatch
	rm -rf "$d"
	cp -a "$out/src-next" "$d" && rm -rf "$d/debian/tmp" &&
		sed -i "s/^AC_INIT(\[guse\], *\[$next\]/AC_INIT([guse], [$version.1]/" "$d/configure.ac" &&
		! (cd "$d" && debian/rules override_dh_auto_configure) >"$out/mismatch.log" 2>&1 &&
		grep -q "debian/changelog says $next, configure.ac's AC_INIT $version.1" "$out/mismatch.log"
	local st=$?
	rm -rf "$d"
	return $st
}
ok "a changelog version that is not configure.ac's stops the build" mismatch_refused

# --- 2. install into a fresh root ------------------------------------------------
make_root() {
	rm -rf "$root" && mkdir -p "$root" && zstd -q -dc "$base" | tar -x -C "$root" -f -
}
ok "a fresh bookworm root from the debootstrap base" make_root
timed "root"
snapshot >"$out/files-before"
ok "apt installs the packages, resolving their dependencies (dkms, adduser, python3...)" \
	apt_install debs-1
timed "install (DKMS builds)"
ok "every package is installed at $version" all_at "$version"
ok "DKMS built and installed guse/$version for ${krels[*]}" dkms_installed guse "$version"
ok "DKMS built and installed gpio-sim-guse/$version for ${krels[*]}" \
	dkms_installed gpio-sim-guse "$version"
system_group() {
	local g
	g=$(in_root getent group guse) && echo "$g" &&
		[ "$(echo "$g" | cut -d: -f3)" -lt 1000 ]
}
ok "the postinst made the guse system group" system_group
ok "the udev rule and the modules-load file are installed" \
	in_root sh -c 'grep -q "GROUP=\"guse\"" /usr/lib/udev/rules.d/60-guse.rules &&
		grep -qx gpio-guse /usr/lib/modules-load.d/guse.conf'
# what a user installs to build it: a compiler, libc's headers, pkg-config
build_server() {
	"$here/readme-server.sh" "$top/README.md" >"$out/server.c" &&
		in_root apt-get install -y -q --no-install-recommends \
			-o Acquire::http::Proxy=http://127.0.0.1:9 -o Dpkg::Use-Pty=0 \
			gcc libc6-dev pkgconf &&
		in_root sh -c 'mkdir -p /root/guse-test &&
			cc -Wall -Wextra -Werror -o /root/guse-test/server /mnt/server.c \
				$(pkg-config --cflags --libs libguse) &&
			ldd /root/guse-test/server | grep -Eq "libguse.so.0 => (/usr)?/lib/x86_64-linux-gnu/libguse.so.0"'
}
ok "the README's server builds with pkg-config against the installed libguse-dev" build_server

# --- 3. upgrade ------------------------------------------------------------------------
gid_before=$(in_root getent group guse | cut -d: -f3)
touch "$out/upgrade-start"
sleep 1 # mtimes of the rebuilt modules must be later
ok "apt upgrades every package to $next" apt_install debs-2
timed "upgrade (DKMS rebuilds)"
ok "every package is at $next" all_at "$next"
ok "the guse group stays, with its gid ($gid_before)" \
	test "$(in_root getent group guse | cut -d: -f3)" = "$gid_before"
ok "the udev rule stays" test -f "$root/usr/lib/udev/rules.d/60-guse.rules"
ok "DKMS rebuilt guse/$next for ${krels[*]} and removed guse/$version" \
	dkms_installed guse "$next"
ok "DKMS rebuilt gpio-sim-guse/$next and removed gpio-sim-guse/$version" \
	dkms_installed gpio-sim-guse "$next"
ok "the old DKMS trees are gone (/usr/src, /var/lib/dkms)" \
	bash -c "! ls -d '$root/usr/src/guse-$version' '$root/usr/src/gpio-sim-guse-$version' \
		'$root/var/lib/dkms/guse/$version' '$root/var/lib/dkms/gpio-sim-guse/$version' 2>/dev/null | grep ."
ok "the installed guse.ko and gpio-guse.ko are the rebuilt ones" \
	rebuilt_since "$out/upgrade-start" guse "$next" guse gpio-guse
ok "the installed gpio-sim.ko is the rebuilt one" \
	rebuilt_since "$out/upgrade-start" gpio-sim-guse "$next" gpio-sim

# --- 4. the VM, booted with the modules DKMS installed in the root ----------------
mkdir -p "$out/bin"
for t in guse-sim guse-list; do
	printf '#!/bin/sh\nexec %q /usr/bin/%s "$@"\n' "$here/in-root" "$t" >"$out/bin/$t"
	chmod +x "$out/bin/$t"
done
# what VM boots load (busybox insmod wants them uncompressed): DKMS's files
vm_modules() { # <krel>
	local d=$out/vm-modules/$1 m f
	rm -rf "$d" && mkdir -p "$d" || return 1
	for m in guse gpio-guse gpio-sim; do
		f=$(ko_of "$1" "$m")
		[ -n "$f" ] || { echo "no $m for $1 in the root"; return 1; }
		case $f in
		*.xz) xz -dc "$f" >"$d/$m.ko" ;;
		*.zst) zstd -q -dc "$f" >"$d/$m.ko" ;;
		*) cp "$f" "$d/$m.ko" ;;
		esac || return 1
		echo "$m.ko: from ${f#"$root"}"
	done
}
# The installed tools against the tools test once (on the last kernel):
# what it checks of the packaging (the binaries, their library) does not
# depend on the kernel, which the suite's own runs cover.  A longer bound
# per test than the suite's: every tool starts through chroot, under TCG.
for krel in "${krels[@]}"; do
	ok "[$krel] the modules for the VM are DKMS's, from the root" vm_modules "$krel"
	vmtests=("$here/vm-installed.sh")
	[ "$krel" != "${krels[-1]}" ] || vmtests+=("$top/tests/kselftest/70-tools.sh")
	vmout=$out/vm-$krel.log
	GUSE_DEB_ROOT=$root GUSE_DEB_MODULES=$out/vm-modules/$krel \
	GUSE_DEB_SERVER=/root/guse-test/server \
	GUSE_SIM=$out/bin/guse-sim GUSE_LIST=$out/bin/guse-list \
	GUSE_TEST_TIMEOUT=${GUSE_TEST_TIMEOUT:-300} \
		"$top/tests/vm/run-vm.sh" --kernel "$krel" --modules "$out/vm-modules/$krel" \
		--log "$out/vm-logs" --timeout 900 -- "$top/tests/vm/run-in-vm.sh" \
		"${vmtests[@]}" >"$vmout" 2>&1
	st=$?
	# every subtest of the VM's tests is one result here; a test that
	# failed without a failing subtest (a timeout, a crash) is one more
	sub_failed=0 wrappers=0
	while IFS= read -r line; do
		case $line in
		"# ok "*"# SKIP"*)
			n=$((n + 1)) skipped=$((skipped + 1))
			echo "ok $n [$krel] $(echo "${line#\# }" | cut -d' ' -f3-)" ;;
		"# ok "*) n=$((n + 1)); echo "ok $n [$krel] $(echo "${line#\# }" | cut -d' ' -f3-)" ;;
		"# not ok "*)
			n=$((n + 1)) failed=$((failed + 1)) sub_failed=1
			echo "not ok $n [$krel] $(echo "${line#\# }" | cut -d' ' -f4-)" ;;
		"ok "*) wrappers=$((wrappers + 1)) sub_failed=0 ;;
		"not ok "*)
			wrappers=$((wrappers + 1))
			if [ $sub_failed = 0 ]; then
				n=$((n + 1)) failed=$((failed + 1))
				echo "not ok $n [$krel] ${line#not ok [0-9]* }"
			fi
			sub_failed=0 ;;
		"# # "*) echo "# [$krel] ${line#\# \# }" ;;
		esac
	done <"$vmout"
	case $st in
	0) ok "[$krel] the VM run ends cleanly, kernel log clean" true ;;
	125) ok "[$krel] the kernel log is clean" bash -c "tail -40 '$vmout'; false" ;;
	124) ok "[$krel] the VM run ends in time" bash -c "tail -40 '$vmout'; false" ;;
	*) [ "$wrappers" = ${#vmtests[@]} ] ||
		ok "[$krel] the VM ran every test (${#vmtests[@]})" bash -c "tail -40 '$vmout'; false" ;;
	esac
	timed "VM $krel"
done

# --- 5. purge ----------------------------------------------------------------------------
# what dpkg says the packages installed, before they go
for p in "${pkgs[@]}"; do in_root dpkg -L "$p"; done 2>/dev/null | LC_ALL=C sort -u >"$out/dpkg-L"
rm -rf "$root/root/guse-test" # the README server the test built
ok "apt purges every package" \
	in_root apt-get purge -y -q -o Dpkg::Use-Pty=0 "${pkgs[@]}"
timed "purge"
not_known() { # dpkg knows the packages no more (or as not-installed)
	! in_root dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' "${pkgs[@]}" 2>/dev/null |
		grep -v '^.n '
}
ok "none of the packages is left in dpkg's database" not_known
gone() {
	local path bad=0
	while IFS= read -r path; do
		[ -e "$root$path" ] || [ -L "$root$path" ] || continue
		[ -d "$root$path" ] && [ ! -L "$root$path" ] && continue # shared directories
		echo "left: $path"
		bad=1
	done <"$out/dpkg-L"
	[ -s "$out/dpkg-L" ] || { echo "dpkg -L listed nothing"; bad=1; }
	return $bad
}
ok "every file dpkg -L listed is gone" gone
ok "no DKMS tree, source or module of guse is left" \
	bash -c "! ls -d '$root'/usr/src/guse-* '$root'/usr/src/gpio-sim-guse-* '$root'/var/lib/dkms/guse* \
		'$root'/var/lib/dkms/gpio-sim-guse* '$root'/lib/modules/*/updates/dkms/guse.ko* \
		'$root'/lib/modules/*/updates/dkms/gpio-guse.ko* '$root'/lib/modules/*/updates/dkms/gpio-sim.ko* \
		2>/dev/null | grep ."
# The root after the purge against the root before the install: a path
# that is new (or gone) must belong to a package still installed (the
# dependencies apt pulled in) or be one of these, regenerated by package
# tools or depmod, never by guse's packages:
#   /var/lib/{dpkg,apt,ucf,systemd,python}/, /var/cache/, /var/log/: the
#     package manager's and the tools' state, caches and logs;
#   directories below /usr/local/ (the python3 postinst's
#     /usr/local/lib/python3.N/dist-packages, as policy has it);
#   /etc/ld.so.cache: ldconfig's;
#   /etc/group-, /etc/gshadow-: addgroup's backups (the guse group stays
#     after a purge, as Debian's system groups do);
#   __pycache__ below python3.N/ and dist-packages/ (but not guse's):
#     byte code py3compile made for the Python dependencies;
#   symlinks into /etc/alternatives/ and /etc/alternatives/ itself;
#   /usr/lib/modules/<krel>/modules.* files and the directories
#     updates/ and updates/dkms/: depmod's index and the directories DKMS
#     made for kernels that are still there;
#   paths a maintainer script of a package still installed names (the
#     dependencies' postinsts make files such as /etc/inputrc and
#     /etc/python3/debian_config); guse's own scripts are gone with the
#     purge, so they can excuse nothing.
leftovers() {
	local aliased=() d
	for d in bin sbin lib lib32 lib64 libx32; do [ -L "$root/$d" ] && aliased+=("$d"); done
	snapshot >"$out/files-after"
	# every path dpkg knows of, with the merged-/usr aliases resolved
	cat "$root"/var/lib/dpkg/info/*.list | awk -v al="${aliased[*]}" '
		BEGIN { n = split(al, a, " ") }
		{ for (i = 1; i <= n; i++) if (index($0, "/" a[i] "/") == 1 || $0 == "/" a[i]) { $0 = "/usr" $0; break } print }' |
		LC_ALL=C sort -u >"$out/owned"
	cat "$root"/var/lib/dpkg/info/*.preinst "$root"/var/lib/dpkg/info/*.postinst \
		"$root"/var/lib/dpkg/info/*.config 2>/dev/null >"$out/scripts"
	LC_ALL=C comm -3 "$out/files-before" "$out/files-after" | sed 's/^\t/+ /; t; s/^/- /' |
		awk -v owned="$out/owned" -v root="$root" -v scripts="$out/scripts" '
		BEGIN {
			while ((getline p < owned) > 0) own[p] = 1
			while ((getline l < scripts) > 0) blob = blob "\n" l
		}
		{
			sign = $1; type = $2; path = substr($0, length($1 $2) + 3)
			if (path in own) next
			if (path ~ "^/var/(lib/(dpkg|apt|ucf|systemd|python)|cache|log)(/|$)") next
			if (path ~ "^/usr/local/" && type == "d") next
			if (path == "/etc/ld.so.cache" || path == "/etc/group-" || path == "/etc/gshadow-") next
			if (path ~ "/__pycache__(/|$)" && path !~ "/dist-packages/guse") next
			if (path ~ "^/etc/alternatives(/|$)") next
			if (type == "l") { cmd = "readlink \"" root path "\""; cmd | getline t; close(cmd); if (t ~ "^/etc/alternatives/") next }
			if (path ~ "^/usr/lib/modules/[^/]+/modules\\.[a-z.]+$" && type == "f") next
			if (path ~ "^/usr/lib/modules/[^/]+/updates(/dkms)?$" && type == "d") next
			if (index(blob, path)) next
			print sign " " type " " path; bad = 1
		}
		END { exit bad }'
}
ok "after the purge the root has no file it did not have before, but the dependencies'" leftovers
timed "checks"
finish
