#!/bin/bash
# Servers SIGKILLed with requests in flight (100 rounds), garbage-writing
# and slow servers (tests/guse-fault-test.c).  GUSE_FAULT_ROUNDS and
# GUSE_FAULT_SECONDS tune it.
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/program.sh"
run_program guse-fault-test
