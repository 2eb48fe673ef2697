# shellcheck shell=bash
# shellcheck disable=SC2154  # $top, $work, $pids: set by the sourcing script
# QEMU (qemu-system-arm -M virt with the guse-qemu test firmware) and
# guse-qemu for the tests/kselftest/ scripts (sourced after tests/lib/ktap.sh
# and tests/lib/sim.sh, which provide $work, $pids and the clean-up).
#
#   qemu_missing             why the QEMU tests cannot run ("" if they can)
#   qemu10_missing           why a QEMU 10.0 test cannot run here: the stock
#                            6.12 only (QEMU's side does not depend on the
#                            kernel) and QEMU 10.0 unpacked ("" if it can)
#   qemu_use_10              run QEMU 10.0 (unpacked by setup-host) from now on
#   qemu_use_ast2600         start -M ast2600-evb with its firmware from now on
#   qemu_use_linux ARGS...   boot the Linux guest (bridges/qemu/linux-guest)
#                            on qemu-system-aarch64 from now on, ARGS on its
#                            kernel command line; qemu_linux_missing says why
#                            it cannot ("" if it can)
#   info LINE, watching LINE gpioinfo of LINE of $chip; whether a gpiomon
#                            watches LINE's both edges
#   monitor FILE N LINE      gpiomon of N edges (0: no end) of LINE of $chip
#                            into $work/FILE in the background (pid in mon);
#                            returns once it watches
#   drive LINE=V...          gpioset on $chip in the background (pid in set_pid)
#   lines_in N FILE          whether $work/FILE has N lines or more
#   check_burst BLINK GO     the test firmware's burst: GO high, 10 edges on
#                            BLINK in order, none after it (2 results)
#   check_mirror MIRROR IN QEMU ADDR MASK
#                            host IN high: the guest mirrors it on MIRROR and
#                            its register at ADDR (read over QEMU's QMP) has
#                            MASK; the release lets both fall (3 results)
#   start_qemu NAME ARGS...  QEMU paused (-S) with qtest socket $work/NAME.qt,
#                            QMP sockets $work/NAME.qmp (for the bridge) and
#                            $work/NAME.qmp2 (for the test), serial output in
#                            $work/NAME.serial; sets qemu_pid
#   qmp NAME CMD [JSON]      one command on $work/NAME.qmp2; prints the answer
#   start_bridge NAME ARGS.. guse-qemu on QEMU NAME (output $work/NAME.bridge,
#                            errors $work/NAME.bridge.err); returns once it is
#                            ready; sets bridge_pid and chip
#   hold_line CHIP OFFSET    a consumer holding the line (as an input), reading
#                            it every 50 ms: prints "held", then "error ERRNO"
#                            once a read fails (run it in the background)
#   hold OFFSET              hold_line of $chip in the background, output in
#                            $work/holder; returns once it holds the line
#   qemu_kill                kills QEMU and waits for guse-qemu to end; its
#                            exit status in st

qemu_arm=${GUSE_QEMU_ARM:-qemu-system-arm}
# the QEMU to run: the system's (7.2), or qemu_use_10 for 10.0 beside it
qemu_cmd=("$qemu_arm")
qemu10=${GUSE_CACHE:-/var/cache/guse}/qemu-10.0
qemu_use_10() {
	qemu_cmd=(env "QEMU_MODULE_DIR=$qemu10/usr/lib/x86_64-linux-gnu/qemu"
		"$qemu10/usr/bin/qemu-system-arm" -L "$qemu10/usr/share/qemu")
}
qemu_fw=$top/bridges/qemu/firmware/guse-qemu-fw.elf
# the board: -M virt, or qemu_use_ast2600 (its firmware is a build of its own)
qemu_board=(-M virt -cpu cortex-a15 -m 32)
qemu_use_ast2600() {
	qemu_board=(-M ast2600-evb -m 256 -nic none)
	qemu_fw=$top/bridges/qemu/firmware/guse-qemu-fw-ast2600.elf
}
qemu_bridge=$top/bridges/qemu/guse-qemu
# what start_qemu boots: the board's test firmware (empty), or the Linux guest
qemu_boot=()
qemu_lg_kernel=${GUSE_CACHE:-/var/cache/guse}/linux-guest/vmlinuz
qemu_lg_initrd=$top/bridges/qemu/linux-guest/initramfs.cpio
qemu_use_linux() {
	qemu_cmd=(qemu-system-aarch64)
	qemu_board=(-M virt -cpu cortex-a57 -m 128)
	qemu_boot=(-kernel "$qemu_lg_kernel" -initrd "$qemu_lg_initrd"
		-append "console=ttyAMA0 quiet cryptomgr.notests $*")
}
qemu_linux_missing() {
	command -v qemu-system-aarch64 >/dev/null || { echo "no qemu-system-aarch64 (scripts/setup-host.sh installs qemu-system-arm)"; return; }
	[ -x "$qemu_bridge" ] || { echo "no $qemu_bridge (configure found no jansson?)"; return; }
	[ -f "$qemu_lg_kernel" ] || { echo "no $qemu_lg_kernel (scripts/setup-host.sh fetches it)"; return; }
	[ -f "$qemu_lg_initrd" ] || { echo "no $qemu_lg_initrd (configure found no aarch64-linux-gnu-gcc?)"; return; }
}

qemu10_missing() {
	if [ "$(uname -r)" != "$GUSE_KREL_6_12" ] && [ -z "${GUSE_QEMU10_ANY_KERNEL:-}" ]; then
		echo "runs on $GUSE_KREL_6_12 only: QEMU's side does not depend on the kernel, 66-qemu covers every kernel (GUSE_QEMU10_ANY_KERNEL=1 runs it here)"
		return
	fi
	qemu_missing
	[ -x "$qemu10/usr/bin/qemu-system-arm" ] ||
		echo "no QEMU 10.0 in $qemu10 (scripts/setup-host.sh unpacks it)"
}

qemu_missing() {
	command -v "$qemu_arm" >/dev/null || { echo "no $qemu_arm (scripts/setup-host.sh installs qemu-system-arm)"; return; }
	[ -x "$qemu_bridge" ] || { echo "no $qemu_bridge (configure found no jansson?)"; return; }
	[ -f "$qemu_fw" ] || { echo "no $qemu_fw (configure found no arm-none-eabi-gcc?)"; return; }
}

start_qemu() {
	local name=$1
	shift
	rm -f "$work/$name".qt "$work/$name".qmp "$work/$name".qmp2
	local boot=("${qemu_boot[@]}")
	[ ${#boot[@]} != 0 ] || boot=(-kernel "$qemu_fw")
	"${qemu_cmd[@]}" "${qemu_board[@]}" "${boot[@]}" -accel tcg -S \
		-nodefaults -no-user-config -display none \
		-serial "file:$work/$name.serial" \
		-qtest "unix:$work/$name.qt,server=on,wait=off" -qtest-log /dev/null \
		-qmp "unix:$work/$name.qmp,server=on,wait=off" \
		-qmp "unix:$work/$name.qmp2,server=on,wait=off" \
		"$@" </dev/null >"$work/$name.qemu" 2>&1 &
	qemu_pid=$!
	pids+=("$qemu_pid")
	wait_for 30 test -S "$work/$name.qmp2"
}

qmp() {
	python3 - "$work/$1.qmp2" "$2" "${3:-}" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(30)
s.connect(sys.argv[1])
f = s.makefile("rw")
f.readline()
def call(cmd, args=None):
    msg = {"execute": cmd}
    if args:
        msg["arguments"] = args
    f.write(json.dumps(msg) + "\n")
    f.flush()
    while True:
        r = json.loads(f.readline())
        if "event" not in r:
            return r
call("qmp_capabilities")
print(json.dumps(call(sys.argv[2], json.loads(sys.argv[3]) if sys.argv[3] else None)))
PY
}

start_bridge() {
	local name=$1
	shift
	"$qemu_bridge" -m "$work/$name.qmp" -t "$work/$name.qt" "$@" \
		>"$work/$name.bridge" 2>"$work/$name.bridge.err" &
	bridge_pid=$!
	pids+=("$bridge_pid")
	wait_for 60 grep -q '^ready' "$work/$name.bridge" || return 1
	chip=$(awk '/^ready/ {print $2; exit}' "$work/$name.bridge")
}

hold_line() {
	python3 - "/dev/$1" "$2" <<'PY'
import ctypes, fcntl, os, sys, time, errno
class Attr(ctypes.Structure):
    _fields_ = [("id", ctypes.c_uint32), ("pad", ctypes.c_uint32), ("val", ctypes.c_uint64), ("mask", ctypes.c_uint64)]
class Config(ctypes.Structure):
    _fields_ = [("flags", ctypes.c_uint64), ("num_attrs", ctypes.c_uint32), ("pad", ctypes.c_uint32 * 5), ("attrs", Attr * 10)]
class Req(ctypes.Structure):
    _fields_ = [("offsets", ctypes.c_uint32 * 64), ("consumer", ctypes.c_char * 32), ("config", Config),
                ("num_lines", ctypes.c_uint32), ("ebs", ctypes.c_uint32), ("pad", ctypes.c_uint32 * 5), ("fd", ctypes.c_int32)]
class Values(ctypes.Structure):
    _fields_ = [("bits", ctypes.c_uint64), ("mask", ctypes.c_uint64)]
def iowr(nr, size): return (3 << 30) | (size << 16) | (0xB4 << 8) | nr
chip = os.open(sys.argv[1], os.O_RDWR)
r = Req(); r.offsets[0] = int(sys.argv[2]); r.consumer = b"holder"; r.num_lines = 1
r.config.flags = 1 << 2  # input
fcntl.ioctl(chip, iowr(0x07, ctypes.sizeof(Req)), r)
print("held", flush=True)
while True:
    v = Values(); v.mask = 1
    try:
        fcntl.ioctl(r.fd, iowr(0x0E, ctypes.sizeof(Values)), v)
    except OSError as e:
        print("error", errno.errorcode.get(e.errno, e.errno), flush=True)
        break
    time.sleep(0.05)
PY
}

info() { gpioinfo -c "$chip" "$1" 2>&1; }
watching() { grep -q "\"$1\".*consumer=\"gpiomon\".*both-edges\|\"$1\".*both-edges.*consumer=\"gpiomon\"" <<<"$(info "$1")"; }

monitor() {
	local count=()
	[ "$2" = 0 ] || count=(-n "$2")
	gpiomon -c "$chip" "${count[@]}" -F '%E' "$3" >"$work/$1" 2>&1 &
	mon=$!
	pids+=("$mon")
	wait_for 10 watching "$3"
}
drive() {
	gpioset -c "$chip" "$@" &
	set_pid=$!
	pids+=("$set_pid")
}
lines_in() { [ "$(wc -l <"$work/$2")" -ge "$1" ]; }

check_burst() {
	local t=$SECONDS go
	monitor blink 10 "$1"
	drive "$2=1"
	go=$set_pid
	wait_for 60 lines_in 10 blink
	ktap_ok "host gpioset GO ($2): the burst on BLINK ($1) arrives as 10 edges, rising first, alternating" \
		test "$(tr '\n' ' ' <"$work/blink")" = "rising falling rising falling rising falling rising falling rising falling "
	ktap_diag "burst: $(tr '\n' ' ' <"$work/blink")in $((SECONDS - t)) s"
	wait "$mon" 2>/dev/null
	kill "$go" 2>/dev/null
	wait "$go" 2>/dev/null
	# a firmware that pulsed on would do so at once in guest time, within
	# a few seconds of nested TCG (a 300 ms burst takes 3 to 15 s there)
	monitor after 0 "$1"
	sleep "$((5 * ${GUSE_TIMEOUT_SCALE:-1}))"
	kill "$mon" 2>/dev/null
	wait "$mon" 2>/dev/null
	ktap_ok "no edge on BLINK ($1) in the $((5 * ${GUSE_TIMEOUT_SCALE:-1})) s after the burst" \
		test "$(wc -l <"$work/after")" = 0
}

check_mirror() {
	local data
	monitor mirror 2 "$1"
	drive "$2=1"
	wait_for 30 grep -q rising "$work/mirror"
	ktap_ok "host gpioset IN ($2)=1: the guest mirrors it, the host sees MIRROR ($1) rise" \
		grep -q '^rising$' "$work/mirror"
	data=$(qmp "$3" human-monitor-command "{\"command-line\": \"xp /1wx $4\"}" |
		sed -n 's/.*: \(0x[0-9a-f]*\).*/\1/p')
	ktap_ok "the guest's data register at $4 has IN ($5) set" \
		bash -c '[ -n "$1" ] && [ $(($1 & $2)) = "$(($2))" ]' _ "$data" "$5"
	ktap_diag "guest data register ${data:-unread}"
	kill "$set_pid" 2>/dev/null
	wait "$set_pid" 2>/dev/null
	wait_for 30 lines_in 2 mirror
	ktap_ok "gpioset released: the guest's input goes back to 0, MIRROR ($1) falls" \
		test "$(tr '\n' ' ' <"$work/mirror")" = "rising falling "
	wait "$mon" 2>/dev/null
}

hold() {
	hold_line "$chip" "$1" >"$work/holder" 2>&1 &
	pids+=($!)
	wait_for 10 grep -q held "$work/holder"
}

qemu_kill() {
	kill -9 "$qemu_pid"
	wait "$qemu_pid" 2>/dev/null
	wait_for 20 bash -c '! kill -0 "$1" 2>/dev/null' _ "$bridge_pid"
	wait "$bridge_pid"
	st=$?
}
