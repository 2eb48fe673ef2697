#!/bin/bash
# Protocol fuzzer (tests/guse-fuzz-test.c): random, mutated and torn
# messages before and after CREATE, replies racing the real requests of
# libgpiod consumers, allocation failures where the kernel has failslab.
# Bounded: 100000 messages or 40 s of fuzzing, whichever comes first: the
# live part spreads its 80000 over its 32 s, so both end it together; the
# fresh part (20000, 8 s; it creates a chip every 20 messages) ends on
# either, on TCG as often on its time as on its messages, on the debug
# kernel on its time; the failslab subtests (debug kernel only) add 2 x 10 s.  GUSE_FUZZ_SEED=N replays a run (its seed is printed as
# "# seed N"); Documentation/testing.rst has the long run.
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/program.sh"
run_program guse-fuzz-test --messages "${GUSE_FUZZ_MESSAGES:-100000}" \
	--seconds "${GUSE_FUZZ_SECONDS:-40}"
