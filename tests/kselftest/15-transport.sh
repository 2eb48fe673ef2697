#!/bin/bash
# What consumers see of a silent server (one timeout per operation, EINTR
# on a signal) and what the server always sees (FREE after a timed-out
# REQUEST or with a full request table; IRQ_CONFIG never waited for):
# tests/guse-transport-test, on the kernel's kselftest harness.
top=$(cd "$(dirname "$0")/../.." && pwd)
prog=$top/tests/guse-transport-test
if [ ! -x "$prog" ]; then
	echo "1..0 # SKIP $prog not built (configure found no kselftest harness)"
	exit 4
fi
exec "$prog"
