#!/bin/bash
# Injected levels become edge events: libgpiod users and uAPI v1, debounce,
# interrupt configuration, watchers of a dying server
# (tests/guse-events-test.c).
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/program.sh"
run_program guse-events-test
