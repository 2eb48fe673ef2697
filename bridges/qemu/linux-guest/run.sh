#!/bin/bash
# guse-qemu's Linux guest: Debian's arm64 kernel on qemu-system-aarch64 -M
# virt (TCG) runs guest-init.c as /init, which drives its PL061 through the
# GPIO character device; guse-qemu makes that PL061 a host chip, and the
# system's libgpiod tools watch and drive it:
#   - the guest toggles BLINK (GPIO0): host gpiomon sees exactly 2 x N
#     edges, rising first, alternating;
#   - host gpioset IN (GPIO2) high, then released: the guest reads 1, then
#     0 (its pull-down), and says so on its console;
#   - the guest reconfigures RECONF (GPIO6) output and back to input, on
#     host gpioset DIRCMD (GPIO5): host gpioinfo shows each direction, and
#     where gpiolib notifies in-kernel changes (6.13+) gpionotify reports
#     them as "reconfigured";
#   - on host gpioset GO, the guest powers off: guse-qemu exits 0 and the
#     chip goes away.
# KTAP output.  Needs /dev/guse (the guse modules loaded), the kernel
# scripts/setup-host.sh fetched and the initramfs make built.  Run it on
# one host, or in the test VM:
#   tests/vm/run-vm.sh --kernel 6.12 --modules build/modules/<krel> -- bridges/qemu/linux-guest/run.sh
# GUSE_LG_PULSES (default 5) sets N.
set -u
top=$(cd "$(dirname "$0")/../../.." && pwd)
. "$top/tests/lib/ktap.sh"
. "$top/tests/lib/sim.sh"
. "$top/tests/lib/qemu.sh"

ktap_skip_if "guse-qemu Linux guest" "$(qemu_linux_missing)"
[ -e /dev/guse ] || ktap_skip_if "guse-qemu Linux guest" "no /dev/guse (load guse.ko)"

krel=$(uname -r)
notifies=0
kernel_at_least 6 13 && notifies=1
pulses=${GUSE_LG_PULSES:-5}

ktap_plan 14
ktap_diag "host tools: $(command -v gpiomon gpioset gpioinfo gpionotify | tr '\n' ' ')($(gpiomon --version | head -1))"
serial() { grep -q "^guse-guest: $1" "$work/lg.serial"; }
# the guest's progress, waited for (the serial log said on failure)
guest_says() {
	wait_for "$1" serial "$2" && return
	ktap_diag "guest console: $(grep -v '^\[' "$work/lg.serial" | tr '\n' '|')"
	return 1
}

t0=$SECONDS
qemu_use_linux "guse_pulses=$pulses"
start_qemu lg
start_bridge lg --resume
ktap_ok "guse-qemu serves the aarch64 virt's PL061" \
	bash -c 'grep -q "^ready gpiochip[0-9]* qemu-pl061@9030000 /machine/.* 0x9030000 8$" "$1"' _ "$work/lg.bridge"
ktap_diag "$(cat "$work/lg.bridge")"

# --- the guest's outputs: N pulses on BLINK ---------------------------------------
ktap_ok "the guest's /init finds its PL061 gpiochip and requests BLINK and GO" \
	guest_says 300 "blink ready"
t_boot=$((SECONDS - t0))
ktap_diag "guest: $(grep -h '^guse-guest: \(init after\|chip\)' "$work/lg.serial" | tr '\n' '|')"
blink_out() { grep -q '"GPIO0".*output' <<<"$(info GPIO0)" && grep -q '"GPIO4".*input' <<<"$(info GPIO4)"; }
ktap_ok "gpioinfo shows the guest's BLINK output and GO input" wait_for 10 blink_out
gpiomon -c "$chip" -F '%E' GPIO0 >"$work/blink" 2>&1 &
mon=$!
pids+=("$mon")
wait_for 10 watching GPIO0
t1=$SECONDS
drive GPIO4=1
go=$set_pid
guest_says 120 "blink done $pulses"
# every edge of the burst is in gpiomon's queue once it has 2 x N lines;
# an extra one would arrive with them (the bridge forwards them in order)
wait_for 60 bash -c '[ "$(wc -l <"$1")" -ge "$2" ]' _ "$work/blink" $((2 * pulses))
sleep 0.5
kill "$mon" "$go" 2>/dev/null
wait "$mon" "$go" 2>/dev/null
want=$(for _ in $(seq "$pulses"); do printf 'rising falling '; done)
ktap_ok "host gpiomon: the guest's $pulses pulses as $((2 * pulses)) edges, rising first, alternating" \
	test "$(tr '\n' ' ' <"$work/blink")" = "$want"
ktap_diag "gpiomon: $(tr '\n' ' ' <"$work/blink")in $((SECONDS - t1)) s"

# --- host output -> guest input ------------------------------------------------------
ktap_ok "the guest reads IN low (its pull-down)" guest_says 60 "in value=0"
drive GPIO2=1
ktap_ok "host gpioset IN=1: the guest sees a rising edge and reads 1" guest_says 60 "in rising value=1"
kill "$set_pid" 2>/dev/null
wait "$set_pid" 2>/dev/null
ktap_ok "gpioset released: the guest sees a falling edge and reads 0" guest_says 60 "in falling value=0"

# --- the guest reconfigures a line ----------------------------------------------------
guest_says 60 "reconf input"
gpionotify -c "$chip" GPIO6 >"$work/notify" 2>&1 &
pids+=($!)
poke() { gpioget -c "$chip" GPIO6 >/dev/null 2>&1; grep -q released "$work/notify"; }
wait_for 10 poke
from=$(wc -l <"$work/notify")
is_output() { grep -q '"GPIO6".*output' <<<"$(info GPIO6)"; }
is_input() { grep -q '"GPIO6".*input' <<<"$(info GPIO6)"; }
ktap_ok "gpioinfo shows the guest's RECONF input" is_input
drive GPIO5=1
guest_says 60 "reconf output"
ktap_ok "host gpioset DIRCMD=1: the guest makes RECONF an output, gpioinfo shows it" wait_for 30 is_output
reconfs() { [ "$(tail -n +"$((from + 1))" "$work/notify" | grep -c 'reconfigured')" -ge "$1" ]; }
[ $notifies = 1 ] && wait_for 10 reconfs 1
n_out=$(tail -n +"$((from + 1))" "$work/notify" | grep -c 'reconfigured')
kill "$set_pid" 2>/dev/null
wait "$set_pid" 2>/dev/null
guest_says 60 "reconf input again"
ktap_ok "DIRCMD released: the guest makes RECONF an input again, gpioinfo shows it" wait_for 30 is_input
if [ $notifies = 1 ]; then
	both_ways() { [ "$n_out" -ge 1 ] && wait_for 10 reconfs $((n_out + 1)); }
	ktap_ok "gpionotify reports RECONF reconfigured, to output and back" both_ways
else
	ktap_ok "gpionotify: nothing but our own probe ($krel's gpiolib does not notify in-kernel changes)" \
		bash -c '! tail -n +"$(($2 + 1))" "$1" | grep -q reconfigured' _ "$work/notify" "$from"
fi
ktap_diag "gpionotify: $(tail -n +"$((from + 1))" "$work/notify" | tr '\n' '|')"

# --- the guest powers off ----------------------------------------------------------------
# (it waits for GO, so that the host looked at all of the above while it ran)
guest_says 60 "end ready"
drive GPIO4=1
end_pid=$set_pid
ktap_ok "host gpioset GO=1: the guest's scenario completes" guest_says 60 "done"
kill "$end_pid" 2>/dev/null
wait "$end_pid" 2>/dev/null
ktap_diag "guest: $(grep -h '^guse-guest: scenario over' "$work/lg.serial")"
wait_for 60 bash -c '! kill -0 "$1" 2>/dev/null' _ "$qemu_pid"
ktap_ok "the guest powers off: QEMU exits" bash -c '! kill -0 "$1" 2>/dev/null' _ "$qemu_pid"
wait_for 30 bash -c '! kill -0 "$1" 2>/dev/null' _ "$bridge_pid"
wait "$bridge_pid"
st=$?
gone() { ! gpiodetect 2>/dev/null | grep -q "^$chip "; }
if [ "$st" = 0 ] && grep -q "QEMU closed" "$work/lg.bridge.err" && wait_for 10 gone; then
	ktap_result 0 "guse-qemu exits 0, saying QEMU closed, and the chip is gone"
else
	ktap_result 1 "guse-qemu exits 0, saying QEMU closed, and the chip is gone" \
		"status $st; guse-qemu: $(tr '\n' '|' <"$work/lg.bridge.err"); gpiodetect: $(gpiodetect 2>&1 | tr '\n' '|')"
fi
ktap_diag "timings: guest ready ${t_boot} s after QEMU started, whole scenario $((SECONDS - t0)) s"
ktap_finish
