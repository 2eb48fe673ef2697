#!/bin/bash
# One server thread serving three chips and pulsing their inputs while
# consumers request, reconfigure and free edge detection on other lines
# (IRQ_CONFIG on); blocking and O_NONBLOCK server files.  No SET_INPUTS
# write or consumer operation may take 2 s, events must be consecutive
# (tests/guse-irqstress-test.c).  GUSE_IRQSTRESS_SECONDS (default 12 per
# variant) tunes it.
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/program.sh"
run_program guse-irqstress-test
