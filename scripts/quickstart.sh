#!/bin/bash
# The README quick start, from a fresh clone on Debian 12 (as root).
#
# usage: scripts/quickstart.sh demo   set up, build, boot 6.12 and run the demo
#        scripts/quickstart.sh test   set up, build, run the suite on all kernels
#                                     (6.1, 6.12, 7.3 and the debug kernel)
#
# Every step is skipped or fast when its result is up to date, so running it
# again is cheap.  Userspace is built in the source tree (autotools); the
# modules go to build/modules/<krel>/.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
. "$here/common.sh"

step() { printf '\n==> [%s s] %s\n' "$SECONDS" "$*" >&2; }

setup() {
	step "host setup (scripts/setup-host.sh)"
	"$here/setup-host.sh"
}

# autogen + configure only when needed; make itself knows what is stale
# (and reruns autoconf/configure when configure.ac or a Makefile.am changed).
build_userspace() {
	cd "$top"
	if [ ! -x configure ]; then
		step "generating the build system (./autogen.sh)"
		./autogen.sh
	fi
	if [ ! -f config.status ]; then
		step "configuring (./configure)"
		./configure
	fi
	step "building userspace (make)"
	make -j"$(nproc)"
}

# The debug kernel (KASAN, lockdep, kmemleak...) from Debian's 6.12 source:
# built once per machine, about 20 minutes on 2 cores.
build_debug_kernel() {
	step "building the debug kernel (scripts/build-debug-kernel.sh; once per machine, about 20 minutes)"
	"$here/build-debug-kernel.sh"
}

build_modules() { # <kernel...>
	step "building the kernel modules for $* (scripts/build-modules.sh)"
	"$here/build-modules.sh" "$@"
}

demo() {
	local krel
	krel=$(resolve_krel 6.12)
	setup
	build_userspace
	build_modules 6.12
	step "booting $krel in QEMU and running tests/vm/demo.sh"
	cd "$top"
	"$top/tests/vm/run-vm.sh" --kernel 6.12 --modules "$top/build/modules/$krel" \
		-- "$top/tests/vm/demo.sh"
}

test_all() {
	setup
	build_debug_kernel
	build_userspace
	build_modules all
	step "running the test suite (tests/run-tests.sh)"
	cd "$top"
	"$top/tests/run-tests.sh"
}

case ${1:-} in
demo) demo ;;
test) test_all ;;
*) sed -n '4,6p' "$0" | sed 's/^# //' >&2; exit 2 ;;
esac
