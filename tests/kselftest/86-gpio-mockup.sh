#!/bin/bash
# The kernel's own gpio-mockup selftest, unmodified, against guse-sim
# chips: tools/testing/selftests/gpio/gpio-mockup.sh, the gpio-mockup-sysfs.sh
# it sources and its helper gpio-mockup-cdev, from Debian's
# linux-source-6.12 (extracted and built by scripts/setup-host.sh into
# $GUSE_CACHE/kselftest-gpio).  None of the suite's kernels builds
# gpio-mockup: the shim in tests/upstream/gpio-mockup/ plays the module and
# its debugfs files (see its README).
#
# One run of the script per uAPI variant, -t cdev (v2), -t cdev_v1 and
# -t sysfs, each reported as the script's own verdict with the number of
# checks it made, then one result per section of its matrix (1.1 dynamic
# allocation, 2.1 no lines; with GUSE_MOCKUP_SCOPE=full, -f -r: also the
# pull/bias, active-low and output checks of every line, 1.2 manual and 1.3
# mixed allocation, 2.2 range overlaps).  A kernel that has gpio-mockup
# would also run the script against it, and its verdicts and check counts
# must be the same.
#
# The test's bound is shared by the variants: one that cannot finish in what
# is left (judged by the one before) is skipped, saying so.  A variant takes
# 20 to 70 s under TCG, depending on the host's load, several times that on
# the debug kernel; the full matrix 4 to 18 minutes (see
# Documentation/testing.rst).  The bound (tests/vm/run-in-vm.sh):
# guse-test-timeout: 300
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/ktap.sh"
. "$top/scripts/common.sh"

shim=$top/tests/upstream/gpio-mockup
src=$GUSE_CACHE/kselftest-gpio
script=$src/gpio-mockup.sh
# run-in-vm.sh's bound for this test: the line above, scaled as
# GUSE_TEST_TIMEOUT is against its default of 120 s
budget=$((300 * ${GUSE_TEST_TIMEOUT:-120} / 120))
scope=${GUSE_MOCKUP_SCOPE:-minimal}
work=$(mktemp -d)
group=''
cleanup() {
	# a variant still running (this test is being stopped): its process
	# group, shim and guse-sim servers included
	[ -n "$group" ] && kill -TERM -- "-$group" 2>/dev/null
	wait 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' TERM INT

variants=(cdev cdev_v1 sysfs)
# The variants this kernel runs: all three on the stock kernels; on the
# debug kernel, where they take 100, 150 and 190 s (KASAN and lockdep under
# TCG), the v2 one: the v1 and sysfs runs differ from it in gpiolib's code,
# not in guse's, which 47-kconsumer, 60-sysfs and 70-tools exercise there.
# (debug_kernel_trimmed, tests/lib/ktap.sh; GUSE_MOCKUP_VARIANTS chooses).
only=${variants[*]} only_why=''
if [ -n "${GUSE_MOCKUP_VARIANTS:-}" ]; then
	only=$GUSE_MOCKUP_VARIANTS
	only_why="GUSE_MOCKUP_VARIANTS='$only'"
elif debug_kernel_trimmed; then
	only=cdev
	only_why="on the debug kernel the v2 variant only: v1 and sysfs differ from it in gpiolib's code, not in guse's, and take 2.5 and 3 minutes there (GUSE_DEBUG_FULL=1 runs them)"
fi
declare -A vname=([cdev]="cdev (uAPI v2)" [cdev_v1]="cdev_v1 (uAPI v1)"
	[sysfs]="sysfs (legacy /sys/class/gpio)")
case $scope in
full)
	opts=(-f -r -v)
	sections=(1.1 1.2 1.3 2.1 2.2) ;;
*)
	scope=minimal
	opts=(-v)
	sections=(1.1 2.1) ;;
esac
declare -A title=([1.1]="dynamic allocation" [1.2]="manual allocation"
	[1.3]="dynamic and manual allocation" [2.1]="no lines defined"
	[2.2]="ignore range overlap")

# --- what this kernel offers -------------------------------------------------
krel=$(uname -r)
kconfig=''
for f in "$GUSE_CACHE/kernels/$krel/boot/config-$krel" "/boot/config-$krel"; do
	[ -f "$f" ] && { kconfig=$f; break; }
done
kconf() { [ -n "$kconfig" ] && grep -q "^$1=[ym]" "$kconfig"; }
kconf_known() { [ -n "$kconfig" ]; }

why=''
[ -f "$script" ] && [ -x "$src/gpio-mockup-cdev" ] ||
	why="no $script or gpio-mockup-cdev (scripts/setup-host.sh extracts and builds them)"
[ -z "$why" ] && [ ! -e /dev/guse ] && why="no /dev/guse (the guse modules are not loaded)"
[ -z "$why" ] && ! command -v unshare >/dev/null && why="no unshare(1)"
[ -z "$why" ] && ! command -v python3 >/dev/null && why="no python3"

# the real gpio-mockup, as the reference, where the kernel has it
reference=0
if [ -z "$why" ] && /sbin/modprobe -n -q gpio-mockup 2>/dev/null; then
	reference=1
fi

plan=$((${#variants[@]} * (1 + ${#sections[@]}) + (reference ? ${#variants[@]} : 1)))
[ "$scope" = minimal ] && plan=$((plan + 1))
ktap_plan $plan
ktap_diag "gpio-mockup.sh of $(cat "$src/ORIGIN" 2>/dev/null || echo '?'), scope $scope (${opts[*]}), budget ${budget}s"
# the script's full tests skip when a chip exists (its chips would not be
# gpiochip0...)
if ls /dev/gpiochip* >/dev/null 2>&1; then
	ktap_diag "GPIO chips before the test: $(echo /dev/gpiochip*)"
fi

# --- one run -------------------------------------------------------------
# run_script <log> <state dir or ""> <timeout> <args...>: the upstream script
# under bash -x (its own interpreter and flags plus the trace the counts
# come from), through the shim when a state dir is given.  Sets rs_status
# to its exit status (124: timed out).  timeout(1) makes a process group of
# its own: at the bound, or when this test is stopped, all of it goes.
run_script() {
	local log=$1 state=$2 limit=$3
	shift 3
	local cmd=(bash -efu -x "$script" "$@")
	[ -n "$state" ] && cmd=("$shim/run" --state "$state" -- "${cmd[@]}")
	timeout -k 5 "$limit" "${cmd[@]}" </dev/null >"$log" 2>&1 &
	group=$!
	wait $group
	rs_status=$?
	group=''
}

# parse <log>: per section "SECTION values files chips loads" lines, then
# "failed SECTION message" if a check failed, "verdict PASS|FAIL|SKIP" and
# "skipmsg text" for a skip.  The checks are the upstream ones that ran,
# counted from the trace: values (assert_line, assert_mock, also inside
# set_mock), line files (test_line checks that a line's debugfs file exists,
# test_no_line that the one past the last line does not; one test_no_line
# per chip) and module loads (insmod_test: load, chips found, removal).
parse() {
	awk '
	function count(what) { n[sec, what]++ }
	/^\++ (assert_line|assert_mock)( |$)/ { count("a"); next }
	/^\++ test_no_line( |$)/ { count("l"); count("c"); next }
	/^\++ test_line( |$)/ { count("l"); next }
	/^\++ insmod_test( |$)/ { count("k"); next }
	/^\+/ { next }
	/^[0-9]+\.[0-9]+\.? / { sec = $1; sub(/\.$/, "", sec); order[++ns] = sec; next }
	/^test failed: / { if (fail == "") fail = sec " " substr($0, 14) }
	/^GPIO gpio-mockup test (PASS|FAIL|SKIP)$/ { verdict = $4 }
	/GPIO gpio-mockup test SKIP/ { skipmsg = prev }
	{ prev = $0 }
	END {
		for (i = 1; i <= ns; i++) {
			s = order[i]
			print s, n[s, "a"] + 0, n[s, "l"] + 0, n[s, "c"] + 0, n[s, "k"] + 0
		}
		if (fail != "") print "failed", fail
		print "verdict", (verdict == "" ? "NONE" : verdict)
		if (skipmsg != "") print "skipmsg", skipmsg
	}' "$1"
}

# --- the matrix ----------------------------------------------------------
declare -A result checks
took=0
for v in "${variants[@]}"; do
	name=${vname[$v]}
	skipwhy=$why
	if [ -z "$skipwhy" ] && ! [[ " $only " == *" $v "* ]]; then
		skipwhy="not run: $only_why"
	fi
	if [ -z "$skipwhy" ] && [ "$v" = cdev_v1 ] && kconf_known && ! kconf CONFIG_GPIO_CDEV_V1; then
		skipwhy="kernel without CONFIG_GPIO_CDEV_V1 (no uAPI v1)"
	fi
	left=$((budget - SECONDS - 10))
	if [ -z "$skipwhy" ] && [ $took -gt 0 ] && [ $((took * 5 / 4)) -gt $left ]; then
		skipwhy="not enough time: ${left}s of the test's ${budget}s left, the variant before took ${took}s"
	fi
	if [ -z "$skipwhy" ] && [ $left -lt 10 ]; then
		skipwhy="not enough time: ${left}s of the test's ${budget}s left"
	fi
	if [ -n "$skipwhy" ]; then
		ktap_skip "$name: gpio-mockup.sh -t $v" "$skipwhy"
		for s in "${sections[@]}"; do
			ktap_skip "$name: $s ${title[$s]}" "$skipwhy"
		done
		result[$v]=skip
		continue
	fi

	log=$work/$v.log state=$work/$v.state
	start=$SECONDS
	run_script "$log" "$state" "$left" "${opts[@]}" -t "$v"
	st=$rs_status
	took=$((SECONDS - start))
	parse "$log" >"$work/$v.sum"
	verdict=$(awk '$1 == "verdict" { print $2 }' "$work/$v.sum")
	failed=$(awk '$1 == "failed" { $1 = ""; print substr($0, 2) }' "$work/$v.sum")
	lastsec=$(awk '$1 ~ /^[0-9]/ { s = $1 } END { print s }' "$work/$v.sum")
	read -r a l c k < <(awk '$1 ~ /^[0-9]/ { a += $2; l += $3; c += $4; k += $5 }
		END { print a + 0, l + 0, c + 0, k + 0 }' "$work/$v.sum")
	desc="$name: gpio-mockup.sh ${opts[*]} -t $v: ${verdict,,}, $((a + l + k)) checks ($a values, $l line files, $k module loads) on $c chips, ${took}s"
	checks[$v]="$verdict $a $l $c $k"
	stats=$(grep '^[0-9.]* stats ' "$state/daemon.log" 2>/dev/null | tail -1 | cut -d' ' -f3-)
	if [ "$st" = 0 ] && [ "$verdict" = PASS ]; then
		ktap_result 0 "$desc"
		result[$v]=pass
	elif [ "$st" = 4 ]; then
		msg=$(awk '$1 == "skipmsg" { $1 = ""; print substr($0, 2) }' "$work/$v.sum")
		ktap_skip "$desc" "the script skips: ${msg:-exit 4}"
		result[$v]=skip
	else
		# no "test failed:" message: the section it was in when it ended
		if [ -z "$failed" ] && [ "$st" = 124 ]; then
			failed="${lastsec:-none} timed out after ${left}s"
		elif [ -z "$failed" ]; then
			failed="${lastsec:-none} exit status $st without a 'test failed' message"
		fi
		ktap_result 1 "$desc" "exit status $st; first failure: ${failed:-none reported}"
		result[$v]=fail
		ktap_diag "last lines of the run:"
		grep -v '^+' "$log" | tail -5 | sed 's/^/#   /'
		grep '^+' "$log" | tail -12 | sed 's/^/#   /'
		ktap_diag "shim log (gpio-mockupd):"
		tail -12 "$state/daemon.log" 2>/dev/null | sed 's/^/#   /'
		[ -s "$state/guse-sim.log" ] && sed 's/^/#   guse-sim: /' "$state/guse-sim.log" | tail -5
		[ -s "$state/daemon.err" ] && sed 's/^/#   gpio-mockupd: /' "$state/daemon.err" | tail -10
	fi
	[ -n "$stats" ] && ktap_diag "shim: $stats"

	# the sections, in the order the script runs them
	fsec=${failed%% *}
	reached=1
	for s in "${sections[@]}"; do
		line=$(awk -v s="$s" '$1 == s' "$work/$v.sum")
		sdesc="$name: $s ${title[$s]}"
		if [ -n "$line" ]; then
			read -r _ sa sl sc sk <<<"$line"
			sdesc="$sdesc: $((sa + sl + sk)) checks on $sc chips"
		fi
		if [ "${result[$v]}" = skip ]; then
			ktap_skip "$sdesc" "the variant skipped"
		elif [ $reached = 0 ]; then
			ktap_skip "$sdesc" "not reached: the script stops at its first failure (in ${fsec:-?})"
		elif [ -z "$line" ]; then
			ktap_result 1 "$sdesc" "the script never got to this section"
			reached=0
		elif [ -n "$failed" ] && [ "$fsec" = "$s" ]; then
			ktap_result 1 "$sdesc" "failed: ${failed#* }"
			reached=0
		else
			ktap_result 0 "$sdesc"
		fi
	done
done

# --- the reference: the kernel's gpio-mockup ---------------------------------
if [ $reference = 0 ]; then
	if [ -n "$why" ]; then
		ktap_skip "the same runs against the kernel's gpio-mockup" "$why"
	else
		ktap_skip "the same runs against the kernel's gpio-mockup" \
			"no gpio-mockup module on this kernel (CONFIG_GPIO_MOCKUP is not set)"
	fi
else
	for v in "${variants[@]}"; do
		d="${vname[$v]}: the kernel's gpio-mockup gives the same verdict and counts"
		if [ "${result[$v]}" = skip ]; then
			ktap_skip "$d" "the guse-sim run skipped"
			continue
		fi
		left=$((budget - SECONDS - 10))
		if [ $((took * 5 / 4)) -gt $left ]; then
			ktap_skip "$d" "not enough time: ${left}s of the test's ${budget}s left"
			continue
		fi
		start=$SECONDS
		run_script "$work/ref-$v.log" "" "$left" "${opts[@]}" -t "$v"
		st=$rs_status took=$((SECONDS - start))
		/sbin/modprobe -r -q gpio-mockup 2>/dev/null
		parse "$work/ref-$v.log" >"$work/ref-$v.sum"
		ref=$(awk '$1 == "verdict" { v = $2 } $1 ~ /^[0-9]/ { a += $2; l += $3; c += $4; k += $5 }
			END { print v, a + 0, l + 0, c + 0, k + 0 }' "$work/ref-$v.sum")
		if [ "$ref" = "${checks[$v]}" ]; then
			ktap_result 0 "$d"
		else
			ktap_result 1 "$d" "gpio-mockup: $ref (exit $st); guse-sim: ${checks[$v]} (verdict, checks, lines, chips, loads)"
			ktap_diag "per section (values, line files, chips, loads): < gpio-mockup, > guse-sim"
			diff "$work/ref-$v.sum" "$work/$v.sum" | sed 's/^/#   /'
		fi
	done
fi

if [ "$scope" = minimal ]; then
	ktap_skip "the full matrix (gpio-mockup.sh -f -r: bias, active-low and output checks, manual bases, overlaps)" \
		"GUSE_MOCKUP_SCOPE=full runs it (4 to 18 minutes per variant under TCG: raise GUSE_TEST_TIMEOUT)"
fi
ktap_finish
