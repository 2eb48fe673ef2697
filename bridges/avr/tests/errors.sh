#!/bin/sh
# guse-avr's errors name the file or option and what is wrong, and exit
# nonzero: missing, empty, foreign, truncated and corrupt firmware files,
# an unknown MCU, a port the MCU lacks, bad options.  Runs on the build
# host (everything here fails before the chip would be created); under
# valgrind with VALGRIND=1.  TAP; exit 77 (skipped) without guse-avr.
set -u
avr=${GUSE_AVR:-./guse-avr}
fwdir=${FIRMWARE_DIR:-./firmware}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0 n=0

if [ ! -x "$avr" ]; then
	echo "1..0 # SKIP guse-avr not built (configure found no libsimavr-dev)"
	exit 77
fi
run=$avr
supp=$(cd "$(dirname "$0")" && pwd)/simavr.supp
if [ "${VALGRIND:-0}" = 1 ]; then
	run="${LIBTOOL:-libtool} --mode=execute valgrind --quiet --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect --suppressions=$supp $avr"
fi

ok() { n=$((n + 1)); echo "ok $n $1"; }
not_ok() { n=$((n + 1)); echo "not ok $n $1"; fails=$((fails + 1)); }
skip() { n=$((n + 1)); echo "ok $n $1 # SKIP $2"; }

# expect NAME STATUS PATTERN -- ARGS...: guse-avr ARGS exits with STATUS
# and its stderr has PATTERN (a fixed string).
expect() {
	name=$1 status=$2 pat=$3
	shift 4
	# shellcheck disable=SC2086  # $run is a command line
	GUSE_DEVICE=$tmp/no-guse $run "$@" </dev/null >"$tmp/out" 2>"$tmp/err"
	got=$?
	if [ "$got" = "$status" ] && grep -qF -- "$pat" "$tmp/err"; then
		ok "$name"
	else
		not_ok "$name"
		echo "# exit status $got (expected $status), stderr (expected \"$pat\"):"
		sed 's/^/#   /' "$tmp/err"
	fi
}

echo "TAP version 13"
echo "1..17"

expect "no firmware: usage" 2 "no firmware file given" --
expect "bad option value: usage" 2 "bad settle time" -- --settle=x f.elf
expect "missing file" 1 "$tmp/none.elf: No such file or directory" -- "$tmp/none.elf"
: >"$tmp/empty"
expect "empty file" 1 "neither an AVR ELF file nor Intel HEX" -- "$tmp/empty"
echo "hello" >"$tmp/text"
expect "text file" 1 "neither an AVR ELF file nor Intel HEX" -- "$tmp/text"
expect "a host program" 1 "not a 32-bit ELF file" -- /bin/sh
printf '\177ELF\001\001\001\000garbage' >"$tmp/trunc.elf"
expect "a truncated ELF header" 1 "not an ELF file" -- "$tmp/trunc.elf"
printf ':100000000C9434000C9446000C9446000C944600\n' >"$tmp/short.hex"
expect "HEX with a bad record" 1 "line 1: bad record length" -- --mcu atmega328p --freq 1000000 "$tmp/short.hex"
printf ':0400000001020304F2\n' >"$tmp/noeof.hex"
expect "HEX without an end" 1 "no end-of-file record" -- --mcu atmega328p --freq 1000000 "$tmp/noeof.hex"
printf ':0400000001020304F3\n:00000001FF\n' >"$tmp/sum.hex"
expect "HEX with a bad checksum" 1 "line 1: bad checksum" -- --mcu atmega328p --freq 1000000 "$tmp/sum.hex"

if [ ! -f "$fwdir/blink.elf" ]; then
	for t in "unknown MCU" "MCU from the command line" "port the MCU lacks" \
		"bad --pull" "HEX without .mmcu" "too big for the MCU" "ELF cut short"; do
		skip "$t" "no test firmwares (configure found no gcc-avr)"
	done
else
	expect "unknown MCU" 1 "unknown MCU 'atmega9999' (guse-avr --list-mcus" -- \
		--mcu atmega9999 "$fwdir/blink.elf"
	expect "MCU from the command line, the chip cannot be created" 1 \
		"/dev/guse" -- --mcu atmega168 "$fwdir/blink.elf"
	expect "port the MCU lacks" 1 "the atmega328p has no port 'A' (its ports: B C D)" -- \
		--ports A,B "$fwdir/blink.elf"
	expect "bad --pull" 2 "bad --pull 'PB9=1'" -- --pull PB9=1 "$fwdir/blink.elf"
	expect "HEX without .mmcu" 1 "no MCU named" -- "$fwdir/plain.hex"
	printf ':02100000AABB89\n:00000001FF\n' >"$tmp/big.hex"
	expect "too big for the MCU" 1 "do not fit the 1024 bytes of flash" -- \
		--mcu attiny13 --freq 1000000 "$tmp/big.hex"
	head -c 700 "$fwdir/blink.elf" >"$tmp/cut.elf"
	expect "ELF cut short" 1 "$tmp/cut.elf: " -- "$tmp/cut.elf"
fi
[ "$n" = 17 ] || { echo "# ran $n of 17"; fails=$((fails + 1)); }
[ "$fails" = 0 ]
