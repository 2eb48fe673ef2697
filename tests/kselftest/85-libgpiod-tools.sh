#!/bin/bash
# libgpiod's own tools tests (tools/gpio-tools-test.bash of Debian's
# libgpiod source, fetched into $GUSE_CACHE/libgpiod by
# scripts/setup-host.sh), unmodified, against guse-sim chips: the shim in
# tests/upstream/libgpiod-tools/ serves the suite's gpiosim_* helpers with
# guse-sim.  One result per upstream test case.
#
# The tools are those of the suite's own release, built from the same
# source by scripts/setup-host.sh ($GUSE_CACHE/libgpiod/tools/bin), else the
# installed ones (said in the output).
#
# Where the kernel has its own gpio-sim (7.3), the same suite also runs as
# upstream runs it, against gpio-sim, and is the judge: a test must pass on
# guse-sim exactly when it passes on gpio-sim (one both fail is a skip with
# gpio-sim's reason).  Elsewhere a failure is a skip only if
# tests/upstream/libgpiod-tools/expected-failures lists it, with the reason
# gpio-sim fails it too; and where guse's gpio-sim.ko is built (kernels
# without gpio-sim), the suite also runs as upstream runs it against
# gpio-sim.ko (`modprobe gpio-sim` finds it: tests/lib/gpiosim.sh), judged
# by the same list, one result per case prefixed "gpio-sim.ko:".  A test that fails is run once more, in both runs
# alike (the suite's own waits, e.g. 0.2 s for a tool to start, are tight
# under TCG): it passes if either attempt passes, and the first failure is
# printed.  Tests the list marks "race" (their outcome depends on timing,
# whatever the chip) are skips when the two runs disagree.
#
# The suite is slow under TCG (see need_guse and need_gpiosim, times
# GUSE_TIMEOUT_SCALE): with less time in GUSE_TEST_TIMEOUT than the runs
# need (the suite's 120 s default), the test is one skip that says how much
# it needs; Documentation/testing.rst gives the command.
# GUSE_LIBGPIOD_TESTS (an extended regular expression) picks some cases;
# GUSE_LIBGPIOD_VERBOSE=1 prints the suite's whole output.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/ktap.sh"
. "$top/scripts/common.sh"
. "$top/tests/lib/gpiosim.sh"

shim=$top/tests/upstream/libgpiod-tools
list=$shim/expected-failures
src=$GUSE_CACHE/libgpiod/source
suite=$src/tools/gpio-tools-test.bash
scale=${GUSE_TIMEOUT_SCALE:-1}
need_guse=1200 need_gpiosim=2400
work=$(mktemp -d)
gs_loaded=0 run_pgid='' runner=()
# shellcheck disable=SC2317 # called by the trap
cleanup() {
	[ -n "$run_pgid" ] && reap "$run_pgid"
	[ "$gs_loaded" = 1 ] && gpiosim_unload 2>/dev/null
	cd / && rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 143' TERM INT

# The upstream test cases, found as shunit2 finds them.
tests=()
if [ -f "$suite" ]; then
	mapfile -t tests < <(grep -E '^[[:space:]]*(function )?test[A-Za-z0-9_-]* *\(\)' "$suite" |
		sed -E 's/^[[:space:]]*(function )?//; s/ *\(\).*//')
fi
total=${#tests[@]}
if [ -n "${GUSE_LIBGPIOD_TESTS:-}" ] && [ "$total" -gt 0 ]; then
	mapfile -t tests < <(printf '%s\n' "${tests[@]}" | grep -E -- "$GUSE_LIBGPIOD_TESTS")
fi
why=''
[ -f "$suite" ] || why="no $suite (scripts/setup-host.sh fetches it)"
[ -z "$why" ] && [ ${#tests[@]} = 0 ] && why="no test cases in $suite${GUSE_LIBGPIOD_TESTS:+ match $GUSE_LIBGPIOD_TESTS}"
[ -z "$why" ] && [ ! -f /usr/bin/shunit2 ] && why="no /usr/bin/shunit2 (Debian package shunit2)"
tooldir=$GUSE_CACHE/libgpiod/tools/bin
[ -x "$tooldir/gpiodetect" ] || tooldir=$(dirname "$(command -v gpiodetect 2>/dev/null || echo /nonexistent/x)")
[ -z "$why" ] && [ ! -x "$tooldir/gpiodetect" ] && why="no libgpiod tools (gpiod, or scripts/setup-host.sh's build in $GUSE_CACHE/libgpiod/tools)"
ktap_skip_if "libgpiod tools tests" "$why"

# The judge is the kernel's own gpio-sim, not guse's gpio-sim.ko (an
# out-of-tree module: "O" in its taint); gpio-sim.ko is a subject.
mods=$top/build/modules/$(uname -r)
ko=0
! gpiosim_is_kernels && [ -f "$mods/gpio-sim.ko" ] && ko=1
# The time each run needs (measured on a 2-CPU host loaded 3 to 4 times
# over: guse-sim 630 to 950 s, gpio-sim about twice that: its chips take
# longer to come and go); the gpio-sim run gets its share of
# GUSE_TEST_TIMEOUT, the guse-sim run what is left; the report keeps a
# minute.
need_g=$((need_guse * scale * ${#tests[@]} / total + 30)) need_k=0
{ gpiosim_is_kernels || [ $ko = 1 ]; } && need_k=$((need_gpiosim * scale * ${#tests[@]} / total + 30))
avail=$((${GUSE_TEST_TIMEOUT:-120} - 15 - 60 * scale))
if [ $avail -lt $((need_g + need_k)) ]; then
	ktap_skip_if "libgpiod tools tests (${#tests[@]} cases)" \
		"they need about $need_g s against guse-sim$([ $need_k != 0 ] && echo " and $need_k s against gpio-sim$([ $ko = 1 ] && echo .ko)") under TCG here: GUSE_TEST_TIMEOUT >= $((need_g + need_k + 15 + 60 * scale)) (is ${GUSE_TEST_TIMEOUT:-120}; Documentation/testing.rst)"
fi
ktap_plan $((${#tests[@]} * (1 + ko)))
ktap_diag "libgpiod tools tests: $(readlink -f "$src") ($(cat "$GUSE_CACHE/libgpiod/ORIGIN" 2>/dev/null)), ${#tests[@]} of $total cases; tools: $("$tooldir/gpiodetect" --version | head -1) ($tooldir)"

printf '%s\n' "${tests[@]}" >"$work/names"

# upstream runs the tools next to the test file ("$SOURCE_DIR/gpioget"):
# the test file and the installed tools side by side
farm=$work/farm
mkdir -p "$farm"
ln -s "$suite" "$farm/gpio-tools-test.bash"
for t in gpiodetect gpioinfo gpioget gpioset gpiomon gpionotify; do
	ln -s "$tooldir/$t" "$farm/$t"
done

# What a killed or dead run left: its processes (DUTs, guse-sim servers:
# the run's process group, which timeout(1) leads) and gpio-sim chips.
reap() { # <pgid>
	local d n=0
	kill -- -"$1" 2>/dev/null
	while kill -0 -- -"$1" 2>/dev/null && [ $n -lt 100 ]; do sleep 0.05; n=$((n + 1)); done
	for d in /sys/kernel/config/gpio-sim/gpio-tools-test-*; do
		[ -d "$d" ] || continue
		[ "$(cat "$d/live")" = 1 ] && echo 0 >"$d/live"
		rmdir "$d"/bank*/line*/hog "$d"/bank*/line* "$d"/bank* "$d" 2>/dev/null
	done
}

# watch_run <output>: returns when the run (run_pgid) ends, or kills it
# once its output stalls for hang_after seconds: every tool the suite runs
# is bounded by its own 10 s timeout, so a test that long is stuck.  What
# its processes were doing goes into $work/hung.  Before its first test,
# shunit2 takes a while (an expr process per test to count them: over a
# minute for 100 tests on a loaded host): start_after.
hang_after=$((60 * scale)) start_after=$((300 * scale))
# It also appends "<seconds> <test>" to $work/times as each test starts.
watch_run() {
	local size=-1 now since=$SECONDS cur='' t
	: >"$work/hung"
	while kill -0 "$run_pgid" 2>/dev/null; do
		now=$(wc -c <"$1")
		if [ "$now" != "$size" ]; then
			size=$now since=$SECONDS
			t=$(grep -Fx -f "$work/names" "$1" | tail -1)
			[ -n "$t" ] && [ "$t" != "$cur" ] && cur=$t && echo "$SECONDS $t" >>"$work/times"
		elif [ $((SECONDS - since)) -ge "$([ -n "$cur" ] && echo $hang_after || echo $start_after)" ]; then
			{
				echo "85-libgpiod-tools: this test hung (no output for $((SECONDS - since)) s); killed, resumed after it; its processes:"
				ps -eo pgid=,pid=,stat=,wchan:32=,etimes=,args= |
					awk -v g="$run_pgid" '$1 == g' | sed 's/^/85-libgpiod-tools:   /'
			} >"$work/hung"
			kill -- -"$run_pgid" 2>/dev/null
			return
		fi
		sleep 1
	done
	echo "$SECONDS -" >>"$work/times"
}

# run_tests <output> <test>...: the suite on these tests until $deadline,
# its output appended to <output>.  A run that dies in a test (bash dies of
# SIGPIPE when a test writes to a tool that has exited) or hangs in one is
# resumed after it.  $path goes first on PATH.  The tests write into their
# working directory (symlinks): a scratch one.
run_tests() {
	local out=$1 st last left todo i
	shift
	todo=("$@")
	while [ ${#todo[@]} -gt 0 ]; do
		left=$((deadline - SECONDS))
		[ $left -gt 5 ] || { echo "85-libgpiod-tools: out of time (${budget} s)" >>"$out"; break; }
		(cd "$work/cwd" && PATH=$path:$PATH SHUNIT_COLOR=none \
			exec "${runner[@]}" timeout -k 5 "$left" bash "$farm/gpio-tools-test.bash" -- "${todo[@]}" \
			</dev/null >"$work/chunk" 2>&1) &
		run_pgid=$!
		watch_run "$work/chunk"
		wait $run_pgid
		st=$?
		reap $run_pgid
		run_pgid=''
		cat "$work/chunk" "$work/hung" >>"$out"
		# shunit2's report ends a complete run
		grep -Eq '^Ran [0-9]+ tests?\.$' "$work/chunk" && break
		last=$(grep -Fx -f <(printf '%s\n' "${todo[@]}") "$work/chunk" | tail -1)
		[ -s "$work/hung" ] ||
			echo "85-libgpiod-tools: the suite died in this test (exit status $st$([ $st = 124 ] && echo ": out of time")); resumed after it" >>"$out"
		[ $st = 124 ] && [ ! -s "$work/hung" ] && break
		for i in "${!todo[@]}"; do
			[ "${todo[i]}" = "$last" ] && { todo=("${todo[@]:i+1}"); continue 2; }
		done
		break	# no test started: nothing to resume
	done
}

# parse <output>: "<test> pass|fail|notrun [first failure line]" per test.
# shunit2 prints each test's name, then its ASSERT: lines and shunit2:ERROR
# (a test function that returned nonzero) or FATAL.
parse() {
	printf '%s\n' "${tests[@]}" | awk -v out="$1" '
		{ order[++n] = $0; isname[$0] = 1 }
		END {
			while ((getline l < out) > 0) {
				if (l in isname) { cur = l; seen[cur] = 1; continue }
				if (cur != "" && l ~ /ASSERT:|shunit2:(ERROR|FATAL)|^85-libgpiod-tools:/ && !(cur in why))
					why[cur] = l
			}
			for (i = 1; i <= n; i++) {
				t = order[i]
				if (!(t in seen)) print t, "notrun"
				else if (t in why) print t, "fail", why[t]
				else print t, "pass"
			}
		}'
}

# run_suite <name> <seconds> <dir for PATH>...: every test, then the
# failed ones again, within <seconds>; $work/<name>.res has "<test> pass|retried|fail|notrun [why]"
# (retried: failed, then passed; why is the first failure).
run_suite() {
	local name=$1 start=$SECONDS failed=()
	budget=$2
	shift 2
	path=$(IFS=:; echo "$*")
	deadline=$((SECONDS + budget))
	rm -rf "$work/cwd" && mkdir -p "$work/cwd"
	: >"$work/times"
	: >"$work/$name" && : >"$work/$name.retry"
	run_tests "$work/$name" "${tests[@]}"
	parse "$work/$name" >"$work/$name.res1"
	mapfile -t failed < <(awk '$2 == "fail" { print $1 }' "$work/$name.res1")
	[ ${#failed[@]} -gt 0 ] && run_tests "$work/$name.retry" "${failed[@]}"
	parse "$work/$name.retry" | awk 'NR == FNR { again[$1] = $2; next }
		$2 == "fail" && again[$1] == "pass" { $2 = "retried" } { print }' - "$work/$name.res1" \
		>"$work/$name.res"
	ktap_diag "$name: the suite took $((SECONDS - start)) s (${#failed[@]} failed tests run again); the slowest tests (s, within 1 s):"
	awk 'prev != "" { print $1 - t, prev } { t = $1; prev = ($2 == "-") ? "" : $2 }' \
		"$work/times" | sort -rn | head -5 | sed "s/^/# $name:   /"
	grep -hE '^(Ran [0-9]+ tests?\.|FAILED \(.*|85-libgpiod-tools: .*)$' "$work/$name" "$work/$name.retry" |
		sed "s/^/# $name: /"
	if [ -n "${GUSE_LIBGPIOD_VERBOSE:-}" ]; then
		sed "s/^/# $name output: /" "$work/$name" "$work/$name.retry"
	fi
}
# load <name>: its results into RES_<name>[test] and WHY_<name>[test]
# (bash builtins: the report makes no process per case)
# shellcheck disable=SC2034 # read through namerefs (load, report)
declare -A RES_guse RES_gpio RES_ko WHY_guse WHY_gpio WHY_ko LIST_fail LIST_race
load() { # <name> <array suffix>
	local -n res=RES_$2 why=WHY_$2
	local t r w
	# shellcheck disable=SC2034,SC2004 # namerefs to the arrays above
	while read -r t r w; do res[$t]=$r why[$t]=$w; done <"$work/$1.res"
}
# the failure lines of one test in a run's output (first attempt), as
# diagnostics
details() {
	awk -v t="$2" -v names="${tests[*]}" '
		BEGIN { n = split(names, a, " "); for (i = 1; i <= n; i++) isname[a[i]] = 1 }
		$0 in isname { on = ($0 == t); next }
		on && /ASSERT:|shunit2:|^85-libgpiod-tools:/' "$work/$1" | head -8 | sed "s/^/# $1: /"
}
# expected-failures: "<kind> <test> <reason>" lines, # comments
while read -r kind t r; do
	case $kind in
	fail) LIST_fail[$t]=$r ;;
	race) LIST_race[$t]=$r ;;
	esac
done < <(grep -v '^#' "$list" 2>/dev/null)

# gpio-sim first, as upstream runs it: its helper and shunit2 from PATH
have_gpiosim=''
end=$((SECONDS + avail))
if [ $need_k != 0 ] && [ $ko = 0 ]; then
	grep -qw gpio_sim /proc/modules || gs_loaded=1
	run_suite gpio-sim $((avail * need_k / (need_k + need_g))) "$src/tests/scripts"
	have_gpiosim=1
	[ "$gs_loaded" = 1 ] && gpiosim_unload 2>/dev/null && gs_loaded=0
else
	ktap_diag "this kernel has no gpio-sim of its own: failures are judged by $list"
fi
# guse's gpio-sim.ko, as upstream runs gpio-sim: its modprobe finds the
# module in a private module tree (a mount namespace of the run alone)
if [ $ko = 1 ]; then
	rmmod gpio_sim 2>/dev/null
	if gpiosim_ko_tree "$mods" "$work/root" 2>"$work/depmod.err"; then
		gs_loaded=1 runner=("${gpiosim_ko_ns[@]}")
		run_suite gpio-sim.ko $((avail * need_k / (need_k + need_g))) "$src/tests/scripts"
		runner=()
	else
		ktap_diag "gpio-sim.ko: no module tree: $(tr '\n' ' ' <"$work/depmod.err")"
		: >"$work/gpio-sim.ko.res"
	fi
	gpiosim_unload 2>/dev/null && gs_loaded=0
fi
# guse-sim: the shim's shunit2 and modprobe first on PATH.  guse-sim
# itself, not its libtool wrapper script (that costs a third of a second
# per chip under TCG).
sim=$top/tools/guse-sim sim_ld=${LD_LIBRARY_PATH:-}
if [ -x "$top/libtool" ]; then
	# shellcheck disable=SC2016 # expanded by that sh
	read -r sim sim_ld < <("$top/libtool" --mode=execute \
		sh -c 'echo "$0 $LD_LIBRARY_PATH"' "$sim")
fi
GUSE_SIM=$sim LD_LIBRARY_PATH=$sim_ld run_suite guse-sim $((end - SECONDS)) "$shim" "$src/tests/scripts"

# report <run> <suffix> <prefix>: a result per case of that run (g), k
# gpio-sim's (from its run, or where it has none, from expected-failures:
# fail if listed so, else pass).
report() {
	local run=$1 pfx=$3 t g k by r
	local -n resg=RES_$2 whyg=WHY_$2
	for t in "${tests[@]}"; do
		g=${resg[$t]:-notrun} k='' by='' r=''
		[ "$g" = retried ] && ktap_diag "$pfx$t: $run failed it once, then passed: ${whyg[$t]}" && g=pass
		if [ -n "$have_gpiosim" ]; then
			k=${RES_gpio[$t]:-notrun}
			[ "$k" = retried ] && ktap_diag "$t: gpio-sim failed it once, then passed: ${WHY_gpio[$t]}" && k=pass
		fi
		if [ -z "$k" ] || [ "$k" = notrun ]; then
			by=" (by expected-failures)"
			[ -n "$k" ] && by=" (by expected-failures: gpio-sim's run did not get to it)"
			k=pass
			[ -n "${LIST_fail[$t]:-}" ] && k=fail r=${LIST_fail[$t]}
		fi
		if [ "$k" != "$g" ] && [ -n "${LIST_race[$t]:-}" ]; then
			if [ -z "$by" ]; then
				ktap_skip "$pfx$t" "$g on $run, $k on gpio-sim: the outcome depends on timing: ${LIST_race[$t]}"
			else
				ktap_skip "$pfx$t" "$g on $run, no gpio-sim run to compare$by: the outcome depends on timing: ${LIST_race[$t]}"
			fi
			continue
		fi
		case $k/$g in
		pass/pass) ktap_result 0 "$pfx$t" ;;
		pass/*)
			ktap_result 1 "$pfx$t" "$g on $run, passes on gpio-sim${by:+$by, which does not list it}"
			details "$run" "$t" ;;
		*/pass)
			ktap_result 1 "$pfx$t" "passes on $run, $k on gpio-sim$by${r:+: $r}: the passes must be the same"
			[ -z "$by" ] && details gpio-sim "$t" ;;
		*)
			if [ -z "$by" ]; then
				ktap_skip "$pfx$t" "$g on $run, $k on gpio-sim too: ${WHY_gpio[$t]}"
			else
				ktap_skip "$pfx$t" "$g on $run, an expected failure$by: $r"
			fi ;;
		esac
	done
}
load guse-sim guse
[ -n "$have_gpiosim" ] && load gpio-sim gpio
report guse-sim guse ''
if [ $ko = 1 ]; then
	load gpio-sim.ko ko
	report gpio-sim.ko ko 'gpio-sim.ko: '
fi
ktap_finish
