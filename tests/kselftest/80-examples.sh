#!/bin/bash
# The examples in examples/ are complete servers: each one must come up as
# a chip, behave as its comment says with the stock tools, and exit cleanly
# on SIGTERM.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/ktap.sh"

ex=$top/examples
work=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT

# start <example>: runs it, waits for "ready gpiochipN", sets $chip
start() {
	"$ex/$1" >"$work/$1.out" 2>"$work/$1.err" &
	pid=$!
	wait_for 10 grep -q '^ready' "$work/$1.out"
	chip=$(awk '/^ready/ {print $2; exit}' "$work/$1.out")
}
# stop: SIGTERM, then the exit status must be 0 and the chip gone
stop() {
	kill -TERM "$pid"
	wait "$pid"
	local st=$?
	pid=
	[ $st = 0 ] && wait_for 3 bash -c "! test -e /dev/$chip"
}

ktap_plan 7

start guse-example-minimal
ktap_ok "minimal: the chip appears with its label" \
	bash -c "gpiodetect | grep -q '^$chip \[minimal\] (8 lines)'"
gpioset -t0 -c "$chip" 3=1
ktap_ok "minimal: exits 0 on SIGTERM and the chip goes" stop

start guse-example-mmio
gpioset -c "$chip" 0=1 &
setter=$!
ktap_ok "mmio: the firmware mirrors pin 0 (driven by gpioset) onto pin 1" \
	wait_for 3 bash -c "gpioget -c $chip 1 | grep -q active\$ && ! gpioget -c $chip 1 | grep -q inactive"
kill $setter; wait $setter 2>/dev/null
ktap_ok "mmio: exits 0 on SIGTERM and the chip goes" stop

start guse-example-virtio
timeout 10 gpiomon -c "$chip" -n 1 0 >"$work/mon" 2>&1
ktap_ok "virtio: the backend's button interrupt reaches gpiomon" \
	grep -Eq 'rising|falling' "$work/mon"
gpioset -t0 -c "$chip" 1=1
ktap_ok "virtio: gpioset reaches the backend's set_value (LED on)" \
	wait_for 3 grep -q "LED on" "$work/guse-example-virtio.err"
ktap_ok "virtio: exits 0 on SIGTERM and the chip goes" stop
ktap_finish
