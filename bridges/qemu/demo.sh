#!/bin/bash
# The guse-qemu demo (README "Emulated boards: guse-qemu"): QEMU's -M virt
# runs the bare-metal test firmware, its PL061 becomes a host chip, the
# stock libgpiod tools watch and drive it.  Needs /dev/guse: run it in the
# test VM,
#   tests/vm/run-vm.sh --kernel 6.12 --modules build/modules/<krel> -- bridges/qemu/demo.sh
# or on a machine with the modules loaded.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
fw=$top/bridges/qemu/firmware/guse-qemu-fw.elf
bridge=$top/bridges/qemu/guse-qemu
work=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null; rm -rf "$work"' EXIT

step() { printf '\n$ %s\n' "$*"; "$@"; }
note() { printf '\n# %s\n' "$*"; }
wait_file() { for _ in $(seq 1200); do grep -q "$2" "$1" 2>/dev/null && return; sleep 0.05; done; return 1; }

for f in "$fw" "$bridge"; do
	[ -e "$f" ] || { echo "demo: $f is not built (make; see bridges/qemu/Makefile.am)"; exit 1; }
done

note "QEMU -M virt, paused (-S), with a qtest and a QMP socket"
set -x
qemu-system-arm -M virt -cpu cortex-a15 -m 32 -accel tcg -S -nodefaults -display none \
	-kernel "$fw" -serial "file:$work/serial" \
	-qtest "unix:$work/qtest.sock,server=on,wait=off" -qtest-log /dev/null \
	-qmp "unix:$work/qmp.sock,server=on,wait=off" </dev/null &
{ set +x; } 2>/dev/null
pids+=($!)
for _ in $(seq 600); do [ -S "$work/qmp.sock" ] && break; sleep 0.05; done

note "guse-qemu finds the PL061, creates the chip, then lets the guest run (--resume)"
set -x
"$bridge" --qmp "$work/qmp.sock" --qtest "$work/qtest.sock" --resume >"$work/bridge" &
{ set +x; } 2>/dev/null
pids+=($!)
wait_file "$work/bridge" '^ready'
cat "$work/bridge"
chip=$(awk '/^ready/ {print $2; exit}' "$work/bridge")
wait_file "$work/serial" ready
step gpioinfo -c "$chip"

note "the firmware blinks GPIO0 five times on every rising edge of GPIO4 (GO)"
gpiomon -c "$chip" -n 10 GPIO0 GPIO1 &
mon=$!
sleep 1
step timeout 3 gpioset -c "$chip" GPIO4=1 || true
wait "$mon"

note "the firmware mirrors GPIO2 (IN) on GPIO1 (MIRROR)"
gpiomon -c "$chip" -n 2 GPIO1 &
mon=$!
sleep 1
step timeout 2 gpioset -c "$chip" GPIO2=1 || true
wait "$mon"

note "the guest makes GPIO6 an output while GPIO5 (DIRCMD) is high"
gpioset -c "$chip" GPIO5=1 &
set_pid=$!
sleep 2
step gpioinfo -c "$chip" GPIO6
kill "$set_pid"
wait "$set_pid" 2>/dev/null || true
sleep 2
step gpioinfo -c "$chip" GPIO6
note "the guest's serial console:"
cat "$work/serial"
