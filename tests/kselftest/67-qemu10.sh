#!/bin/bash
# guse-qemu on QEMU 10.0 (bookworm-backports, unpacked beside the system's
# 7.2 by scripts/setup-host.sh): the PL061 of -M virt sits elsewhere in the
# QOM tree than on 7.2 and is found by type; the test firmware's burst
# arrives as edges, a host gpioset is mirrored back, the guest's direction
# shows in gpioinfo, and QEMU's death removes the chip.  What it checks is
# QEMU's side, not the kernel's (66-qemu runs the bridge on every kernel):
# it runs on the stock 6.12 only, and is one counted skip elsewhere, which
# keeps three nested QEMU boots out of each CI run.
# guse-test-timeout: 240
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/ktap.sh"
. "$top/scripts/common.sh"
. "$top/tests/lib/sim.sh"
. "$top/tests/lib/qemu.sh"

ktap_skip_if "guse-qemu on QEMU 10.0" "$(qemu10_missing)"
qemu_use_10

ktap_plan 10

start_qemu q10
ktap_diag "$(qmp q10 query-version | head -c 200)"
start_bridge q10 --resume
ktap_ok "guse-qemu finds the PL061 of QEMU 10.0 by type and serves it" \
	bash -c 'grep -q "^ready gpiochip[0-9]* qemu-pl061@9030000 /machine/.* 0x9030000 8$" "$1"' _ "$work/q10.bridge"
ktap_diag "$(cat "$work/q10.bridge")"
# --as-is: a plain gpioget would make the guest's output an input on the
# host until the bridge's next sync (what a host consumer that reconfigures a
# guest output sees is not what this step checks)
ready() { [ "$(gpioget -c "$chip" --as-is --numeric GPIO7 2>/dev/null)" = 1 ]; }
wait_for 120 grep -q ready "$work/q10.serial"
ktap_ok "the guest's READY output reads high on the host" wait_for 30 ready

check_burst GPIO0 GPIO4
check_mirror GPIO1 GPIO2 q10 0x090303fc 4

drive GPIO5=1
is_output() { grep -q '"GPIO6".*output' <<<"$(info GPIO6)"; }
ktap_ok "the guest's direction change shows in gpioinfo" wait_for 30 is_output
kill "$set_pid" 2>/dev/null
wait "$set_pid" 2>/dev/null

qemu_kill
ktap_ok "QEMU killed: guse-qemu exits 0" bash -c '[ "$1" = 0 ] && grep -q "QEMU closed" "$2"' _ "$st" "$work/q10.bridge.err"
ktap_ok "the chip is gone" bash -c '! gpiodetect 2>/dev/null | grep -q "^$1 "' _ "$chip"

ktap_finish
