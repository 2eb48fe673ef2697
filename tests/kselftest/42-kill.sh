#!/bin/bash
# guse-test-timeout: 180
# Servers SIGKILLed while consumers block in a round trip, hold lines, read
# edge events, watch line info and request and free edge detection in a
# tight loop (IRQ_CONFIG on); every consumer returns, the chip goes, no
# kernel report, no slab growth (tests/guse-kill-test.c).  40 s of cycles;
# GUSE_KILL_SECONDS, GUSE_KILL_CYCLES (the long run: 1000) tune it.
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/program.sh"
run_program guse-kill-test
