#!/bin/bash
# guse-qemu against a stock QEMU: qemu-system-arm -M virt runs the test
# firmware (bridges/qemu/firmware) under TCG, nested in this VM, and its
# PL061 becomes a host chip.  Guest outputs arrive as host edges in order
# and in number; a host gpioset reaches the guest, which mirrors it back;
# the guest's direction register shows in gpioinfo (and as "reconfigured"
# to gpionotify where gpiolib notifies in-kernel changes, 6.13+); QEMU's
# death removes the chip (a consumer's calls fail with ENODEV); a bad QOM
# path is a clear error and leaves QEMU running.
# guse-test-timeout: 420
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/ktap.sh"
. "$top/tests/lib/sim.sh"
. "$top/tests/lib/qemu.sh"

ktap_skip_if "guse-qemu" "$(qemu_missing)"

krel=$(uname -r)
notifies=0
kernel_at_least 6 13 && notifies=1

ktap_plan 24

# --- bad or missing QOM paths: clear errors, QEMU keeps answering -----------
start_qemu bad
"$qemu_bridge" -m "$work/bad.qmp" -t "$work/bad.qt" -p /machine/nosuch >/dev/null 2>"$work/bad.err"
st=$?
ktap_ok "a missing QOM path: guse-qemu exits 1 naming it" \
	bash -c '[ "$1" = 1 ] && grep -q "/machine/nosuch.*not found" "$2"' _ "$st" "$work/bad.err"
"$qemu_bridge" -m "$work/bad.qmp" -t "$work/bad.qt" -p /machine >/dev/null 2>"$work/bad.err2"
st=$?
ktap_ok "a path that is no GPIO controller: exits 1 saying what it is" \
	bash -c '[ "$1" = 1 ] && grep -q "/machine is a virt.*not a GPIO controller" "$2"' _ "$st" "$work/bad.err2"
status=$(qmp bad query-status)
ktap_ok "QEMU still runs and answers QMP after both" \
	bash -c 'kill -0 "$1" && grep -q "\"status\": \"prelaunch\"" <<<"$2"' _ "$qemu_pid" "$status"
ktap_diag "errors: $(cat "$work/bad.err" "$work/bad.err2" | tr '\n' '|')"

# the same QEMU can still be bridged; this guse-qemu runs under valgrind
# (QEMU stays paused: qtest and the bridge work all the same)
vg=()
command -v valgrind >/dev/null &&
	vg=("$top/libtool" --mode=execute valgrind -q --error-exitcode=9 --leak-check=full
		--errors-for-leak-kinds=definite,indirect)
"${vg[@]}" "$qemu_bridge" -m "$work/bad.qmp" -t "$work/bad.qt" \
	>"$work/vg.bridge" 2>"$work/vg.bridge.err" &
vg_pid=$!
pids+=("$vg_pid")
wait_for 120 grep -q '^ready' "$work/vg.bridge"
ktap_ok "after both failures guse-qemu attaches to that QEMU${vg:+ (under valgrind)}" \
	grep -q '^ready' "$work/vg.bridge"
vg_chip=$(awk '/^ready/ {print $2; exit}' "$work/vg.bridge")
gpioset -c "$vg_chip" GPIO2=1 &
set_pid=$!
pids+=("$set_pid")
guest_in() {
	local d
	d=$(qmp bad human-monitor-command '{"command-line": "xp /1wx 0x090303fc"}' |
		sed -n 's/.*: \(0x[0-9a-f]*\).*/\1/p')
	[ -n "$d" ] && [ $((d & 4)) = 4 ]
}
ktap_ok "a host gpioset reaches the paused guest's GPIODATA" wait_for 30 guest_in
kill "$set_pid" 2>/dev/null
wait "$set_pid" 2>/dev/null
kill -9 "$qemu_pid" 2>/dev/null
wait "$qemu_pid" 2>/dev/null
wait_for 60 bash -c '! kill -0 "$1" 2>/dev/null' _ "$vg_pid"
wait "$vg_pid"
st=$?
ktap_ok "QEMU killed: guse-qemu exits 0${vg:+, valgrind-clean}" test "$st" = 0
[ "$st" = 0 ] || sed 's/^/# /' "$work/vg.bridge.err" | tail -20

# --- the firmware's board ------------------------------------------------------
start_qemu fw
t0=$SECONDS
start_bridge fw --resume
t_bridge=$((SECONDS - t0))
ktap_ok "guse-qemu finds the PL061 by type and serves it" \
	bash -c 'grep -q "^ready gpiochip[0-9]* qemu-pl061@9030000 /machine/.* 0x9030000 8$" "$1"' _ "$work/fw.bridge"
ktap_diag "$(cat "$work/fw.bridge")"
ktap_ok "the chip has the 8 pins, named GPIO0..GPIO7" \
	bash -c 'for i in 0 1 2 3 4 5 6 7; do gpioinfo -c "$1" "GPIO$i" >/dev/null 2>&1 || exit 1; done' _ "$chip"
# the firmware raises READY (GPIO7) once it runs its loop
# --as-is: a plain gpioget would make the guest's output an input on the
# host until the bridge's next sync (what a host consumer that reconfigures a
# guest output sees is not what this step checks)
ready() { [ "$(gpioget -c "$chip" --as-is --numeric GPIO7 2>/dev/null)" = 1 ]; }
wait_for 120 grep -q ready "$work/fw.serial"
t_fw=$((SECONDS - t0))
ktap_ok "the guest's READY output reads high on the host" wait_for 30 ready
ktap_diag "nested TCG: bridge ready ${t_bridge} s, firmware ready ${t_fw} s, READY seen on the host $((SECONDS - t0)) s after QEMU started"

outputs() {
	grep -q '"GPIO0".*output' <<<"$(info GPIO0)" && grep -q '"GPIO1".*output' <<<"$(info GPIO1)" &&
		grep -q '"GPIO2".*input' <<<"$(info GPIO2)" && grep -q '"GPIO7".*output' <<<"$(info GPIO7)"
}
if wait_for 10 outputs; then
	ktap_result 0 "gpioinfo shows the guest's directions (BLINK, MIRROR, READY out; IN in)"
else
	ktap_result 1 "gpioinfo shows the guest's directions (BLINK, MIRROR, READY out; IN in)" \
		"$(gpioinfo -c "$chip" | tr '\n' '|'); bridge: $(tail -5 "$work/fw.bridge.err" 2>/dev/null | tr '\n' '|')"
fi

# a host consumer that takes a guest output as an input and releases it: the
# bridge gives the line back to the guest's direction (the device-side change
# right after the release was lost on 6.9+ gpiolib before the kernel waited
# for the release to finish)
ready_out() { grep -q '"GPIO7".*output' <<<"$(info GPIO7)"; }
back=0
for i in 1 2 3 4 5; do
	gpioget -c "$chip" GPIO7 >/dev/null 2>&1
	wait_for 10 ready_out && back=$((back + 1))
done
ktap_ok "a host gpioget reads READY as an input 5 times: each time it is the guest's output again" \
	test "$back" = 5
ktap_diag "READY back to output after $back of 5 host reads; $(info GPIO7)"

# --- guest outputs -> host edges: a burst of 5 pulses on GPIO0 -------------------
check_burst GPIO0 GPIO4

# --- host output -> guest input -> guest mirror -> host edges ---------------------
check_mirror GPIO1 GPIO2 fw 0x090303fc 4

# --- the guest reprograms a direction ----------------------------------------------
gpionotify -c "$chip" GPIO6 >"$work/notify" 2>&1 &
pids+=($!)
poke() { gpioget -c "$chip" GPIO6 >/dev/null 2>&1; grep -q released "$work/notify"; }
wait_for 10 poke
from=$(wc -l <"$work/notify")
ktap_ok "RECONF (GPIO6) starts as an input" grep -q '"GPIO6".*input' <<<"$(info GPIO6)"
drive GPIO5=1
is_output() { grep -q '"GPIO6".*output' <<<"$(info GPIO6)"; }
ktap_ok "host DIRCMD=1: the guest makes RECONF an output, gpioinfo shows it" wait_for 30 is_output
high() { [ "$(gpioget -c "$chip" --numeric GPIO6 2>/dev/null)" = 1 ]; }
ktap_ok "and the pin it drives high reads 1 on the host" wait_for 10 high
wait_for 5 is_output
if [ $notifies = 1 ]; then
	reconf() { tail -n +"$((from + 1))" "$work/notify" | grep -q 'reconfigured.*"GPIO6"\|"GPIO6".*reconfigured\|reconfigured.*6'; }
	ktap_ok "gpionotify reports RECONF reconfigured" wait_for 10 reconf
else
	ktap_ok "gpionotify: nothing but our own probe ($krel's gpiolib does not notify in-kernel changes)" \
		bash -c '! tail -n +"$(($2 + 1))" "$1" | grep -q reconfigured' _ "$work/notify" "$from"
fi
ktap_diag "gpionotify: $(tail -n +"$((from + 1))" "$work/notify" | tr '\n' '|')"
kill "$set_pid" 2>/dev/null
wait "$set_pid" 2>/dev/null
is_input() { grep -q '"GPIO6".*input' <<<"$(info GPIO6)"; }
ktap_ok "DIRCMD released: the guest makes RECONF an input again" wait_for 30 is_input

# --- QEMU goes away -------------------------------------------------------------------
# a consumer holding GPIO2, whose calls must fail with ENODEV afterwards
hold 2
qemu_kill
ktap_ok "QEMU killed: guse-qemu exits 0, saying so" \
	bash -c '[ "$1" = 0 ] && grep -q "QEMU closed" "$2"' _ "$st" "$work/fw.bridge.err"
ktap_ok "the chip is gone" bash -c '! gpiodetect 2>/dev/null | grep -q "^$1 "' _ "$chip"
wait_for 10 grep -q error "$work/holder"
ktap_ok "the consumer holding a line gets ENODEV" grep -q 'error ENODEV' "$work/holder"
ktap_diag "holder: $(tr '\n' '|' <"$work/holder")"

ktap_finish
