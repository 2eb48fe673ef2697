#!/bin/bash
# Run the guse benchmarks (tests/bench/) in the test VM and keep the results.
#
# usage: scripts/bench.sh [--kernel <short|krel>]... [--quick] [--reps N]
#        (default kernel: 7.3, the one with gpio-sim; --kernel may repeat)
#
# Builds what is needed (userspace with make, the modules for each kernel
# with scripts/build-modules.sh), boots the VM, runs tests/bench/run-bench.sh
# and writes build/bench/bench-<krel>.txt (the table) and
# build/bench/bench-<krel>.json.  VM logs go to build/bench/logs.  See
# Documentation/performance.rst.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
. "$top/scripts/common.sh"

say() { printf 'bench: %s\n' "$*" >&2; }
usage() {
	sed -n '4,5p' "$0" | sed 's/^# //' >&2
	exit 2
}

# the host's load average ("1,5,15") and "total,steal" jiffies of all CPUs
host_loadavg() { cut -d' ' -f1-3 /proc/loadavg | tr ' ' ,; }
host_cpustat() { awk '$1 == "cpu" { t = 0; for (i = 2; i <= 9; i++) t += $i; print t "," $9 }' /proc/stat; }

kernels=()
while [ $# -gt 0 ]; do
	case $1 in
	--kernel) kernels+=("${2:?}"); shift 2 ;;
	--quick) export GUSE_BENCH_QUICK=1; shift ;;
	--reps) export GUSE_BENCH_REPS=${2:?}; shift 2 ;;
	-h | --help) usage ;;
	*) say "unknown argument: $1"; usage ;;
	esac
done
[ ${#kernels[@]} -gt 0 ] || kernels=(7.3)

out=$top/build/bench
mkdir -p "$out/logs"

# userspace: the tree is configured in place (autogen + configure otherwise)
if [ ! -f "$top/Makefile" ]; then
	say "configuring"
	(cd "$top" && { [ -x configure ] || ./autogen.sh; } && ./configure -q)
fi
say "building userspace"
make -C "$top" -s all >/dev/null
make -C "$top/tests" -s bench >/dev/null
[ -x "$top/tests/bench/guse-bench-cuse" ] ||
	say "no fuse3 (libfuse3-dev): the CUSE reference will be n/a"

status=0
for k in "${kernels[@]}"; do
	krel=$(resolve_krel "$k")
	say "building the modules for $krel"
	"$top/scripts/build-modules.sh" "$krel" >/dev/null
	say "running the benchmarks on $krel (this takes a few minutes)"
	raw=$out/bench-$krel.raw
	# the host's load before and after, for the noise report
	export GUSE_BENCH_HOST_LOADAVG GUSE_BENCH_HOST_STAT
	GUSE_BENCH_HOST_LOADAVG=$(host_loadavg)
	GUSE_BENCH_HOST_STAT=$(host_cpustat)
	set +e
	(cd "$top" && tests/vm/run-vm.sh --kernel "$krel" \
		--modules "$top/build/modules/$krel" --log "$out/logs" \
		--timeout "${GUSE_BENCH_TIMEOUT:-1800}" -- tests/bench/run-bench.sh) >"$raw"
	st=$?
	set -e
	if [ $st != 0 ]; then
		say "$krel: the VM run failed (status $st); output in $raw, logs in $out/logs"
		status=1
		continue
	fi
	sed -n '/^--- json ---$/,/^--- end json ---$/p' "$raw" | sed '1d;$d' >"$out/bench-$krel.json"
	grep '^run-bench: ' "$raw" | grep -Ev '^run-bench: (round |scale|  [^ ]+: [0-9.]+s$)' >"$out/bench-$krel.log" || true
	/usr/bin/python3 "$top/tests/bench/report.py" --from-json "$out/bench-$krel.json" \
		--json "$out/bench-$krel.json" \
		--note "host.loadavg_after=$(host_loadavg)" \
		--note "host.stat_after=$(host_cpustat)" |
		sed '/^--- json ---$/,$d' >"$out/bench-$krel.txt"
	cat "$out/bench-$krel.log" >>"$out/bench-$krel.txt"
	rm -f "$out/bench-$krel.log"
	rm -f "$raw"
	cat "$out/bench-$krel.txt"
	say "wrote $out/bench-$krel.txt and $out/bench-$krel.json"
done
exit $status
