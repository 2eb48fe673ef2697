#!/bin/bash
# The README quick-start demo, run inside the test VM by
# `scripts/quickstart.sh demo`: a simulated chip served from userspace, used
# with the stock libgpiod tools.
# PLACEHOLDER: the lead finishes it once tools/guse-sim's command line is set.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
sim=$top/tools/guse-sim

step() { printf '\n$ %s\n' "$*"; "$@"; }

echo "guse demo on kernel ${GUSE_VM_KERNEL:-$(uname -r)}"
step ls -l /dev/guse
if [ ! -x "$sim" ]; then
	echo "demo: $sim is not built yet (make)"
	exit 1
fi
# TODO(lead): the guse-sim arguments for an 8-line chip named guse-demo
"$sim" ${GUSE_DEMO_SIM_ARGS:-} &
sim_pid=$!
trap 'kill $sim_pid 2>/dev/null || true' EXIT
sleep 1
step gpiodetect
step gpioinfo
