#!/bin/bash
# An in-kernel consumer on a guse chip: tests/kmod/guse-test-consumer.ko
# takes the lines of a guse-sim chip through a gpiod lookup table and
# requests threaded interrupts, level high, level low and without trigger;
# every run of their handler drives the output line (level high: 1, level
# low: 0).  guse-sim deasserts a level once it sees the value the handler
# drove.  Checks that the handlers run and re-trigger while a level is
# held, stop once it is inactive, that each run is one SET_VALUES, the
# FREEs and IRQ_CONFIGs at rmmod, and an rmmod after the server was killed
# while the module held its interrupts.
#
# guse-sim is enough as the server: its trace shows every request, and its
# command stream (set, wait, set) is the feedback.  Its dispatch drains the
# chip until a read would block, which starves the commands while a held
# level keeps a fast handler busy; the module's handler therefore takes
# 1 ms (delay_us), as real ones do.
#
# When a scenario gets stuck (the server hangs deasserting a level, or the
# handler keeps running after it), its checks fail, the kernel stacks are
# printed and the consumer is reloaded, which ends it.
#
# The module comes from <dir>/test/guse-test-consumer.ko, where <dir> is
# GUSE_MODULE_DIR, else what the VM runner loaded the modules from, else
# build/modules/<release> (scripts/build-modules.sh builds it there).
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/ktap.sh"

sim=$top/tools/guse-sim
state=/sys/kernel/debug/guse-test-consumer/state
# chip lines: the output, then the level-high, level-low and untriggered ones
OUT=0 HIGH=1 LOW=2 NONE=3
lines=("out=$OUT" "irq_high=$HIGH" "irq_low=$LOW" "irq_none=$NONE")

dir=${GUSE_MODULE_DIR:-}
conf=/run/guse-results/vm.conf
if [ -z "$dir" ] && [ -r "$conf" ]; then
	for m in $(sed -n "s/^GUSE_MODULES='\(.*\)'\$/\1/p" "$conf"); do
		case $m in */gpio-guse.ko) dir=$(dirname "$m") ;; esac
	done
fi
[ -n "$dir" ] || dir=$top/build/modules/${GUSE_VM_KERNEL:-$(uname -r)}
ko=$dir/test/guse-test-consumer.ko

work=$(mktemp -d)
pids=()
cleanup() {
	rmmod guse_test_consumer 2>/dev/null
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

[ -f "$ko" ] || ktap_skip_if "in-kernel consumer" "no $ko (scripts/build-modules.sh builds it)"

# --- the server ----------------------------------------------------------------
# guse-sim reads commands from a FIFO held open in $sim_fd; its trace and
# its replies (the lines starting with ok or error) go to $trace.  $sent
# counts the commands sent, so the n-th reply answers the n-th command.

# start_sim <label>
start_sim() {
	trace=$work/$1
	mkfifo "$trace.in"
	exec {sim_fd}<>"$trace.in"
	"$sim" -l "$1" -n 4 -N out,irqh,irql,irqn -t 12000 <"$trace.in" >"$trace" 2>&1 &
	pids+=($!)
	sent=0
	wait_for 5 grep -q '^ready' "$trace"
}
replies() { grep -E '^(ok|error)' "$trace"; }
all_replied() { [ "$(replies | wc -l)" -ge "$sent" ]; }

# sim <timeout s> <command>...: runs the commands in order (a wait blocks
# the next); fails unless every reply came within the timeout and is ok.
# Sets reply_ms: the time until the last reply (999999: none).
sim() {
	local tmo=$1 t0
	shift
	t0=$(date +%s%N)
	printf '%s\n' "$@" >&"$sim_fd"
	sent=$((sent + $#))
	if ! wait_for "$tmo" all_replied; then
		reply_ms=999999
		return 1
	fi
	reply_ms=$((($(date +%s%N) - t0) / 1000000))
	! replies | tail -n $# | grep -qv '^ok'
}

# --- the consumer ----------------------------------------------------------------
# st <key>: a value from the module's debugfs state
st() { awk -v k="$1" '$1 == k { print $2; f = 1 } END { exit !f }' "$state"; }
state_line() { tr '\n' ' ' <"$state"; }
runs_ge() { [ "$(st "$1" 2>/dev/null || echo 0)" -ge "$2" ]; }
# stable <key> <seconds>: the value does not change for that long
stable() {
	local a b
	a=$(st "$1") || return 1
	sleep "$2"
	b=$(st "$1") || return 1
	[ "$a" = "$b" ]
}

# note_sets: before an unload, keep the worst SET_VALUES figures
worst_set_us=0 set_errors=0
note_sets() {
	local us
	us=$(st max_set_us) || return
	[ "$us" -le "$worst_set_us" ] || worst_set_us=$us
	set_errors=$((set_errors + $(st set_errors)))
}

# load <chip label>: insmod; the trace from here on is the module's
load() {
	trace_mark=$(($(wc -l <"$trace") + 1))
	insmod "$ko" chip="$1" "${lines[@]}"
}
since_load() { tail -n +"$trace_mark" "$trace"; }
# sets_match <value> <runs key>: one SET_VALUES of value per handler run
sets_match() {
	runs_ge "$2" 1 &&
		[ "$(since_load | grep -c "^set line=$OUT value=$1\$")" = "$(st "$2")" ]
}
traced_for_lines() { # <pattern with L for the line> <line>...
	local p=$1 l
	shift
	for l in "$@"; do since_load | grep -q "${p//L/$l}" || return 1; done
}

requested_traced() {
	traced_for_lines '^request line=L ' 0 1 2 3 &&
		traced_for_lines '^direction line=L output value=0' $OUT
}
irq_config_traced() {
	traced_for_lines '^irq line=L level-high enabled' $HIGH &&
		traced_for_lines '^irq line=L level-low enabled' $LOW &&
		traced_for_lines '^irq line=L none enabled' $NONE
}

bad_patterns='WARNING:|BUG:|Oops|general protection fault|Call Trace:|lockdep|KASAN|UBSAN|sleeping function called from invalid context|blocked for more than'
dmesg_mark() { dmesg | wc -l; }
# no_new_warnings <mark>: the kernel logged no warning since the mark
no_new_warnings() {
	local bad
	bad=$(dmesg | tail -n +$(($1 + 1)) | grep -E "$bad_patterns")
	[ -z "$bad" ] && return 0
	ktap_diag "kernel log: $(head -5 <<<"$bad" | tr '\n' '|')"
	return 1
}

# --- stuck scenarios ---------------------------------------------------------
# A scenario is stuck when the server does not answer an injection or the
# handler does not stop once the level is inactive.  The rest of it is then
# not checked, the kernel stacks that mention guse are printed and the
# consumer is reloaded: its free_irq() ends any handler loop.
stuck=0
stacks() {
	local f p
	for f in $(grep -l guse /proc/[0-9]*/stack 2>/dev/null); do
		p=${f#/proc/}
		p=${p%/stack}
		ktap_diag "stack of $p ($(cat "/proc/$p/comm" 2>/dev/null)):" \
			"$(grep -o '[a-z_0-9.]*+0x' "$f" | head -7 | tr '\n' ' ')"
	done
}
recover() { # <what>
	ktap_diag "$1: stuck; consumer: $(state_line)"
	stacks
	note_sets
	timeout 30 rmmod guse_test_consumer
	wait_for 10 all_replied || ktap_diag "the server still hangs after the rmmod"
	sim 5 "set $HIGH 0" "set $LOW 1" || ktap_diag "the server does not answer"
	load guse-kc || ktap_diag "reloading the consumer failed"
}
# deassert <what> <line> <inactive level> <runs key>: the server deasserts
# the level; its SET_INPUTS must not wait for a request timeout (the
# chip's: 12 s, far above the 4.3 s a loaded host gave the debug kernel),
# and the handler must stop
deassert() {
	stuck=0
	sim 11 "set $2 $3"
	ktap_ok "$1: the server deasserts it (answered in $reply_ms ms)" \
		test "$reply_ms" -lt 8000
	[ "$reply_ms" != 999999 ] || stuck=1
	if [ $stuck = 0 ] && stable "$4" 1; then
		ktap_result 0 "$1: no run once the level is inactive"
	else
		[ $stuck = 1 ] || ktap_diag "$4 still grows: $(st "$4")"
		ktap_result 1 "$1: no run once the level is inactive"
		stuck=1
	fi
	[ $stuck = 0 ] || recover "$1"
}
# check <description> <command...>: ktap_ok, but a failure without running
# the command when the scenario got stuck (the consumer was reloaded)
check() {
	if [ $stuck = 1 ]; then
		ktap_result 1 "$1" "not checked: stuck"
	else
		ktap_ok "$@"
	fi
}

ktap_plan 31

# --- a consumer served by a live server ------------------------------------------
start_sim guse-kc
sim 5 "set $LOW 1" >/dev/null	# level low starts inactive
mark=$(dmesg_mark)
ktap_ok "insmod takes four lines of chip guse-kc and three interrupts" load guse-kc
[ -r "$state" ] && ktap_diag "consumer: $(state_line)"
ktap_ok "the server saw the four lines requested and the output set up low" \
	wait_for 3 requested_traced
ktap_ok "the server saw IRQ_CONFIG level-high, level-low and none, enabled" \
	wait_for 3 irq_config_traced
ktap_ok "no handler ran while no level was asserted" \
	test "$(st high_runs)/$(st low_runs)/$(st none_runs)" = 0/0/0

# level high, deasserted by the server once the handler drove 1
sim 10 "set $HIGH 1" "wait $OUT 1 8000"
ktap_result $? "level high: the handler drives out=1 ($reply_ms ms)"
ktap_ok "level high: the handler ran ($(st high_runs) runs so far), each time with the level asserted" \
	test "$(st high_runs)" -ge 1 -a "$(st high_inactive)" = 0
deassert "level high, once the handler drove out=1" $HIGH 0 high_runs
check "level high: the server saw one SET_VALUES out=1 per run" \
	wait_for 3 sets_match 1 high_runs

# level high held: the interrupt re-triggers until the server deasserts it
base=$(st high_runs)
sim 5 "set $HIGH 1"
ktap_ok "level high held: the handler re-triggers (5 runs or more)" \
	wait_for 10 runs_ge high_runs $((base + 5))
deassert "level high held, while the handler loops" $HIGH 0 high_runs

# level low, deasserted by the server once the handler drove 0
sim 10 "set $LOW 0" "wait $OUT 0 8000"
ktap_result $? "level low: the handler drives out=0 ($reply_ms ms)"
ktap_ok "level low: the handler ran ($(st low_runs) runs so far), each time with the level asserted" \
	test "$(st low_runs)" -ge 1 -a "$(st low_inactive)" = 0
deassert "level low, once the handler drove out=0" $LOW 1 low_runs
check "level low: the server saw one SET_VALUES out=0 per run" \
	wait_for 3 sets_match 0 low_runs

stuck=0
sim 5 "set $NONE 1" "set $NONE 0" "set $NONE 1" "set $NONE 0"
ktap_ok "the interrupt without trigger never fires" \
	bash -c "sleep 0.5; grep -qx 'none_runs 0' $state"
ktap_diag "consumer: $(state_line)"
note_sets
ktap_ok "no SET_VALUES of a handler failed or took 8 s (max $worst_set_us us, $set_errors failed)" \
	test "$set_errors" = 0 -a "$worst_set_us" -lt 8000000

ktap_ok "rmmod of the consumer succeeds" rmmod guse_test_consumer
ktap_ok "the server saw FREE for the four lines" \
	wait_for 3 traced_for_lines '^free line=L$' 0 1 2 3
ktap_ok "the server saw IRQ_CONFIG disabled for the three interrupt lines" \
	wait_for 3 traced_for_lines '^irq line=L .* disabled' $HIGH $LOW $NONE
sim 5 "get 0" "get 1" "get 2" "get 3"
ktap_ok "the chip's lines are released" \
	test "$(replies | tail -n 4 | grep -c 'requested=0')" = 4
kill -TERM "${pids[0]}"
ktap_ok "the server exits on SIGTERM" wait "${pids[0]}"
exec {sim_fd}>&-
ktap_ok "no kernel warning with a live server" no_new_warnings "$mark"

# --- the server killed while the consumer holds its interrupts -----------------
start_sim guse-kc2
sim 5 "set $LOW 1"
mark=$(dmesg_mark)
ktap_ok "insmod on a second chip" load guse-kc2
sim 5 "set $HIGH 1"
ktap_ok "the handler loops while level high is held" wait_for 10 runs_ge high_runs 5
kill -KILL "${pids[1]}"
wait "${pids[1]}" 2>/dev/null
exec {sim_fd}>&-
ktap_ok "once the server is killed the handler stops" wait_for 10 stable high_runs 0.5
ktap_diag "consumer: $(state_line)"
ktap_ok "rmmod of the consumer succeeds after the server died" \
	timeout 30 rmmod guse_test_consumer
ktap_ok "the dead server's chip is gone" \
	wait_for 5 bash -c "! grep -qx guse-kc2 /sys/class/guse/*/label 2>/dev/null"
ktap_ok "no kernel warning after the server died and the rmmod" \
	no_new_warnings "$mark"
ktap_finish
