#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Host-side test of tests/bench/report.py (make check): the noise check
# marks timing targets "noisy" when the pipe reference spreads more than
# its bound over the rounds, judges them in a quiet run (a ratio on its
# per-round ratios), leaves warm-up rounds out, and judges counts (system
# calls, memory, lost events) in either.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
report=$here/report.py
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fails=0
ok() { echo "ok - $*"; }
bad() { echo "not ok - $*"; fails=$((fails + 1)); }

# samples FILE PIPE-NS...: a run whose pipe took PIPE-NS per round and guse
# 1.02x the median pipe; 2.0 server system calls per request on both
samples() {
	local f=$1 p
	shift
	: >"$f"
	for p in "$@"; do
		echo "SAMPLE rt.pipe $p" >>"$f"
	done
	for _ in "$@"; do
		echo "SAMPLE guse.get.1 71400" >>"$f"
		echo "SAMPLE ev.guse.burst_lost 0" >>"$f"
	done
	{
		echo "NOTE sc.pipe.server 2.00"
		echo "NOTE sc.guse.server 2.00"
		echo "NOTE vm.loadavg_before 0.10,0.20,0.30"
		echo "NOTE vm.loadavg_after 1.00,0.50,0.40"
		echo "NOTE vm.stat_before 1000,10"
		echo "NOTE vm.stat_after 2000,60"
	} >>"$f"
}

state() { # TEXT TARGET-PREFIX: the state column of that target
	awk -v t="$2" 'index($0, "  " t) == 1 { print $NF }' <<<"$1"
}

check() { # NAME WANT GOT
	if [ "$2" = "$3" ]; then ok "$1: $3"; else bad "$1: expected '$2', got '$3'"; fi
}

samples "$work/quiet" 70000 70500 69800 70200 70100
out=$(python3 "$report" "$work/quiet" | sed '/^--- json ---$/,$d')
check "quiet run: T1a judged" met "$(state "$out" T1a)"
check "quiet run: T1c judged" met "$(state "$out" T1c)"
grep -q 'noise check: .* bound 20 %: quiet' <<<"$out" && ok "quiet run: said quiet" ||
	bad "quiet run: not said quiet"
grep -q 'steal during the run 5.0 %' <<<"$out" && ok "VM steal shown" || bad "VM steal not shown"
grep -q 'before 0.10,0.20,0.30, after 1.00,0.50,0.40' <<<"$out" && ok "VM load shown" ||
	bad "VM load not shown"
grep -Eq 'pipe ping-pong, 2 processes \(floor\) +69.8 +70.1 +70.5 us' <<<"$out" &&
	ok "min / median / max shown" || bad "min / median / max not shown"

samples "$work/noisy" 70000 50000 90000 71000 69000
out=$(python3 "$report" "$work/noisy" | sed '/^--- json ---$/,$d')
check "noisy run: T1a not judged" noisy "$(state "$out" T1a)"
check "noisy run: T1c (a count) still judged" met "$(state "$out" T1c)"
check "noisy run: T3b (a count) still judged" met "$(state "$out" T3b)"
grep -q 'noise check: .*: NOISY' <<<"$out" && ok "noisy run: said noisy" || bad "noisy run: not said noisy"

samples "$work/one" 70000
out=$(python3 "$report" "$work/one" | sed '/^--- json ---$/,$d')
check "one round: T1a unjudged" unjudged "$(state "$out" T1a)"

# rounds FILE PIPE:GUSE...: a run in rounds (ROUND lines), a warm-up round
# first whose pipe took 10x (it must be left out of every figure)
rounds() {
	local f=$1 pg r=0
	shift
	{
		echo "NOTE warmup 1"
		echo "ROUND warmup"
		echo "SAMPLE rt.pipe 700000"
		echo "SAMPLE guse.get.1 700000"
		for pg in "$@"; do
			r=$((r + 1))
			echo "ROUND $r"
			[ "${pg%%:*}" = - ] || echo "SAMPLE rt.pipe ${pg%%:*}"
			echo "SAMPLE guse.get.1 ${pg#*:}"
		done
		echo "ROUND none"
		echo "NOTE sc.pipe.server 2.00"
		echo "NOTE sc.guse.server 2.00"
	} >"$f"
}

# paired ratios 1.00 1.01 1.02 1.03 1.04: met, although the ratio of the
# medians (71400 / 70000 = 1.02) hides nothing here
rounds "$work/pmet" 70000:70000 70400:71104 70000:71400 70500:72615 69800:72592
out=$(python3 "$report" "$work/pmet" | sed '/^--- json ---$/,$d')
check "paired, all rounds within: T1a" met "$(state "$out" T1a)"
grep -q 'noise check: .* over 5 rounds, bound 20 %: quiet' <<<"$out" &&
	ok "warm-up round left out of the noise check" || bad "warm-up round counted in the noise check"
grep -Eq 'pipe ping-pong, 2 processes \(floor\) +69.8 +70.0 +70.5 us' <<<"$out" &&
	ok "warm-up round left out of min / median / max" || bad "warm-up round in min / median / max"
grep -q '1 warm-up round before them left out' <<<"$out" && ok "warm-up rounds said" ||
	bad "warm-up rounds not said"
grep -Eq 'T1a .* 1.02 \[1.01 \.\. 1.03\]' <<<"$out" && ok "paired median and quartiles shown" ||
	bad "paired median and quartiles not shown"

# ratios 0.96 0.98 1.06 1.12 1.14: the limit 1.05 lies between the
# quartiles (0.98 .. 1.12): undecided, although the median ratio misses
rounds "$work/pund" 70000:67200 70000:68600 70000:74200 70000:78400 70000:79800
out=$(python3 "$report" "$work/pund" | sed '/^--- json ---$/,$d')
check "paired, the limit between the quartiles: T1a" undecided "$(state "$out" T1a)"

# ratios 1.10 .. 1.20: missed in every round
rounds "$work/pmiss" 70000:77000 70000:79800 70000:81200 70000:82600 70000:84000
out=$(python3 "$report" "$work/pmiss" | sed '/^--- json ---$/,$d')
check "paired, every round beyond: T1a" MISSED "$(state "$out" T1a)"

# a round without its pipe sample pairs nothing: the rounds pair by number
rounds "$work/pgap" 70000:70000 -:140000 70000:71000 70000:71400 70000:72000
out=$(python3 "$report" "$work/pgap" | sed '/^--- json ---$/,$d')
check "paired by round number, one round unpaired: T1a" met "$(state "$out" T1a)"

# the host's figures added afterwards (scripts/bench.sh)
python3 "$report" "$work/quiet" --json "$work/q.json" >/dev/null
out=$(python3 "$report" --from-json "$work/q.json" --note host.loadavg_before=2.00,1.00,0.50 \
	--note host.loadavg_after=3.00,2.00,1.00 --note host.stat_before=100,0 \
	--note host.stat_after=300,50 | sed '/^--- json ---$/,$d')
grep -q 'host load average .*before 2.00,1.00,0.50, after 3.00,2.00,1.00; steal during the run 25.0 %' \
	<<<"$out" && ok "host load and steal added from JSON" || bad "host load and steal not added"
check "from JSON: T1a still judged" met "$(state "$out" T1a)"

[ $fails = 0 ] || { echo "$fails failed"; exit 1; }
