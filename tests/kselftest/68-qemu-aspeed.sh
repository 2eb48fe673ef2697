#!/bin/bash
# guse-qemu on the ASPEED AST2600's 3.3 V GPIO controller: QEMU 10.0's
# -M ast2600-evb runs the test firmware's AST2600 build, nested under TCG,
# and its 208 pins GPIOA0..GPIOZ7 become a host chip.  The firmware's pins
# sit in five of the seven 32-pin register sets (BLINK A0, MIRROR B1, IN E2,
# GO M4, DIRCMD Q5, RECONF Y6, READY Z7).  Guest outputs arrive as host
# edges in order and in number, a host gpioset reaches the guest and comes
# back mirrored, the guest's direction register shows in gpioinfo, QEMU's
# death removes the chip (a consumer gets ENODEV); a bad path or --base is
# a clear error, and QEMU 7.2 (whose qtest intercepts nothing of this controller)
# is refused clearly; QEMU keeps running after each.  Like 67-qemu10 it
# checks QEMU's side, not the kernel's: stock 6.12 only, a counted skip
# elsewhere (GUSE_QEMU10_ANY_KERNEL=1 runs it anyway).
# guse-test-timeout: 240
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/ktap.sh"
. "$top/scripts/common.sh"
. "$top/tests/lib/sim.sh"
. "$top/tests/lib/qemu.sh"

qemu_use_ast2600
ktap_skip_if "guse-qemu on QEMU 10.0's ast2600-evb" "$(qemu10_missing)"

ktap_plan 20
t_start=$SECONDS
# why a QEMU did not come up
qemu_dead() { kill -0 "$qemu_pid" 2>/dev/null || ktap_diag "QEMU $1 exited: $(tr '\n' '|' <"$work/$1.qemu")"; }

# --- QEMU 7.2: refused before anything is sent to qtest -------------------------
start_qemu old
qemu_dead old
"$qemu_bridge" -m "$work/old.qmp" -t "$work/old.qt" >/dev/null 2>"$work/old.err"
st=$?
ktap_ok "QEMU 7.2: guse-qemu refuses the ASPEED controller, exit 1, saying it needs 10.0" \
	bash -c '[ "$1" = 1 ] && grep -q "/machine/soc/gpio: QEMU 7\.2.*ASPEED.*needs QEMU 10\.0 or later" "$2"' \
	_ "$st" "$work/old.err"
ktap_diag "7.2: $(cat "$work/old.err")"
status=$(qmp old query-status)
ktap_ok "QEMU 7.2 still answers QMP" \
	bash -c 'kill -0 "$1" && grep -q "\"status\": \"prelaunch\"" <<<"$2"' _ "$qemu_pid" "$status"
kill -9 "$qemu_pid"
wait "$qemu_pid" 2>/dev/null

# --- QEMU 10.0: bad paths first, then the bridge ------------------------------------
qemu_use_10
t0=$SECONDS
start_qemu q
qemu_dead q
"$qemu_bridge" -m "$work/q.qmp" -t "$work/q.qt" -p /machine/soc/nosuch >/dev/null 2>"$work/bad.err"
st=$?
ktap_ok "a missing QOM path: exit 1 naming it" \
	bash -c '[ "$1" = 1 ] && grep -q "/machine/soc/nosuch.*not found" "$2"' _ "$st" "$work/bad.err"
"$qemu_bridge" -m "$work/q.qmp" -t "$work/q.qt" -p /machine/soc/gpio_1_8v >/dev/null 2>"$work/bad.err2"
st=$?
ktap_ok "the 1.8 V controller: exit 1 saying what it is" \
	bash -c '[ "$1" = 1 ] && grep -q "gpio_1_8v is a aspeed.gpio-ast2600-1_8v, not a GPIO controller" "$2"' \
	_ "$st" "$work/bad.err2"
# the GIC's registers: a qtest read there would crash QEMU
"$qemu_bridge" -m "$work/q.qmp" -t "$work/q.qt" -p /machine/soc/gpio -b 0x40461000 >/dev/null 2>"$work/bad.err3"
st=$?
ktap_ok "a --base that is not the controller's: exit 1 saying where it is" \
	bash -c '[ "$1" = 1 ] && grep -q -e "--base 0x40461000: /machine/soc/gpio is at 0x1e780000" "$2"' \
	_ "$st" "$work/bad.err3"
ktap_diag "errors: $(cat "$work/bad.err" "$work/bad.err2" "$work/bad.err3" | tr '\n' '|')"
status=$(qmp q query-status)
ktap_ok "QEMU 10.0 still answers QMP after all three" \
	bash -c 'kill -0 "$1" && grep -q "\"status\": \"prelaunch\"" <<<"$2"' _ "$qemu_pid" "$status"

t1=$SECONDS
start_bridge q --resume
t_bridge=$((SECONDS - t1))
ktap_ok "guse-qemu finds the 3.3 V controller by type and serves its 208 pins" \
	bash -c 'grep -q "^ready gpiochip[0-9]* qemu-aspeed@1e780000 /machine/soc/gpio 0x1e780000 208$" "$1"' \
	_ "$work/q.bridge"
ktap_diag "$(cat "$work/q.bridge") $(head -3 "$work/q.bridge.err" | tr '\n' '|')"
names() {
	gpioinfo -c "$chip" | sed -n 's/^[[:space:]]*line[[:space:]]*\([0-9]*\):[[:space:]]*"\([^"]*\)".*/\1=\2/p' |
		sed -n '1p;10p;35p;101p;134p;199p;208p' | tr '\n' ' '
}
ktap_ok "the lines are named GPIOA0..GPIOZ7 in pin order (set * 32 + group * 8 + n)" \
	test "$(names)" = "0=GPIOA0 9=GPIOB1 34=GPIOE2 100=GPIOM4 133=GPIOQ5 198=GPIOY6 207=GPIOZ7 "
ktap_diag "lines: $(names)"

# --as-is: see 66-qemu
ready() { [ "$(gpioget -c "$chip" --as-is --numeric GPIOZ7 2>/dev/null)" = 1 ]; }
wait_for 180 grep -q ready "$work/q.serial"
t_fw=$((SECONDS - t1))
ktap_ok "the guest's READY (Z7, set YZ) reads high on the host" wait_for 30 ready
ktap_diag "nested TCG: QEMU 10.0 up $((t1 - t0)) s, bridge ready ${t_bridge} s, firmware ready ${t_fw} s, READY on the host $((SECONDS - t1)) s after QEMU was resumed"

dir_is() { grep -q "\"$1\".*$2" <<<"$(info "$1")"; }
outputs() { dir_is GPIOA0 output && dir_is GPIOB1 output && dir_is GPIOZ7 output && dir_is GPIOE2 input; }
ktap_ok "gpioinfo shows the guest's directions (A0, B1, Z7 out; E2 in)" wait_for 10 outputs

# --- guest outputs -> host edges -----------------------------------------------------
check_burst GPIOA0 GPIOM4

# --- host output -> guest input -> guest mirror -> host edges ---------------------------
check_mirror GPIOB1 GPIOE2 q 0x1e780020 4

# --- the guest reprograms a direction ------------------------------------------------
ktap_ok "RECONF (Y6, set YZ) starts as an input" dir_is GPIOY6 input
drive GPIOQ5=1
ktap_ok "host DIRCMD (Q5, set QRST)=1: the guest makes RECONF an output, gpioinfo shows it" \
	wait_for 30 dir_is GPIOY6 output
high() { [ "$(gpioget -c "$chip" --as-is --numeric GPIOY6 2>/dev/null)" = 1 ]; }
ktap_ok "and the pin it drives high reads 1 on the host" wait_for 10 high
kill "$set_pid" 2>/dev/null
wait "$set_pid" 2>/dev/null
ktap_ok "DIRCMD released: the guest makes RECONF an input again" wait_for 30 dir_is GPIOY6 input

# --- QEMU goes away ---------------------------------------------------------------------
hold 34
qemu_kill
gone() { ! gpiodetect 2>/dev/null | grep -q "^$chip "; }
wait_for 10 gone
is_gone=$?
wait_for 10 grep -q error "$work/holder"
ktap_ok "QEMU killed: guse-qemu exits 0, the chip is gone, the consumer holding E2 gets ENODEV" \
	bash -c '[ "$1" = 0 ] && [ "$2" = 0 ] && grep -q "QEMU closed" "$3" && grep -q "error ENODEV" "$4"' \
	_ "$st" "$is_gone" "$work/q.bridge.err" "$work/holder"
ktap_diag "exit $st, chip gone: $([ "$is_gone" = 0 ] && echo yes || echo no), holder: $(tr '\n' '|' <"$work/holder")"
ktap_diag "68-qemu-aspeed: $((SECONDS - t_start)) s in all"

ktap_finish
