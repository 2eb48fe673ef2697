#!/bin/bash
# guse-qemu with a Linux guest: Debian's arm64 kernel on qemu-system-aarch64
# -M virt, nested in this VM under TCG, drives its PL061 through the GPIO
# character device; the host's gpiomon, gpioset, gpioinfo and gpionotify
# see and drive it through guse-qemu.  The scenario is
# bridges/qemu/linux-guest/run.sh (also run by hand, on one host): one to
# three and a half minutes here on the build machine at load 1 to 8, so it
# runs on every stock kernel.  On the debug kernel the whole scenario takes
# 6 minutes at load 5 and 11 at load 8 (the nested guest alone 6.5 to reach
# its /init): there it is one counted skip, unless GUSE_QEMU_LINUX=1
# (Documentation/guse-qemu.rst has the numbers).
# guse-test-timeout: 420
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/ktap.sh"
case $(uname -r) in
*-guse-debug)
	if [ -z "${GUSE_QEMU_LINUX:-}" ]; then
		ktap_plan 1
		ktap_skip "guse-qemu Linux guest" \
			"the nested Linux guest takes 6 to 11 minutes on the debug kernel (GUSE_QEMU_LINUX=1 runs it here; 66-qemu covers guse-qemu on this kernel)"
		ktap_finish
	fi
	;;
esac
exec bash "$top/bridges/qemu/linux-guest/run.sh"
