#!/bin/bash
# The test VM runner loaded guse.ko and gpio-guse.ko: check that both are
# live and that the transport device exists.
set -u

echo "KTAP version 1"
echo "1..3"
n=0 fail=0
check() { # <description> <command...>
	local desc=$1
	shift
	n=$((n + 1))
	if "$@"; then
		echo "ok $n $desc"
	else
		echo "not ok $n $desc"
		fail=1
	fi
}
loaded() { lsmod | awk '{print $1}' | grep -qx "$1"; }

check "guse module loaded" loaded guse
check "gpio_guse module loaded" loaded gpio_guse
check "/dev/guse is a character device" test -c /dev/guse
exit $fail
