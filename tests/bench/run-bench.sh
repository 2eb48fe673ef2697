#!/bin/bash
# The guse benchmarks, run inside the test VM (scripts/bench.sh boots it):
# guse against a pipe ping-pong, a CUSE ioctl and gpio-sim, all measured in
# this one run.  Prints the table, then the JSON between "--- json ---" and
# "--- end json ---" lines (the host-side script cuts it out); with a path
# as argument (or GUSE_BENCH_JSON) also writes the JSON there.
#
# usage: tests/bench/run-bench.sh [JSON-PATH]
# Environment: GUSE_BENCH_REPS (repetitions, default 7), GUSE_BENCH_WARMUP
# (warm-up rounds before them, left out of the figures, default 1), GUSE_BENCH_N
# (operations per repetition, default 2000), GUSE_BENCH_QUICK=1 (1
# repetition, few operations: a smoke test of the suite itself),
# GUSE_BENCH_HOST_LOADAVG and GUSE_BENCH_HOST_STAT (the host's load average
# and "total steal" jiffies before the VM started, from scripts/bench.sh).
#
# The repetitions are interleaved: each round runs every measurement once,
# so a disturbance of the (virtual) machine hits guse and the references
# alike; report.py takes the median of each quantity over the rounds.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
bin=${GUSE_BENCH_BIN:-$here}
json_out=${1:-${GUSE_BENCH_JSON:-}}
reps=${GUSE_BENCH_REPS:-7}
warmup=${GUSE_BENCH_WARMUP:-1}
n=${GUSE_BENCH_N:-2000}
scale_reps=${GUSE_BENCH_SCALE_REPS:-2}
conc_ms=${GUSE_BENCH_CONC_MS:-300}
if [ "${GUSE_BENCH_QUICK:-0}" = 1 ]; then
	reps=1 warmup=0 n=200 scale_reps=1 conc_ms=50
fi
python=/usr/bin/python3

say() { printf 'run-bench: %s\n' "$*" >&2; }

work=$(mktemp -d)
samples=$work/samples
: >"$samples"
cuse_pid=
sim_dir=
cleanup() {
	[ -n "$cuse_pid" ] && kill "$cuse_pid" 2>/dev/null && wait "$cuse_pid" 2>/dev/null
	if [ -n "$sim_dir" ] && [ -d "$sim_dir" ]; then
		echo 0 >"$sim_dir/live" 2>/dev/null
		rmdir "$sim_dir/bank0" "$sim_dir" 2>/dev/null
	fi
	rm -rf "$work"
}
trap cleanup EXIT

# note KEY VALUE: a fact for the report (strings allowed)
note() { echo "NOTE $1 $2" >>"$samples"; }

# load and steal: "1min,5min,15min" and "total-jiffies steal-jiffies" of
# all CPUs (/proc/stat: user nice system idle iowait irq softirq steal)
loadavg() { cut -d' ' -f1-3 /proc/loadavg | tr ' ' ,; }
cpustat() { awk '$1 == "cpu" { t = 0; for (i = 2; i <= 9; i++) t += $i; print t, $9 }' /proc/stat; }

# run NAME CMD...: one measurement, its SAMPLE lines into the samples file
run() {
	local name=$1 st t0
	shift
	t0=$(date +%s.%N)
	timeout -k 5 "${GUSE_BENCH_STEP_TIMEOUT:-300}" "$@" >>"$samples" 2>"$work/err"
	st=$?
	say "  $name: $(echo "$(date +%s.%N) - $t0" | bc 2>/dev/null | cut -c1-6)s"
	if [ $st != 0 ]; then
		say "$name failed (exit $st): $(tail -3 "$work/err")"
		note "error.$name" "exit-$st:$(tail -1 "$work/err" | tr ' ' '_')"
	fi
}

krel=${GUSE_VM_KERNEL:-$(uname -r)}
note kernel "$krel"
note cpus "$(nproc)"
note reps "$reps"
note n "$n"
note virt "$(systemd-detect-virt 2>/dev/null || echo unknown)"
note vm.loadavg_before "$(loadavg)"
note vm.stat_before "$(cpustat | tr ' ' ,)"
[ -n "${GUSE_BENCH_HOST_LOADAVG:-}" ] && note host.loadavg_before "$GUSE_BENCH_HOST_LOADAVG"
[ -n "${GUSE_BENCH_HOST_STAT:-}" ] && note host.stat_before "$GUSE_BENCH_HOST_STAT"

[ -c /dev/guse ] || { say "no /dev/guse: load guse.ko and gpio-guse.ko first"; exit 2; }

# --- gpio-sim (7.3 only): a 64-line bank through configfs ---------------------
sim_chip='' sim_pull=''
if modprobe gpio-sim 2>/dev/null; then
	cfs=/sys/kernel/config
	mountpoint -q $cfs || mount -t configfs configfs $cfs 2>/dev/null
	sim_dir=$cfs/gpio-sim/guse-bench
	if mkdir "$sim_dir" && mkdir "$sim_dir/bank0" &&
		echo 64 >"$sim_dir/bank0/num_lines" &&
		echo guse-bench-sim >"$sim_dir/bank0/label" &&
		echo 1 >"$sim_dir/live"; then
		sim_chip=/dev/$(cat "$sim_dir/bank0/chip_name")
		sim_dev=$(cat "$sim_dir/dev_name")
		sim_pull=/sys/devices/platform/$sim_dev/$(cat "$sim_dir/bank0/chip_name")/sim_gpio0/pull
		[ -c "$sim_chip" ] && [ -f "$sim_pull" ] || { say "gpio-sim: no $sim_chip or $sim_pull"; sim_chip=''; }
	else
		say "gpio-sim: configfs set-up failed"
	fi
else
	say "gpio-sim: not available on $krel (n/a)"
fi
note gpio_sim "${sim_chip:-n/a}"

# --- CUSE: the reference server ------------------------------------------------
cuse_dev=''
if [ -x "$bin/guse-bench-cuse" ] && { [ -c /dev/cuse ] || modprobe cuse 2>/dev/null; }; then
	"$bin/guse-bench-cuse" >"$work/cuse.out" 2>"$work/cuse.err" &
	cuse_pid=$!
	for _ in $(seq 100); do
		[ -c /dev/guse_bench_cuse ] && grep -q ready "$work/cuse.out" && break
		sleep 0.1
	done
	if [ -c /dev/guse_bench_cuse ]; then
		cuse_dev=/dev/guse_bench_cuse
	else
		say "cuse: the server did not come up: $(cat "$work/cuse.err")"
	fi
else
	say "cuse: no server binary or no cuse module (n/a)"
fi
note cuse "${cuse_dev:-n/a}"

B=$bin/guse-bench
# warm-up rounds first (caches, frequency, the first run of each binary):
# measured like the others, marked, and left out of every figure
note warmup "$warmup"
for r in $(seq $((1 - warmup)) "$reps"); do
	if [ "$r" -lt 1 ]; then
		say "warm-up round $((r + warmup))/$warmup"
		echo "ROUND warmup" >>"$samples"
	else
		say "round $r/$reps"
		echo "ROUND $r" >>"$samples"
	fi
	run pipe "$B" pipe -n "$n"
	run guse-lines "$B" lines -n "$n" -k guse
	[ -n "$sim_chip" ] && run sim-lines "$B" lines -n "$n" -k sim -c "$sim_chip"
	[ -n "$cuse_dev" ] && run cuse "$B" cuse -n "$n" -d "$cuse_dev"
	run guse-events "$B" events -n "$n" -k guse
	run guse-events-8 "$B" events -n "$n" -k guse8 -l 8
	[ -n "$sim_chip" ] && run sim-events "$B" events -n "$n" -k sim -c "$sim_chip" -p "$sim_pull"
	run conc "$B" conc -n "$conc_ms"
done
echo "ROUND none" >>"$samples"
# --- system calls per round trip: counted, not timed (load-independent) --------
if command -v strace >/dev/null; then
	say "system calls per round trip (strace)"
	for mode in pipe guse cached; do
		run "sc-$mode" "$python" "$here/syscalls.py" "$B" "$mode"
	done
	[ -n "$cuse_dev" ] &&
		run sc-cuse "$python" "$here/syscalls.py" "$B" cuse --attach "$cuse_pid" -d "$cuse_dev"
else
	say "no strace: system calls per round trip n/a"
fi

scale_chips=${GUSE_BENCH_SCALE_CHIPS:-4096}
[ "${GUSE_BENCH_QUICK:-0}" = 1 ] && scale_chips=256
say "scale: $scale_chips chips x 64 lines, $scale_reps repetitions"
run scale "$B" scale -n "$scale_chips" -l 64 -r "$scale_reps" -k scale4k

note vm.loadavg_after "$(loadavg)"
note vm.stat_after "$(cpustat | tr ' ' ,)"

args=("$samples")
[ -n "$json_out" ] && args+=(--json "$json_out")
"$python" "$here/report.py" "${args[@]}"
