#!/bin/bash
# guse-qemu with a Linux guest: Debian's arm64 kernel on qemu-system-aarch64
# -M virt, nested in this VM under TCG, drives its PL061 through the GPIO
# character device; the host's gpiomon, gpioset, gpioinfo and gpionotify
# see and drive it through guse-qemu.  The scenario is
# bridges/qemu/linux-guest/run.sh (also run by hand, on one host): one to
# three and a half minutes here on the build machine at load 1 to 8.  It
# runs on the stock kernels with gpiolib's line-info events for in-kernel
# changes (6.13+: 7.3), where every one of its checks applies; on 6.1 and
# 6.12 the host side it drives is the one 66-qemu's firmware drives, and on
# the debug kernel the whole scenario takes 6 minutes at load 5 and 11 at
# load 8 (the nested guest alone 6.5 to reach its /init): there it is one
# counted skip, unless GUSE_QEMU_LINUX=1 (Documentation/guse-qemu.rst has
# the numbers).
# guse-test-timeout: 420
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/ktap.sh"
why=''
if debug_kernel_trimmed; then
	why="the nested Linux guest takes 6 to 11 minutes on the debug kernel"
elif ! kernel_at_least 6 13; then
	why="$(uname -r) sends no line-info events for in-kernel changes, so the scenario's gpionotify checks do not apply; it runs on 7.3"
fi
if [ -n "$why" ] && [ -z "${GUSE_QEMU_LINUX:-}${GUSE_DEBUG_FULL:-}" ]; then
	ktap_skip_if "guse-qemu Linux guest" \
		"$why (GUSE_QEMU_LINUX=1 runs it here; 66-qemu covers guse-qemu on this kernel)"
fi
exec bash "$top/bridges/qemu/linux-guest/run.sh"
