#!/bin/bash
# The legacy sysfs GPIO interface (/sys/class/gpio) on a guse chip: export,
# direction, value, edge + poll(), unexport (tests/guse-sysfs-test.c).
# Skips (exit 4) when the kernel has no /sys/class/gpio/export.
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/program.sh"
run_program guse-sysfs-test
