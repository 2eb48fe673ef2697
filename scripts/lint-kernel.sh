#!/bin/bash
# Kernel code checks that need no VM: checkpatch.pl --strict and kernel-doc
# over kernel/, the uapi header and the test module (tests/kmod).  Prints
# KTAP; exit 0 pass, 1 fail, 4 skip (the tools are missing: run
# scripts/setup-host.sh).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
lint=${GUSE_CACHE:-/var/cache/guse}/checkpatch/scripts
files=("$top"/kernel/*.c "$top"/kernel/*.h "$top"/include/uapi/linux/guse.h "$top"/tests/kmod/*.c)

echo "KTAP version 1"
echo "1..2"
if [ ! -f "$lint/checkpatch.pl" ]; then
	echo "ok 1 checkpatch --strict # SKIP $lint/checkpatch.pl missing"
	echo "ok 2 kernel-doc # SKIP $lint/kernel-doc missing"
	exit 4
fi
fail=0
out=$(cd "$top" && perl "$lint/checkpatch.pl" --strict --no-tree --terse --show-types \
	-f "${files[@]#"$top"/}" 2>&1 | grep -Ev ': total: 0 errors, 0 warnings, 0 checks|^$')
if [ -z "$out" ]; then
	echo "ok 1 checkpatch --strict"
else
	echo "not ok 1 checkpatch --strict"
	sed 's/^/# /' <<<"$out"
	fail=1
fi
out=$(perl "$lint/kernel-doc" -none "${files[@]}" 2>&1)
if [ -z "$out" ]; then
	echo "ok 2 kernel-doc"
else
	echo "not ok 2 kernel-doc"
	sed 's/^/# /' <<<"$out"
	fail=1
fi
exit $fail
