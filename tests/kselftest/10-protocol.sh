#!/bin/bash
# Raw /dev/guse protocol: validation of every server message, timeouts,
# late replies and server death (tests/guse-protocol-test.c).
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/program.sh"
run_program guse-protocol-test
