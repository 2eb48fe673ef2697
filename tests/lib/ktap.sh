# shellcheck shell=bash
# KTAP helpers for the shell tests in tests/kselftest/ (sourced, not run).
#
#   ktap_plan N; ktap_ok "desc" CMD...; ktap_skip "desc" "why"; ktap_finish
#
# Exit status: 0 all passed, 1 something failed, 4 everything skipped.

KTAP_N=0 KTAP_FAIL=0 KTAP_PASS=0 KTAP_SKIPPED=0

ktap_plan() { echo "KTAP version 1"; echo "1..$1"; KTAP_PLANNED=$1; }
ktap_diag() { echo "# $*"; }

# ktap_result <0|1> <description> [diagnostic]
ktap_result() {
	KTAP_N=$((KTAP_N + 1))
	if [ "$1" = 0 ]; then
		echo "ok $KTAP_N $2"
		KTAP_PASS=$((KTAP_PASS + 1))
	else
		echo "not ok $KTAP_N $2"
		[ -n "${3:-}" ] && ktap_diag "$3"
		KTAP_FAIL=$((KTAP_FAIL + 1))
	fi
}

# ktap_ok <description> <command...>: passes when the command succeeds
ktap_ok() {
	local desc=$1
	shift
	if "$@"; then ktap_result 0 "$desc"; else ktap_result 1 "$desc" "failed: $*"; fi
}

ktap_skip() {
	KTAP_N=$((KTAP_N + 1))
	KTAP_SKIPPED=$((KTAP_SKIPPED + 1))
	echo "ok $KTAP_N $1 # SKIP $2"
}

ktap_finish() {
	if [ "$KTAP_N" != "${KTAP_PLANNED:-0}" ]; then
		ktap_diag "planned ${KTAP_PLANNED:-0} tests, ran $KTAP_N"
		KTAP_FAIL=$((KTAP_FAIL + 1))
	fi
	echo "# Totals: pass:$KTAP_PASS fail:$KTAP_FAIL skip:$KTAP_SKIPPED"
	[ "$KTAP_FAIL" = 0 ] || exit 1
	[ "$KTAP_PASS" = 0 ] && [ "$KTAP_SKIPPED" != 0 ] && exit 4
	exit 0
}

# ktap_skip_if <name> <why>: unless WHY is "", the whole test is one
# counted skip of NAME saying WHY, and ends.  Call before ktap_plan.
ktap_skip_if() {
	[ -z "$2" ] && return
	ktap_plan 1
	ktap_skip "$1" "$2"
	ktap_finish
}

# debug_kernel_trimmed: whether this is the debug kernel and the tests
# leave out there what costs minutes under KASAN and lockdep while other
# tests exercise its kernel paths (not with GUSE_DEBUG_FULL=1).
debug_kernel_trimmed() {
	case $(uname -r) in *-guse-debug) ;; *) return 1 ;; esac
	[ -z "${GUSE_DEBUG_FULL:-}" ]
}

# debug_kernel_skip <name> <why>: such a test is one counted skip saying
# why where debug_kernel_trimmed.  Call before ktap_plan; elsewhere it
# returns.
debug_kernel_skip() {
	debug_kernel_trimmed || return 0
	ktap_skip_if "$1" "on the debug kernel: $2 (GUSE_DEBUG_FULL=1 runs it)"
}

# wait_for <seconds> <command...>: polls until the command succeeds.  The
# bound is multiplied by GUSE_TIMEOUT_SCALE (tests/run-tests.sh sets it for
# the debug kernel, several times slower under TCG).
wait_for() {
	local deadline=$((SECONDS + $1 * ${GUSE_TIMEOUT_SCALE:-1}))
	shift
	until "$@"; do
		[ $SECONDS -ge "$deadline" ] && return 1
		sleep 0.05
	done
}

# kernel_at_least <major> <minor>: whether the running kernel is that
# version or later.
kernel_at_least() {
	local krel maj min
	krel=$(uname -r)
	maj=${krel%%.*} min=${krel#*.}
	min=${min%%[!0-9]*}
	[ "$maj" -gt "$1" ] || { [ "$maj" = "$1" ] && [ "$min" -ge "$2" ]; }
}
