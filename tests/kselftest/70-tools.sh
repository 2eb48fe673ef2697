#!/bin/bash
# guse-sim and guse-list against the stock libgpiod v2 tools: gpiodetect,
# gpioinfo, gpioset, gpioget, gpiomon (edges, debounce), gpionotify; the
# control socket, JSON trace, declined requests, clean exit on SIGTERM and
# a valgrind-clean guse-sim.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/ktap.sh"

# GUSE_SIM and GUSE_LIST run other builds of the tools: the installed
# guse-tools package (tests/debian/vm-installed.sh)
sim=${GUSE_SIM:-$top/tools/guse-sim}
list=${GUSE_LIST:-$top/tools/guse-list}
. "$top/tests/lib/sim.sh"

ktap_plan 20

start_sim sim -l guse-tools -n 8 -N led0,led1,button,irq,,,,last
chip=$(chip_of sim)
sock=$work/sim.sock
ktap_diag "guse-sim serves ${chip:-nothing}"

out=$(gpiodetect)
ktap_ok "gpiodetect lists the chip with its label and line count" \
	grep -q "^$chip \[guse-tools\] (8 lines)" <<<"$out"

out=$(gpioinfo -c "$chip")
ktap_ok "gpioinfo shows the line names" \
	bash -c 'grep -q "line   1:.*\"led1\"" <<<"$1" && grep -q "line   7:.*\"last\"" <<<"$1" && grep -q "line   4:.*unnamed" <<<"$1"' _ "$out"

gpioset -t0 -c "$chip" led1=1
ktap_ok "gpioset drives a line and the server sees request, consumer and value" \
	wait_for 2 bash -c "grep -q 'direction line=1 output value=1' '$work/sim' && grep -q 'consumer=\"gpioset\"' '$work/sim'"

gpioset -c "$chip" led0=1 &
holder=$!
held() { sim_cmd "$sock" get 0 | grep -q 'output=1.*requested=1 .*consumer="gpioset"'; }
wait_for 3 held
ktap_result $? "guse-sim's get shows what a consumer holding a line drives"
kill $holder; wait $holder 2>/dev/null
ktap_ok "a released line shows as free" \
	wait_for 3 bash -c "grep -q 'free line=0' '$work/sim'"

sim_cmd "$sock" set button 1 >/dev/null
v1=$(gpioget -c "$chip" button)
sim_cmd "$sock" set button 0 >/dev/null
v0=$(gpioget -c "$chip" button)
ktap_ok "levels the server injects are what gpioget reads" \
	test "$v1" = '"button"=active' -a "$v0" = '"button"=inactive'

# gpiomon: rising only, then both edges with debounce
gpiomon -c "$chip" -e rising -n 2 irq >"$work/mon" 2>&1 &
mon=$!
wait_for 3 grep -q 'irq=edge-rising,enabled' <(sim_cmd "$sock" get irq)
for _ in 1 2; do sim_cmd "$sock" pulse irq 2000 >/dev/null; done
wait_for 5 bash -c "! kill -0 $mon 2>/dev/null"
ktap_ok "gpiomon -e rising sees two rising edges and nothing else" \
	bash -c "[ \$(grep -c rising '$work/mon') = 2 ] && ! grep -q falling '$work/mon'"
kill $mon 2>/dev/null

gpiomon -c "$chip" -p 20ms -n 2 irq >"$work/mon2" 2>&1 &
mon=$!
wait_for 3 grep -q 'enabled' <(sim_cmd "$sock" get irq)
sim_cmd "$sock" pulse irq 1000 >/dev/null	# glitch: debounced away
sim_cmd "$sock" set irq 1 >/dev/null
sleep 0.1
sim_cmd "$sock" set irq 0 >/dev/null
wait_for 5 bash -c "! kill -0 $mon 2>/dev/null"
ktap_ok "gpiomon with 20 ms debounce filters a 1 ms glitch and sees rising then falling" \
	bash -c "[ \$(wc -l <'$work/mon2') = 2 ] && head -1 '$work/mon2' | grep -q rising && tail -1 '$work/mon2' | grep -q falling"
kill $mon 2>/dev/null

gpionotify -c "$chip" -n 3 led0 >"$work/notify" 2>&1 &
notify=$!
# request and release until the watch, set up meanwhile, saw three
# changes: whenever it started, they hold a request followed by a release
touch_led0() { gpioget -c "$chip" led0 >/dev/null; ! kill -0 "$notify" 2>/dev/null; }
wait_for 5 touch_led0
ktap_ok "gpionotify reports requested then released for another consumer" \
	awk '/requested/ { r = 1 } /released/ && r { ok = 1 } END { exit !ok }' "$work/notify"
kill $notify 2>/dev/null

out=$("$list")
ktap_ok "guse-list shows the chip with its server" \
	grep -q "$chip.*guse-tools.*${pids[0]}" <<<"$out"
ktap_ok "guse-list --json is valid JSON naming the chip" \
	python3 -c 'import json,sys; ds=[json.loads(l) for l in sys.stdin if l.strip()]; assert any(d["chip_name"] == sys.argv[1] for d in ds)' "$chip" <<<"$("$list" --json)"

kill -TERM "${pids[0]}"
wait "${pids[0]}"
st=$?
ktap_ok "guse-sim exits 0 on SIGTERM" test $st = 0
ktap_ok "stopping the server removes the chip" \
	wait_for 3 bash -c "! gpiodetect | grep -q guse-tools"

# JSON trace
start_sim json -j -l guse-json -n 4
jchip=$(awk -F'"' '/"ready"/ {for (i=1;i<NF;i++) if ($i=="chip") {print $(i+2); exit}}' "$work/json")
gpioset -t0 -c "${jchip:-none}" 2=1
wait_for 3 bash -c "[ \$(wc -l <'$work/json') -ge 3 ]"
ktap_ok "the JSON trace is one valid JSON object per line" \
	python3 -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1]) if l.strip()]; assert sum(1 for l in open(sys.argv[1])) >= 3' "$work/json"

# several chips from one process, commands addressed to one of them
start_sim multi --chips 3 -l guse-multi -n 4
n=$(gpiodetect | grep -c 'guse-multi-[012]\] (4 lines)')
ktap_ok "guse-sim --chips 3 serves three chips" test "$n" = 3
mchip=$(awk '/^ready/ && $4 == "guse-multi-2" {print $2}' "$work/multi")
sim_cmd "$work/multi.sock" chip=2 set 1 1 >/dev/null
ktap_ok "a command with chip=2 drives the third chip only" \
	bash -c "gpioget -c ${mchip:-none} 1 | grep -q '=active' && ! gpioget -c \$(awk '/^ready/ && \$4 == \"guse-multi-0\" {print \$2}' '$work/multi') 1 | grep -q '=active'"

# wait: blocks until a consumer drives the value
start_sim waiter -l guse-wait -n 2
wchip=$(chip_of waiter)
sim_cmd "$work/waiter.sock" wait 0 1 5000 >"$work/wait.out" &
waiter=$!
# drive it until the waiter, which may start after the first try, is done
drive0() { gpioset -t0 -c "${wchip:-none}" 0=1; ! kill -0 "$waiter" 2>/dev/null; }
wait_for 5 drive0
wait $waiter
ktap_ok "wait returns ok once a consumer drives the line" grep -q '^ok' "$work/wait.out"

# declined requests
start_sim decl --decline-request -l guse-decline -n 2
dchip=$(chip_of decl)
out=$(gpioget -c "${dchip:-none}" 0 2>&1)
ktap_ok "a request the server declines fails in gpioget with EBUSY" \
	grep -qi "busy" <<<"$out"

# without a guse device (the modules stay loaded: GUSE_DEVICE points away)
out=$(GUSE_DEVICE=$work/no-guse "$sim" -q </dev/null 2>&1)
ktap_ok "guse-sim without /dev/guse says that modprobe gpio-guse provides it" \
	grep -q "/dev/guse does not exist.*modprobe gpio-guse" <<<"$out"

# valgrind
if [ -n "${GUSE_SIM:-}" ]; then
	ktap_skip "guse-sim runs valgrind-clean" "GUSE_SIM=$GUSE_SIM is not the build tree's guse-sim (valgrind runs on that one)"
elif command -v valgrind >/dev/null; then
	printf 'set 0 1\nget 0\nsleep 200\nquit\n' | timeout 60 \
		"$top/libtool" --mode=execute valgrind -q --error-exitcode=9 --leak-check=full \
		--errors-for-leak-kinds=definite,indirect "$sim" -l guse-vg -n 4 \
		>"$work/vg" 2>&1
	st=$?
	ktap_ok "guse-sim runs valgrind-clean" test $st = 0
	[ $st = 0 ] || sed 's/^/# /' "$work/vg" | tail -20
else
	ktap_skip "guse-sim runs valgrind-clean" "valgrind not installed"
fi
ktap_finish
