#!/bin/bash
# The README quick-start demo, run inside the test VM by
# `scripts/quickstart.sh demo`: a chip served from userspace by guse-sim,
# used with the stock libgpiod tools.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
sim=$top/tools/guse-sim
work=$(mktemp -d)

step() { printf '\n$ %s\n' "$*"; "$@"; }
note() { printf '\n# %s\n' "$*"; }
show_trace() { sed 's/^/  guse-sim| /' "$work/trace"; : >"$work/trace"; }

echo "guse demo on kernel ${GUSE_VM_KERNEL:-$(uname -r)}"
[ -x "$sim" ] || { echo "demo: $sim is not built (make)"; exit 1; }

# guse-sim reads commands from a FIFO and writes its traffic trace to a file
mkfifo "$work/cmd"
"$sim" --label guse-demo --num-lines 8 \
	--line-names led0,led1,button,reset,irq,spare5,spare6,spare7 \
	<"$work/cmd" >>"$work/trace" 2>&1 &
sim_pid=$!
exec 3>"$work/cmd"
trap 'exec 3>&-; kill $sim_pid 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 100); do grep -q '^ready' "$work/trace" && break; sleep 0.05; done
chip=$(awk '/^ready/ {print $2; exit}' "$work/trace")
note "guse-sim serves $chip: $(head -1 "$work/trace")"
: >"$work/trace"

step gpiodetect
step gpioinfo -c "$chip"

note "a consumer drives led1 high: the request reaches guse-sim"
step gpioset -t0 -c "$chip" led1=1
sleep 0.3
show_trace

note "guse-sim drives the input 'button' high; gpioget reads it"
echo "set button 1" >&3
sleep 0.3
step gpioget -c "$chip" button
: >"$work/trace"

note "gpiomon sees the edges guse-sim injects on 'irq'"
(sleep 0.5; echo "pulse irq 20000" >&3) &
step gpiomon -c "$chip" --num-events=2 irq

note "stopping guse-sim removes the chip"
echo quit >&3
wait $sim_pid || true
step gpiodetect
echo
echo "demo: done"
