#!/bin/bash
# The device side (protocol 1.1) as host tools see it, through guse-sim:
# the line state at creation (outputs driven at reset, initial pulls, hogs,
# lines missing from the valid mask), device-side direction changes, claims
# and unclaims, what a host consumer holding the line gets (the device-side
# change is refused, the consumer keeps the line) and what a line-info
# watcher (gpionotify) sees on this kernel: "reconfigured" for a direction
# change and "requested" for a claim only where gpiolib notifies in-kernel
# changes (6.13 and later), "released" for an unclaim everywhere.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/ktap.sh"

. "$top/tests/lib/sim.sh"

# gpiolib notifies line-info watchers of in-kernel changes from 6.13 on
krel=$(uname -r)
notifies=0
kernel_at_least 6 13 && notifies=1

ktap_plan 24

start_sim dev -l guse-dev -n 8 -N run,led,button,reset,uart,gap5,gap6,spare \
	--output 1=1 --pull 2=1 --hog 3:fw-reset:output-high --invalid 5-6
chip=$(chip_of dev)
sock=$work/dev.sock
ktap_diag "guse-sim serves ${chip:-nothing}; kernel $krel, in-kernel changes notified: $notifies"

# info LINE: the gpioinfo line of one line
info() { gpioinfo -c "$chip" "$1" 2>&1; }

# --- the line state at creation ---------------------------------------------
ktap_ok "a line configured as output shows as an output at creation" \
	bash -c 'grep -q "\"led\".*output" <<<"$1" && ! grep -q consumer <<<"$1"' _ "$(info led)"
ktap_ok "the device drives it: gpioget --as-is reads its value" \
	test "$(gpioget -c "$chip" --as-is --numeric led 2>&1)" = 1
ktap_ok "an initial pull is what an input reads" \
	test "$(gpioget -c "$chip" --numeric button 2>&1)" = 1
ktap_ok "a hog shows as used by its label, output, from the start" \
	grep -q '"reset".*output.*consumer="fw-reset"' <<<"$(info reset)"
ktap_ok "a host request of a hog fails with EBUSY" \
	bash -c '! gpioset -c "$1" -t0 reset=0 2>"$2" && grep -qi busy "$2"' _ "$chip" "$work/err"
# gpioinfo (2.1) prints a used line without a label as consumer="kernel"
ktap_ok "a line missing from the valid mask shows as used" \
	grep -q '"gap5".*consumer="kernel"' <<<"$(info gap5)"
ktap_ok "a request of an invalid line fails" \
	bash -c '! gpioget -c "$1" gap6 >/dev/null 2>&1' _ "$chip"
ktap_ok "the valid lines next to it work" \
	test "$(gpioget -c "$chip" --numeric spare 2>&1)" = 0

# --- a watcher ----------------------------------------------------------------
# gpionotify on run and uart.  It sets its watches after it started: poke
# run (a host request and release, always reported) until the watcher saw
# it, then everything after that first release is what this test caused.
gpionotify -c "$chip" run uart >"$work/notify" 2>&1 &
pids+=($!)
notify_pid=$!
poke() { gpioget -c "$chip" run >/dev/null 2>&1; grep -q released "$work/notify"; }
wait_for 10 poke
events_from=$(wc -l <"$work/notify")
# events: what the watcher saw after the handshake, "EVENT LINE" per line
events() {
	tail -n +"$((events_from + 1))" "$work/notify" |
		sed -n 's/.*\(requested\|released\|reconfigured\).*"\([a-z]*\)".*/\1 \2/p'
}

# --- device-side direction changes -------------------------------------------
ktap_ok "dir out: the device makes a line an output" \
	grep -q '^ok .*line=0 output value=1' <<<"$(sim_cmd "$sock" dir run out 1)"
ktap_ok "gpioinfo shows the new direction" \
	grep -q '"run".*output' <<<"$(info run)"
ktap_ok "the device drives the value it set" \
	test "$(gpioget -c "$chip" --as-is --numeric run 2>&1)" = 1
sim_cmd "$sock" dir run in >/dev/null
ktap_ok "dir in: gpioinfo shows an input again" \
	bash -c 'grep -q "\"run\".*input" <<<"$1"' _ "$(info run)"

# --- claims -------------------------------------------------------------------
ktap_ok "claim: the device takes a line under its label" \
	grep -q '^ok .*line=4 claim consumer="guest:uart0"' \
	<<<"$(sim_cmd "$sock" claim uart guest:uart0)"
ktap_ok "gpioinfo shows the claimed line used by the device's label" \
	grep -q '"uart".*consumer="guest:uart0"' <<<"$(info uart)"
ktap_ok "a host request of a claimed line fails with EBUSY" \
	bash -c '! gpioset -c "$1" -t0 uart=1 2>"$2" && grep -qi busy "$2"' _ "$chip" "$work/err"
sim_cmd "$sock" dir uart out 0 >/dev/null
ktap_ok "a claimed line changes direction and stays claimed" \
	grep -q '"uart".*output.*consumer="guest:uart0"' <<<"$(info uart)"
sim_cmd "$sock" unclaim uart >/dev/null
ktap_ok "unclaim gives the line back to host consumers" \
	bash -c '! grep -q consumer <<<"$(gpioinfo -c "$1" uart)" && gpioset -c "$1" -t0 uart=1' _ "$chip"

# the watcher saw this test's changes and the closing poke's release
gpioget -c "$chip" run >/dev/null 2>&1
closing() { events | tail -n 1 | grep -q 'released run'; }
wait_for 10 closing
if [ "$notifies" = 1 ]; then
	want='reconfigured run
requested run
released run
reconfigured run
requested uart
reconfigured uart
released uart
requested uart
released uart
requested run
released run'
else
	# gpioget's own request is reported by the chardev; the device side's
	# claim and direction changes are not, its unclaim (a release) is
	want='requested run
released run
released uart
requested uart
released uart
requested run
released run'
fi
got=$(events)
ktap_result "$([ "$got" = "$want" ]; echo $?)" \
	"gpionotify sees exactly what gpiolib $krel reports of device-side changes" \
	"got: $(tr '\n' ';' <<<"$got") want: $(tr '\n' ';' <<<"$want")"
kill "$notify_pid" 2>/dev/null

# --- a host consumer holds the line ---------------------------------------------
gpioset -c "$chip" spare=1 &
pids+=($!)
held() { grep -q '"spare".*consumer="gpioset"' <<<"$(info spare)"; }
wait_for 10 held
ktap_ok "dir on a line a host consumer holds is refused as busy" \
	grep -q '^error busy: line 7 is held by a consumer "gpioset"' \
	<<<"$(sim_cmd "$sock" dir spare in)"
ktap_ok "the refusal is in the trace" traced dev 'device line=7 input refused=busy'
ktap_ok "the consumer keeps its line and direction" \
	bash -c 'grep -q "\"spare\".*output.*consumer=\"gpioset\"" <<<"$1" &&
		grep -q "output=1.*requested=1" <<<"$2"' _ "$(info spare)" "$(sim_cmd "$sock" get spare)"
ktap_ok "claim of a line a host consumer holds is refused as busy" \
	grep -q '^error busy' <<<"$(sim_cmd "$sock" claim spare guest:spi)"

# --- hogs go back, and a server dies with a claim held -----------------------------
sim_cmd "$sock" unclaim reset >/dev/null
ktap_ok "unclaim of a hog frees it" \
	bash -c 'gpioset -c "$1" -t0 reset=0' _ "$chip"
sim_cmd "$sock" claim uart guest:uart1 >/dev/null
kill -TERM "${pids[0]}"
kill "${pids[-1]}"
gone() { ! gpiodetect 2>/dev/null | grep -q "^$chip "; }
ktap_ok "a server that exits with a claimed line and a held line loses its chip" \
	wait_for 15 gone

ktap_finish
