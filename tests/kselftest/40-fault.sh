#!/bin/bash
# Servers SIGKILLed with requests in flight (100 rounds), garbage-writing
# and slow servers (tests/guse-fault-test.c).  GUSE_FAULT_ROUNDS and
# GUSE_FAULT_SECONDS tune it.
top=$(cd "$(dirname "$0")/../.." && pwd)
exec "$top/tests/guse-fault-test"
