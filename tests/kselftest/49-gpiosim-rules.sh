#!/bin/bash
# gpio-sim's configfs rules beyond the kernel's selftest, checked the same
# way on guse's gpio-sim.ko (kernels without gpio-sim) and on the in-tree
# gpio-sim (7.3), which is the reference: every expectation here holds for
# both.  Default labels, valid lines, hog directions, many devices and
# banks, rmdir while live, a chip going away under a consumer, and what
# gpioinfo shows.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/ktap.sh"
. "$top/tests/lib/gpiosim.sh"

cfs=/sys/kernel/config/gpio-sim
compat=$top/build/modules/$(uname -r)/gpio-sim.ko
work=$(mktemp -d)
loaded=''
pids=()
cleanup() {
	local d
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	for d in "$cfs"/rules-*/; do
		[ -d "$d" ] || continue
		echo 0 >"$d/live" 2>/dev/null
		rmdir "$d"/*/line*/hog "$d"/*/line* "$d"/*/ "$d" 2>/dev/null
	done
	[ -n "$loaded" ] && gpiosim_unload
	rm -rf "$work"
}
trap cleanup EXIT

ktap_plan 12

if grep -qw '^gpio_sim' /proc/modules; then
	which=loaded
elif modprobe gpio-sim 2>/dev/null; then
	which="the kernel's" loaded=kernel
elif [ -f "$compat" ] && modprobe configfs 2>/dev/null && insmod "$compat"; then
	which="guse's" loaded=guse
else
	for i in $(seq 12); do ktap_skip "gpio-sim rule $i" "no gpio-sim and no $compat"; done
	ktap_finish
fi
ktap_diag "gpio-sim: $which"

# dev NAME BANK...: a device with these banks (not live)
dev() {
	local d=$cfs/rules-$1 b
	shift
	mkdir "$d" || return 1
	for b in "$@"; do mkdir "$d/$b" || return 1; done
}
live() { echo "$2" >"$cfs/rules-$1/live"; }
gone() {
	local d=$cfs/rules-$1
	echo 0 >"$d/live" 2>/dev/null
	rmdir "$d"/*/line*/hog "$d"/*/line* "$d"/*/ "$d" 2>/dev/null
	[ ! -e "$d" ]
}
chip_of() { cat "$cfs/rules-$1/$2/chip_name"; }

# 1: the default label is the device name and the bank's node
dev a bank0 bank1 && live a 1
devname=$(cat "$cfs/rules-a/dev_name")
chip1=$(chip_of a bank1)
ktap_ok "banks without a label are named DEVNAME:nodeN in gpiodetect" \
	bash -c 'gpiodetect | grep -q "^$1 \[$2:node0\]" && gpiodetect | grep -q "^$3 \[$2:node1\]"' \
	_ "$(chip_of a bank0)" "$devname" "$chip1"
ktap_ok "the platform device is gpio-sim.N with a gpiochip per bank" \
	test -d "/sys/devices/platform/$devname/$chip1/sim_gpio0"
ktap_ok "a bank's directory can go while live; its chip stays until live=0" \
	bash -c 'rmdir "$1" && gpiodetect | grep -q "^$2 "' _ "$cfs/rules-a/bank1" "$chip1"
ktap_ok "live=1 on a live device fails" bash -c '! echo 1 >"$1" 2>/dev/null' _ "$cfs/rules-a/live"
gone a

# 2: valid lines and hog directions
dev b bank && echo 4 >"$cfs/rules-b/bank/num_lines" &&
	mkdir "$cfs/rules-b/bank/line1" "$cfs/rules-b/bank/line2" "$cfs/rules-b/bank/line3" &&
	echo 0 >"$cfs/rules-b/bank/line1/valid" &&
	mkdir "$cfs/rules-b/bank/line2/hog" "$cfs/rules-b/bank/line3/hog" &&
	echo hog-hi >"$cfs/rules-b/bank/line2/hog/name" &&
	echo output-high >"$cfs/rules-b/bank/line2/hog/direction" &&
	echo hog-in >"$cfs/rules-b/bank/line3/hog/name"
ktap_ok "a bad hog direction is refused" \
	bash -c '! echo sideways >"$1" 2>/dev/null && test "$(cat "$1")" = input' \
	_ "$cfs/rules-b/bank/line3/hog/direction"
live b 1
chip=$(chip_of b bank)
info=$(gpioinfo -c "$chip" 2>&1)
ktap_ok "an invalid line shows as used and cannot be requested" \
	bash -c 'grep -q "line   1:.*consumer=kernel" <<<"$1" && ! gpioget -c "$2" 1 2>/dev/null' _ "$info" "$chip"
ktap_ok "hogs show with their names and directions" \
	bash -c 'grep -q "line   2:.*output consumer=hog-hi" <<<"$1" && grep -q "line   3:.*input consumer=hog-in" <<<"$1"' _ "$info"
ktap_ok "an output-high hog's value is 1 in sysfs" \
	test "$(cat "/sys/devices/platform/$(cat "$cfs/rules-b/dev_name")/$chip/sim_gpio2/value")" = 1
gone b

# 3: many devices and banks at once
ok=1
for i in 0 1 2 3; do dev "m$i" bank0 bank1 bank2 && live "m$i" 1 || ok=0; done
names=$(for i in 0 1 2 3; do for b in bank0 bank1 bank2; do chip_of "m$i" "$b"; done; done | sort -u | wc -l)
ktap_ok "4 devices of 3 banks: 12 distinct chips" test "$ok$names" = 112
for i in 0 1 2 3; do gone "m$i"; done

# 4: the device goes while a consumer holds a line (an output: the
# kernel's gpio-sim on 7.3 warns in free_irq when removed under an edge
# consumer, as gpiolib frees the consumer's interrupt; guse's chips are
# checked for that in 42-kill and 43-irqstress)
dev h bank && echo 2 >"$cfs/rules-h/bank/num_lines" && live h 1
chip=$(chip_of h bank)
gpioset -c "$chip" 0=1 >"$work/mon" 2>&1 &
mon=$!
pids+=("$mon")
held() { gpioinfo -c "$chip" 0 2>/dev/null | grep -q consumer=gpioset; }
wait_for 10 held
echo 0 >"$cfs/rules-h/live"
if [ -e "/dev/$chip" ]; then
	at_once="once the consumer released it"
else
	at_once="at once"
fi
kill "$mon" 2>/dev/null
ended() { ! kill -0 "$mon" 2>/dev/null; }
ktap_ok "live=0 while a consumer holds a line: the consumer can still go" \
	wait_for 10 ended
chip_gone() { [ ! -e "/dev/$chip" ]; }
ktap_ok "and the chip is removed ($at_once)" wait_for 10 chip_gone
ktap_ok "the device can be removed after that" gone h

ktap_finish
