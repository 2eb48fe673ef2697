#!/bin/bash
# A kernel trace of single-line both-edge events on guse and on gpio-sim
# (Documentation/performance.rst, target 3): what runs per event.  Runs in
# the test VM, e.g.
#   tests/vm/run-vm.sh --kernel 7.3 --modules build/modules/<krel> -- \
#       tests/bench/trace-events.sh
# Prints per chip the number of context switches, hard interrupts and work
# items, the tasks switched to, and 40 lines of the trace; the whole traces
# go to $GUSE_VM_RESULTS (or /tmp) as trace-guse.txt and trace-sim.txt.
set -u
here=$(cd "$(dirname "$0")" && pwd)
B=${GUSE_BENCH_BIN:-$here}/guse-bench
T=/sys/kernel/tracing
[ -d $T/events ] || mount -t tracefs tracefs $T
out=${GUSE_VM_RESULTS:-/tmp}

summary() { # LABEL
	local f=$out/trace-$1.txt n
	cat $T/trace >"$f"
	echo "== $1: $(grep -c 'sched_switch:' "$f") sched_switch," \
		"$(grep -c 'irq_handler_entry:' "$f") hard interrupts," \
		"$(grep -c 'workqueue_execute_start:' "$f") work items"
	echo "-- tasks switched to (top 8):"
	grep -o 'next_comm=[^ ]*' "$f" | sort | uniq -c | sort -rn | head -8
	echo "-- work functions (top 5):"
	grep -o 'function [a-z_0-9]*' "$f" | sort | uniq -c | sort -rn | head -5
	echo "-- 40 lines from the middle:"
	n=$(wc -l <"$f")
	sed -n "$((n / 2)),$((n / 2 + 40))p" "$f"
}
start() {
	echo 0 >$T/tracing_on
	echo >$T/trace
	echo 16384 >$T/buffer_size_kb
	echo >$T/set_event
	for e in sched:sched_switch sched:sched_wakeup irq:irq_handler_entry \
		irq:irq_handler_exit workqueue:workqueue_execute_start; do
		echo $e >>$T/set_event
	done
	echo 1 >$T/tracing_on
}
stop() { echo 0 >$T/tracing_on; }

start
"$B" events -n 400 -k guse -r 1 >/dev/null
stop
summary guse

if modprobe gpio-sim 2>/dev/null; then
	cfs=/sys/kernel/config/gpio-sim/guse-trace
	mkdir -p $cfs/bank0 && echo 4 >$cfs/bank0/num_lines && echo 1 >$cfs/live
	name=$(cat $cfs/bank0/chip_name)
	pull=/sys/devices/platform/$(cat $cfs/dev_name)/$name/sim_gpio0/pull
	start
	"$B" events -n 400 -k sim -c "/dev/$name" -p "$pull" -r 1
	stop
	summary sim
	echo 0 >$cfs/live
	rmdir $cfs/bank0 $cfs
else
	echo "== gpio-sim: not available on $(uname -r)"
fi
