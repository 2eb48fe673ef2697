#!/bin/bash
# Many chips served by thread pools answering out of order, many consumers
# checking every value they set; the in-flight limit of guse.ko
# (tests/guse-stress-test.c).  GUSE_STRESS_SECONDS etc. tune it.
top=$(cd "$(dirname "$0")/../.." && pwd)
: "${GUSE_STRESS_SECONDS:=8}"
export GUSE_STRESS_SECONDS
. "$top/tests/lib/program.sh"
run_program guse-stress-test
