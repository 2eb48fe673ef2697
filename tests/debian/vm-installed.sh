#!/bin/bash
# In the test VM, booted with the guse modules that DKMS built in the root
# the Debian packages were installed into (tests/debian/check-debian.sh):
# gpio-sim.ko of gpio-sim-guse-dkms makes a chip through configfs, the
# README's server built there against libguse-dev with pkg-config serves
# its chip, python3-guse serves one, and the installed guse-list shows
# them; stock libgpiod (the VM's) is the consumer.
#
# Environment: GUSE_DEB_ROOT (the root), GUSE_DEB_MODULES (the DKMS modules,
# uncompressed), GUSE_DEB_SERVER (the README's server, a path in the root).
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/ktap.sh"

: "${GUSE_DEB_ROOT:?the root the packages are installed in}"
mods=${GUSE_DEB_MODULES:?} server=${GUSE_DEB_SERVER:?}
in_root=$top/tests/debian/in-root
work=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

ktap_plan 10

ktap_ok "/dev/guse exists: the DKMS guse.ko and gpio-guse.ko are loaded" \
	bash -c 'test -c /dev/guse && test -d /sys/module/guse && test -d /sys/module/gpio_guse'

# gpio-sim-guse-dkms: gpio-sim's configfs interface
cfs=/sys/kernel/config/gpio-sim
sim_chip=
if insmod "$mods/gpio-sim.ko" && mkdir "$cfs/deb" && mkdir "$cfs/deb/bank0" &&
	echo 4 >"$cfs/deb/bank0/num_lines" && echo deb-sim >"$cfs/deb/bank0/label" &&
	echo 1 >"$cfs/deb/live"; then
	sim_chip=$(cat "$cfs/deb/bank0/chip_name")
fi
ktap_ok "gpio-sim.ko from gpio-sim-guse-dkms makes a chip through configfs" \
	bash -c "gpiodetect | grep -q '^${sim_chip:-none} \[deb-sim\] (4 lines)'"
if [ -d "$cfs/deb" ]; then
	echo 0 >"$cfs/deb/live"
	rmdir "$cfs/deb/bank0" "$cfs/deb"
fi
rmmod gpio_sim 2>/dev/null

# the README's server (its printf goes to a file here: line-buffered by
# stdbuf, so that "serving gpiochipN" arrives before guse_chip_run blocks)
"$in_root" stdbuf -oL "$server" >"$work/server" 2>&1 </dev/null &
pids+=($!)
wait_for 10 grep -q '^serving' "$work/server"
chip=$(awk '/^serving/ { print $2; exit }' "$work/server")
ktap_ok "the README's server, built with pkg-config against libguse-dev, serves ${chip:-nothing}" \
	bash -c "gpiodetect | grep -q '^${chip:-none} \[my-soc-gpio\] (8 lines)'"
[ -n "$chip" ] || ktap_diag "the server said: $(cat "$work/server")"
ktap_ok "gpioget reads line 3 as the server set it (high)" \
	bash -c "gpioget -c '${chip:-none}' 3 | grep -qx '\"3\"=active'"
out=$("$in_root" /usr/bin/guse-list 2>&1)
ktap_ok "the installed guse-list shows the chip and its server" \
	grep -q "${chip:-none}.*my-soc-gpio.*${pids[0]}" <<<"$out"
[ $? = 0 ] || ktap_diag "$out"
kill -TERM "${pids[0]}"
ktap_ok "the chip goes with its server" wait_for 5 bash -c "! test -e /dev/${chip:-none}"

# python3-guse
"$in_root" /usr/bin/python3 -c '
import sys, time, guse
chip = guse.Chip(label="deb-python", num_lines=4, pulls={2: 1})
print("ready", chip.name, flush=True)
time.sleep(120)' >"$work/python" 2>&1 </dev/null &
pids+=($!)
# (python3 and the extension start slowly under TCG on a loaded host)
wait_for 60 grep -q '^ready' "$work/python"
pchip=$(awk '/^ready/ { print $2; exit }' "$work/python")
ktap_ok "python3-guse serves a chip (${pchip:-none})" \
	bash -c "gpiodetect | grep -q '^${pchip:-none} \[deb-python\] (4 lines)'"
[ -n "$pchip" ] || ktap_diag "$(cat "$work/python")"
ktap_ok "gpioget reads its pulled-up line 2 as high" \
	bash -c "gpioget -c '${pchip:-none}' 2 | grep -qx '\"2\"=active'"
kill "${pids[1]}"
pywant=$("$in_root" dpkg-query -W -f='${Version}' python3-guse)
pygot=$("$in_root" /usr/bin/python3 -c 'import guse; print(guse.__version__)' 2>&1)
ktap_ok "python3-guse's guse.__version__ is the package's ($pywant)" test "$pygot" = "$pywant"
want=$("$in_root" dpkg-query -W -f='${Version}' guse-tools)
got=$("$in_root" /usr/bin/guse-sim --version 2>&1)
ktap_ok "the installed guse-sim is the package's version ($want)" \
	grep -qwF -- "$want" <<<"$got"
ktap_finish
