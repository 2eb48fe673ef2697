# shellcheck shell=bash
# shellcheck disable=SC2154  # $top: the tree, set by the sourcing script
# For the tests/kselftest/ scripts that run one C test program (sourced,
# with $top set to the top of the tree).
#
#   run_program NAME [ARGS...]
#
# Replaces the shell with tests/NAME, or, when that was not built (the
# kselftest harness or libgpiod v2 missing at configure time), prints a
# KTAP skip with the reason and exits 4 (KSFT_SKIP).

# Why tests/NAME was not built, from what configure recorded in tests/Makefile.
program_missing_reason() {
	local mk=$top/tests/Makefile dir
	if [ ! -f "$mk" ]; then
		echo "tests/$1 not built: the tree is not configured"
		return
	fi
	dir=$(sed -n 's/^KSELFTEST_CFLAGS = -I//p' "$mk")
	if [ ! -f "$dir/kselftest_harness.h" ]; then
		echo "tests/$1 not built: configure found no kselftest harness (kselftest_harness.h in '$dir', --with-kselftest-dir)"
	elif ! grep -q '^GPIOD_LIBS = .*gpiod' "$mk"; then
		echo "tests/$1 not built: configure found no libgpiod >= 2.1"
	else
		echo "tests/$1 not built: run make"
	fi
}

run_program() {
	local prog=$top/tests/$1
	if [ ! -x "$prog" ]; then
		echo "TAP version 13"
		echo "1..0 # SKIP $(program_missing_reason "$1")"
		exit 4
	fi
	shift
	exec "$prog" "$@"
}
