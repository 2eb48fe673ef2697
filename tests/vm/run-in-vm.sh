#!/bin/bash
# Run the kselftest-style tests inside the test VM (started by
# tests/run-tests.sh through tests/vm/run-vm.sh) and print one KTAP report.
#
# usage: tests/vm/run-in-vm.sh [TEST...]   (default: tests/kselftest/*.sh)
#
# Each test is a program printing KTAP and exiting 0 (pass), 4 (skip) or
# anything else (fail).  Its output is streamed as "# " diagnostic lines.
# GUSE_TEST_TIMEOUT (seconds, default 120) bounds every test; a test that
# needs longer says so in a line "# guse-test-timeout: SECONDS" (scaled as
# GUSE_TEST_TIMEOUT is against its default, e.g. 4x on the debug kernel).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
per_test_timeout=${GUSE_TEST_TIMEOUT:-120}

if [ $# -gt 0 ]; then
	tests=("$@")
else
	tests=()
	while IFS= read -r t; do tests+=("$t"); done < <(ls "$top"/tests/kselftest/*.sh 2>/dev/null | sort)
fi

echo "KTAP version 1"
echo "# kernel ${GUSE_VM_KERNEL:-$(uname -r)}"
echo "1..${#tests[@]}"
n=0 failed=0
for t in "${tests[@]}"; do
	n=$((n + 1))
	name=$(basename "$t" .sh)
	limit=$per_test_timeout
	own=$(sed -n 's/^# guse-test-timeout: *\([0-9][0-9]*\)$/\1/p' "$t" | head -n 1)
	[ -n "$own" ] && limit=$((own * per_test_timeout / 120))
	start=$SECONDS
	set +e
	# timeout signals its whole process group: servers the test started too
	timeout -k 5 "$limit" bash "$t" </dev/null 2>&1 | sed -u 's/^/# /'
	st=${PIPESTATUS[0]}
	set -e
	echo "# $name: $((SECONDS - start)) s"
	case $st in
	0) echo "ok $n $name" ;;
	4) echo "ok $n $name # SKIP" ;;
	124) echo "not ok $n $name # TIMEOUT after ${limit}s"; failed=1 ;;
	*) echo "not ok $n $name # exit status $st"; failed=1 ;;
	esac
done
exit $failed
