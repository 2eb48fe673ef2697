#!/bin/bash
# guse-qemu with a Linux guest: Debian's arm64 kernel on qemu-system-aarch64
# -M virt, nested in this VM under TCG, drives its PL061 through the GPIO
# character device; the host's gpiomon, gpioset, gpioinfo and gpionotify
# see and drive it through guse-qemu.  The scenario is
# bridges/qemu/linux-guest/run.sh (also run by hand, on one host); about a
# minute here on an idle build machine, 3 to 4 under load.
# guse-test-timeout: 420
exec bash "$(dirname "$0")/../../bridges/qemu/linux-guest/run.sh"
