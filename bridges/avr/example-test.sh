#!/bin/bash
# An example of testing firmware against the host tools, as a developer of
# a Linux program that talks to a microcontroller would write it: run the
# firmware in guse-avr, drive its pins with gpioset, assert on what gpiomon
# and gpioget see.  Needs the guse modules loaded (tests/kselftest/
# 65-avr.sh runs it in the test VM).
#
#   example-test.sh [GUSE_AVR [FIRMWARE_DIR]]
set -u
here=$(cd "$(dirname "$0")" && pwd)
avr=${1:-$here/guse-avr}
fw=${2:-$here/firmware}
tmp=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; wait; rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

# until SECONDS COMMAND...: retry COMMAND for up to SECONDS (times
# GUSE_TIMEOUT_SCALE: a slow machine, e.g. a debug kernel under emulation)
until_ok() {
	local end=$((SECONDS + $1 * ${GUSE_TIMEOUT_SCALE:-1}))
	shift
	until "$@"; do
		[ $SECONDS -lt $end ] || return 1
		sleep 0.05
	done
}

# The echo firmware copies PD2 to PB1 in its INT0 interrupt handler.
"$avr" "$fw/echo.elf" >"$tmp/avr" &
pids+=($!)
until_ok 10 grep -q '^ready' "$tmp/avr" || fail "guse-avr did not start"
chip=$(awk '/^ready/ {print $2}' "$tmp/avr")

# gpiomon watches PB1 while gpioset raises PD2 and, killed, lets it go.
gpiomon --banner -c "$chip" -n 2 -F '%l %E' PB1 >"$tmp/mon" 2>&1 &
mon=$!
until_ok 10 grep -q 'Monitoring' "$tmp/mon" || fail "gpiomon did not start"
gpioset -c "$chip" PD2=1 &
setter=$!
until_ok 10 grep -q 'PB1 rising' "$tmp/mon" || fail "no rising edge on PB1"
kill $setter
until_ok 10 grep -q 'PB1 falling' "$tmp/mon" || fail "no falling edge on PB1"
wait $mon
echo "ok: gpiomon sees PB1 follow PD2"

# gpioget reads what the firmware drives
gpioset -c "$chip" PD2=1 &
setter=$!
pb1() { test "$(gpioget -c "$chip" --numeric PB1)" = "$1"; }
until_ok 10 pb1 1 || fail "gpioget PB1 is not 1"
kill $setter
until_ok 10 pb1 0 || fail "gpioget PB1 is not 0 after the release"
echo "ok: gpioget reads PB1"
