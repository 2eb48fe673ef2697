#!/bin/bash
# guse-qemu with a Linux guest: Debian's arm64 kernel on qemu-system-aarch64
# -M virt, nested in this VM under TCG, drives its PL061 through the GPIO
# character device; the host's gpiomon, gpioset, gpioinfo and gpionotify
# see and drive it through guse-qemu.  The scenario is
# bridges/qemu/linux-guest/run.sh (also run by hand, on one host); one to
# two and a half minutes here on the build machine at load 1 to 6, six on
# the debug kernel (Documentation/guse-qemu.rst).
# guse-test-timeout: 420
exec bash "$(dirname "$0")/../../bridges/qemu/linux-guest/run.sh"
