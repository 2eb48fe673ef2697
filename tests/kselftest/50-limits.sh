#!/bin/bash
# gpio-guse.ko max_chips and max_lines: reloads the module with small
# limits, then with the defaults (tests/guse-limits-test.c).  The module
# comes from GUSE_MODULE_DIR, else from what the VM runner loaded
# (GUSE_MODULES in its vm.conf), else build/modules/$(uname -r).
top=$(cd "$(dirname "$0")/../.." && pwd)
dir=${GUSE_MODULE_DIR:-}
conf=/run/guse-results/vm.conf
if [ -z "$dir" ] && [ -r "$conf" ]; then
	mods=$(sed -n "s/^GUSE_MODULES='\(.*\)'\$/\1/p" "$conf")
	for m in $mods; do
		case $m in */gpio-guse.ko) dir=$(dirname "$m") ;; esac
	done
fi
[ -n "$dir" ] || dir=$top/build/modules/$(uname -r)
. "$top/tests/lib/program.sh"
run_program guse-limits-test "$dir/gpio-guse.ko"
