#!/bin/bash
# libguse's simulated lines (served by guse-sim) against the kernel's
# gpio-sim: one scenario of stock libgpiod tools (gpioget, gpioset, gpiomon,
# gpioinfo: pulls, bias, release and --as-is, open drain and open source,
# edges after a bias, hogs and invalid lines at creation) runs on a gpio-sim chip and on a guse-sim chip, and
# the outputs, chip names normalised, must be the same.  Every step of the
# guse-sim run is also checked against the values Documentation/library.rst
# ("Simulated lines") promises, so that a kernel without gpio-sim (the
# comparison is then skipped) still checks the model.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/ktap.sh"

sim=$top/tools/guse-sim
work=$(mktemp -d)
# bounds grow on slow kernels (tests/run-tests.sh sets it for the debug one)
scale=${GUSE_TIMEOUT_SCALE:-1}
pids=()
gs_cfs='' gs_loaded=0
compat=$top/build/modules/$(uname -r)/gpio-sim.ko
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	gpiosim_down
	[ "$gs_loaded" = 1 ] && modprobe -r gpio-sim 2>/dev/null
	[ "$gs_loaded" = 2 ] && rmmod gpio_sim 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

# --- the two backends ------------------------------------------------------
# Each provides: chip (the chip name), pull LINE 0|1 (the outside world's
# level), simval LINE (the level the simulator holds), pullof LINE
# (pull-up/pull-down), passive LINE (true once the line is not driven, for
# a waiting step).

gpiosim_why=''
gpiosim_up() {
	local base=/sys/kernel/config/gpio-sim
	if ! grep -qw gpio_sim /proc/modules; then
		# the kernel's, or where it has none guse's (gpio-sim.ko)
		if modprobe gpio-sim 2>/dev/null; then
			gs_loaded=1
		elif [ -f "$compat" ] && modprobe configfs 2>/dev/null &&
			insmod "$compat" 2>/dev/null; then
			gs_loaded=2
		else
			gpiosim_why="no gpio-sim on this kernel (modprobe gpio-sim failed, no $compat)"
			return 1
		fi
	fi
	if [ ! -d $base ]; then
		gpiosim_why="no gpio-sim configfs (is configfs mounted on /sys/kernel/config?)"
		return 1
	fi
	gs_cfs=$base/guse-cmp-$$
	# lines 8-11: the state at creation (see creation_args)
	if ! { mkdir "$gs_cfs" "$gs_cfs/bank0" &&
		echo 12 >"$gs_cfs/bank0/num_lines" &&
		echo guse-cmp >"$gs_cfs/bank0/label" &&
		mkdir "$gs_cfs/bank0/line8" "$gs_cfs/bank0/line8/hog" &&
		echo fw-reset >"$gs_cfs/bank0/line8/hog/name" &&
		echo output-high >"$gs_cfs/bank0/line8/hog/direction" &&
		mkdir "$gs_cfs/bank0/line9" "$gs_cfs/bank0/line9/hog" &&
		echo fw-in >"$gs_cfs/bank0/line9/hog/name" &&
		echo input >"$gs_cfs/bank0/line9/hog/direction" &&
		mkdir "$gs_cfs/bank0/line10" &&
		echo 0 >"$gs_cfs/bank0/line10/valid" &&
		mkdir "$gs_cfs/bank0/line11" &&
		echo spare >"$gs_cfs/bank0/line11/name" &&
		echo 1 >"$gs_cfs/live"; }; then
		gpiosim_why="cannot create a gpio-sim chip through configfs"
		return 1
	fi
	chip=$(cat "$gs_cfs/bank0/chip_name")
	gs_sys=/sys/devices/platform/$(cat "$gs_cfs/dev_name")/$chip
	pull() {
		if [ "$2" = 1 ]; then echo pull-up; else echo pull-down; fi \
			>"$gs_sys/sim_gpio$1/pull"
	}
	simval() { local v; read -r v <"$gs_sys/sim_gpio$1/value"; echo "$v"; }
	pullof() { local v; read -r v <"$gs_sys/sim_gpio$1/pull"; echo "$v"; }
	# gpio-sim's debugfs lines: " gpio-3   (gpioset) input,pull-up"
	passive() {
		awk -v c="$chip:" -v l="gpio-$1" '$1 == c { on = 1; next }
			/^gpiochip/ { on = 0 } on && $1 == l && /input/ { f = 1 }
			END { exit !f }' /sys/kernel/debug/gpio 2>/dev/null
	}
}

gpiosim_down() {
	[ -n "$gs_cfs" ] && [ -d "$gs_cfs" ] || return 0
	echo 0 >"$gs_cfs/live"
	rmdir "$gs_cfs"/bank0/line*/hog "$gs_cfs"/bank0/line* "$gs_cfs/bank0" \
		"$gs_cfs"
}

# guse-sim (quiet: no trace) reads commands from one FIFO and writes its
# ready line and its replies to another, which stays open here.
gusesim_up() {
	local name=$1 line
	shift
	mkfifo "$work/$name.in" "$work/$name.out"
	exec {gs_rd}<>"$work/$name.out"
	"$sim" -q -d -l guse-cmp -n 12 -N ,,,,,,,,,,,spare \
		--hog 8:fw-reset:output-high --hog 9:fw-in:input --invalid 10 \
		"$@" <"$work/$name.in" \
		>"$work/$name.out" 2>"$work/$name.err" &
	pids+=($!)
	exec {gs_fd}>"$work/$name.in"
	read -r -t $((10 * scale)) -u "$gs_rd" line || return 1
	[[ $line == ready\ * ]] || return 1
	line=${line#ready }
	chip=${line%% *}
	pull() { gs_cmd set "$1" "$2" >/dev/null; }
	simval() {
		local r
		r=$(gs_cmd get "$1")
		r=${r#* value=}
		echo "${r%% *}"
	}
	pullof() {
		case $(gs_cmd get "$1") in
		*' input=1 '*) echo pull-up ;;
		*) echo pull-down ;;
		esac
	}
	passive() { [[ $(gs_cmd get "$1") == *direction=input* ]]; }
}
# one command, one reply
gs_cmd() {
	local r
	echo "$*" >&"$gs_fd"
	read -r -t $((10 * scale)) -u "$gs_rd" r || r="no reply to $*"
	echo "$r"
}
gusesim_down() {
	gs_cmd quit >/dev/null
	exec {gs_fd}>&- {gs_rd}<&-
	wait "${pids[-1]}"
}

# Process starts are slow on TCG over 9p: the helpers use builtins where
# they can, and poll with a builtin sleep.
mkfifo "$work/nap"
exec {nap_fd}<>"$work/nap"
nap() { read -r -t 0.05 -u "$nap_fd" _; }
# until_ok SECONDS COMMAND...: poll until the command succeeds (the bound
# scaled as wait_for's)
until_ok() {
	local deadline=$((SECONDS + $1 * scale))
	shift
	until "$@"; do
		[ $SECONDS -ge $deadline ] && return 1
		nap
	done
	return 0
}

# --- the scenario: each step prints what the tools print -------------------
# run_norm COMMAND...: its output (and errors), chip name normalised
run_norm() {
	local out
	out=$("$@" 2>&1)
	echo "${out//$chip/CHIP}"
}
get() { run_norm gpioget -c "$chip" "$@"; }
info() { run_norm gpioinfo -c "$chip" "$@"; }
held_by() { [[ $(gpioinfo -c "$chip" "$1") == *consumer=*$2* ]]; }
unheld() { ! held_by "$@"; }
# hold LINE ARGS...: a gpioset in the background until release
hold() {
	local line=$1
	shift
	gpioset -c "$chip" "$@" &
	holder=$!
	until_ok 10 held_by "$line" gpioset || echo "gpioset did not take line $line"
}
release() {
	kill "$holder"
	wait "$holder" 2>/dev/null
	until_ok 10 unheld "$1" gpioset || echo "line $1 not released"
}
# mon OUT ARGS...: gpiomon with a banner, in the background, into $work/OUT,
# once its edge detector exists: its interrupt is listed, and its line
# info says it watches edges (the banner comes before the request, and the
# interrupt is listed before gpiolib enables edge detection on it); every
# run ends by itself (-n, --idle-timeout)
mon() {
	local out=$work/$1
	shift
	gpiomon -c "$chip" --banner -F '%o %E' "$@" >"$out" 2>&1 &
	monitor=$!
	until_ok 10 started "${@: -1}" || echo "gpiomon did not start"
}
# watching, or already done: with a short --idle-timeout on a slow kernel
# gpiomon can come and go between two looks
started() { watching "$1" || ! kill -0 "$monitor" 2>/dev/null; }
not_watching() { [[ $(</proc/interrupts) != *gpiomon* ]]; }
watching() {
	[[ $(</proc/interrupts) == *gpiomon* ]] &&
		[[ $(gpioinfo -c "$chip" "$1" 2>/dev/null) == *edges=* ]]
}
mon_done() {
	local out
	wait "$monitor"
	# its interrupt must be gone, or the next mon would take it for its own
	until_ok 10 not_watching || echo "gpiomon's interrupt stayed"
	out=$(<"$work/$1")
	echo "${out//$chip/CHIP}"
}
mon_has() { [[ $(<"$work/$1") == *"$2"* ]]; } 2>/dev/null

step_pull() {
	get 0
	pull 0 1
	get 0
	echo "sim value $(simval 0)"
	pull 0 0
	get --numeric 0
}

step_bias() {
	get -b pull-up 1
	echo "after pull-up: sim value $(simval 1), $(pullof 1)"
	get -a 1
	get -b disabled 1
	get -b pull-down 1
	get 1
	echo "after pull-down: sim value $(simval 1), $(pullof 1)"
}

step_release() {
	hold 2 2=1
	info 2
	echo "driven: sim value $(simval 2)"
	pull 2 0
	echo "pull-down while driven: sim value $(simval 2)"
	release 2
	info 2
	echo "released: sim value $(simval 2)"
	get -a 2
	info 2
	pull 2 1
	echo "pull-up while released: sim value $(simval 2)"
	get -a 2
	get 2
	info 2
}

step_open_drain() {
	pull 3 1
	hold 3 -d open-drain 3=0
	info 3
	echo "drives 0: sim value $(simval 3)"
	release 3
	echo "released: sim value $(simval 3)"
	get -a 3
	hold 3 -d open-drain 3=1
	info 3
	echo "passive 1 on pull-up: sim value $(simval 3)"
	release 3
	get -a 3
	info 3
	pull 3 0
	hold 3 -d open-drain 3=1
	echo "passive 1 on pull-down: sim value $(simval 3)"
	release 3
	get -a 3
}

step_open_source() {
	pull 4 0
	hold 4 -d open-source 4=1
	info 4
	echo "drives 1: sim value $(simval 4)"
	release 4
	echo "released: sim value $(simval 4)"
	hold 4 -d open-source 4=0
	echo "passive 0 on pull-down: sim value $(simval 4)"
	release 4
	pull 4 1
	hold 4 -d open-source 4=0
	echo "passive 0 on pull-up: sim value $(simval 4)"
	release 4
	get -a 4
	info 4
}

step_drain_bias() {
	hold 5 -d open-drain -b pull-up 5=1
	info 5
	echo "passive 1 with pull-up bias: sim value $(simval 5), $(pullof 5)"
	release 5
	get -a 5
}

# A bias applies before the edge detector exists: no edge at the request;
# a pull change afterwards is one.
step_bias_edges() {
	mon m1 -b pull-up --idle-timeout $((300 * scale))ms 6
	mon_done m1
	get -a 6
	mon m2 -b pull-down --idle-timeout $((300 * scale))ms 6
	mon_done m2
	get -a 6
	mon m3 -b pull-up -n 1 --idle-timeout $((10 * scale))s 6
	echo "watched with pull-up: sim value $(simval 6)"
	pull 6 0
	mon_done m3
	get -a 6
}

step_edges() {
	pull 7 0
	mon m4 -n 2 --idle-timeout $((10 * scale))s 7
	pull 7 1
	until_ok 10 mon_has m4 rising
	pull 7 0
	mon_done m4
}

step_output_bias() {
	hold 7 -b pull-up 7=0
	info 7
	echo "drives 0 with pull-up bias: sim value $(simval 7)"
	release 7
	echo "released: $(pullof 7)"
	get -a 7
}

# hogs (8: output high, 9: input) and a line left out of the valid mask (10)
step_creation() {
	info 8
	info 9
	info 10
	run_norm gpioset -c "$chip" -t0 8=0
	get 9
	get 10
	run_norm gpioset -c "$chip" -t0 spare=1
}

step_final() { info; }

compared=(pull bias release open_drain open_source drain_bias bias_edges
	edges output_bias creation final)

# run_scenario DIR: every compared step's output into DIR/STEP
run_scenario() {
	local s
	mkdir -p "$1"
	for s in "${compared[@]}"; do
		"step_$s" >"$1/$s" 2>&1
	done
}

# The documented difference: gpio-sim's input keeps the level last driven
# (an open-drain line that drove 0 and went passive reads 0 on a pull-up
# until the pull changes); libguse's floats to its pull.
passive_after_low() {
	pull 3 1
	gpioset -c "$chip" -d open-drain -t 200ms,20s 3=0 &
	holder=$!
	until_ok 10 held_by 3 gpioset && until_ok 10 passive 3
	simval 3
	release 3 >/dev/null
}

# --- expected values (Documentation/library.rst, "Simulated lines") --------
expected() {
	case $1 in
	pull) cat <<'EOF' ;;
"0"=inactive
"0"=active
sim value 1
0
EOF
	bias) cat <<'EOF' ;;
"1"=active
after pull-up: sim value 1, pull-up
"1"=active
"1"=active
"1"=inactive
"1"=inactive
after pull-down: sim value 0, pull-down
EOF
	release) printf '%s\n' \
		'CHIP 2	unnamed         	output consumer=gpioset' \
		'driven: sim value 1' \
		'pull-down while driven: sim value 1' \
		'CHIP 2	unnamed         	output' \
		'released: sim value 0' \
		'"2"=inactive' \
		'CHIP 2	unnamed         	output' \
		'pull-up while released: sim value 1' \
		'"2"=active' \
		'"2"=active' \
		'CHIP 2	unnamed         	input' ;;
	open_drain) printf '%s\n' \
		'CHIP 3	unnamed         	output drive=open-drain consumer=gpioset' \
		'drives 0: sim value 0' \
		'released: sim value 1' \
		'"3"=active' \
		'CHIP 3	unnamed         	output drive=open-drain consumer=gpioset' \
		'passive 1 on pull-up: sim value 1' \
		'"3"=active' \
		'CHIP 3	unnamed         	input' \
		'passive 1 on pull-down: sim value 0' \
		'"3"=inactive' ;;
	open_source) printf '%s\n' \
		'CHIP 4	unnamed         	output drive=open-source consumer=gpioset' \
		'drives 1: sim value 1' \
		'released: sim value 0' \
		'passive 0 on pull-down: sim value 0' \
		'passive 0 on pull-up: sim value 1' \
		'"4"=active' \
		'CHIP 4	unnamed         	input' ;;
	drain_bias) printf '%s\n' \
		'CHIP 5	unnamed         	output drive=open-drain bias=pull-up consumer=gpioset' \
		'passive 1 with pull-up bias: sim value 1, pull-up' \
		'"5"=active' ;;
	bias_edges) cat <<'EOF' ;;
Monitoring line '6'...
"6"=active
Monitoring line '6'...
"6"=inactive
watched with pull-up: sim value 1
Monitoring line '6'...
6 falling
"6"=inactive
EOF
	edges) cat <<'EOF' ;;
Monitoring line '7'...
7 rising
7 falling
EOF
	output_bias) printf '%s\n' \
		'CHIP 7	unnamed         	output bias=pull-up consumer=gpioset' \
		'drives 0 with pull-up bias: sim value 0' \
		'released: pull-up' \
		'"7"=active' ;;
	creation) printf '%s\n' \
		'CHIP 8	unnamed         	output consumer=fw-reset' \
		'CHIP 9	unnamed         	input consumer=fw-in' \
		'CHIP 10	unnamed         	input consumer=kernel' \
		'gpioset: unable to request lines on chip '"'"'/dev/CHIP'"'"': Device or resource busy' \
		'gpioget: unable to request lines: Device or resource busy' \
		'gpioget: unable to request lines: Invalid argument' \
		'' ;;
	final) printf '%s\n' \
		'CHIP - 12 lines:' \
		'	line   0:	unnamed         	input' \
		'	line   1:	unnamed         	input' \
		'	line   2:	unnamed         	input' \
		'	line   3:	unnamed         	input' \
		'	line   4:	unnamed         	input' \
		'	line   5:	unnamed         	input' \
		'	line   6:	unnamed         	input' \
		'	line   7:	unnamed         	output' \
		'	line   8:	unnamed         	output consumer=fw-reset' \
		'	line   9:	unnamed         	input consumer=fw-in' \
		'	line  10:	unnamed         	input consumer=kernel' \
		'	line  11:	"spare"         	output' ;;
	esac
}

# same_as <what> <expected file> <got file>: 0 if equal, else the diff
same_as() {
	[ "$(<"$2")" = "$(<"$3")" ] && return 0
	diff -u --label "$1" --label got "$2" "$3" | sed 's/^/# /'
	return 1
}

debug_kernel_skip "guse-sim against gpio-sim" \
	"2 minutes there; the comparison is of behaviour, which the stock 6.12 judges with the same code, and the gpio-sim.ko paths it drives are 48-gpiosim-compat's and 49-gpiosim-rules'"
ktap_plan $((2 * ${#compared[@]} + 2))
start=$SECONDS

if gpiosim_up; then
	run_scenario "$work/gpio-sim"
	gs_passive=$(passive_after_low)
	gpiosim_down
	ktap_diag "gpio-sim ($([ "$gs_loaded" = 2 ] && echo "guse's gpio-sim.ko" || echo "the kernel's")) served $chip: $((SECONDS - start)) s"
	start=$SECONDS
else
	ktap_diag "$gpiosim_why: the comparison is skipped"
fi
have_gpiosim=$([ -z "$gpiosim_why" ] && echo 1)

if gusesim_up guse-sim; then
	run_scenario "$work/guse-sim"
	guse_passive=$(passive_after_low)
	gusesim_down
	ktap_diag "guse-sim served $chip: $((SECONDS - start)) s"
else
	ktap_diag "guse-sim did not start: $(<"$work/guse-sim.err")"
	mkdir -p "$work/guse-sim"
	guse_passive=''
fi

for s in "${compared[@]}"; do
	expected "$s" >"$work/expected-$s"
	touch "$work/guse-sim/$s"
	same_as "expected $s" "$work/expected-$s" "$work/guse-sim/$s"
	ktap_result $? "guse-sim: $s as documented"
	if [ -z "$have_gpiosim" ]; then
		ktap_skip "gpio-sim: $s the same as guse-sim" "$gpiosim_why"
		continue
	fi
	same_as "gpio-sim $s" "$work/gpio-sim/$s" "$work/guse-sim/$s"
	ktap_result $? "gpio-sim: $s the same as guse-sim"
done

# not asserted: what gpio-sim does here is not what libguse promises
[ -n "$have_gpiosim" ] &&
	ktap_diag "gpio-sim: open drain passive after driving 0 on a pull-up reads ${gs_passive:-nothing} (1 would be its pull, 0 the level it drove)"
ktap_ok "guse-sim: open drain passive after driving 0 floats to its pull-up" \
	test "$guse_passive" = 1

# the chip option: released outputs keep driving (guse-sim --hold-outputs)
if gusesim_up hold --hold-outputs; then
	hold 2 2=1
	release 2
	out=$(get -a 2; echo "sim value $(simval 2)")
	gusesim_down
else
	out="guse-sim --hold-outputs did not start"
fi
ktap_ok "guse-sim --hold-outputs: a released output keeps driving 1" \
	test "$out" = $'"2"=active\nsim value 1'
[ "$out" = $'"2"=active\nsim value 1' ] || ktap_diag "got: $out"
ktap_finish
