#!/bin/bash
# The test VM runner loaded guse.ko and gpio-guse.ko: check that both are
# live and that the transport device exists and is root-only.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/ktap.sh"

loaded() { lsmod | awk '{print $1}' | grep -qx "$1"; }
mode_is_0600_root() { [ "$(stat -c '%a %U' /dev/guse)" = "600 root" ]; }
# opening as an unprivileged user must fail with "Permission denied"
nobody_cannot_open() {
	local out
	out=$(setpriv --reuid=65534 --regid=65534 --clear-groups \
		bash -c 'exec 3<>/dev/guse' 2>&1)
	[ $? != 0 ] && grep -q "Permission denied" <<<"$out"
}

ktap_plan 5
ktap_ok "guse module loaded" loaded guse
ktap_ok "gpio_guse module loaded" loaded gpio_guse
ktap_ok "/dev/guse is a character device" test -c /dev/guse
ktap_ok "/dev/guse is root-only (0600 root)" mode_is_0600_root
ktap_ok "an unprivileged user cannot open /dev/guse" nobody_cannot_open
ktap_finish
