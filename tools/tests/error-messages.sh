#!/bin/sh
# guse-sim's error messages name the cause and the way out (the advice
# comes from libguse's guse_error_hint()).  Runs on the build host, without
# the kernel modules: GUSE_DEVICE points guse-sim at a device that is
# missing, not accessible, or a character device without a driver.
# Exit 0: pass; 1: fail.  A part that cannot run here says why.
set -u
sim=${GUSE_SIM:-./guse-sim}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
n=0

ok() { n=$((n + 1)); echo "ok $n $1"; }
not_ok() { n=$((n + 1)); echo "not ok $n $1"; fails=$((fails + 1)); }
skip() { n=$((n + 1)); echo "ok $n $1 # SKIP $2"; }

# expect NAME STATUS PATTERN... -- COMMAND...: COMMAND exits with STATUS
# and its stderr matches every PATTERN (fixed strings).
expect() {
	name=$1 status=$2
	shift 2
	pats=
	while [ "$1" != -- ]; do
		pats="$pats$1
"
		shift
	done
	shift
	"$@" </dev/null >"$tmp/out" 2>"$tmp/err"
	got=$?
	bad=
	[ "$got" = "$status" ] || bad="exit status $got, expected $status"
	while IFS= read -r p; do
		[ -n "$p" ] || continue
		grep -qF -- "$p" "$tmp/err" || bad="${bad:+$bad; }no \"$p\""
	done <<EOF
$pats
EOF
	if [ -z "$bad" ]; then
		ok "$name"
	else
		not_ok "$name"
		echo "# $bad; stderr was:"
		sed 's/^/#   /' "$tmp/err"
	fi
}

echo "TAP version 13"

expect "missing device: modprobe hint" 1 \
	"cannot create chip" "No such file or directory" \
	"/dev/guse does not exist" "modprobe gpio-guse" -- \
	env GUSE_DEVICE="$tmp/no-such-device" "$sim" -q

# EACCES: a device node nobody may open, opened by an unprivileged user
: >"$tmp/guse"
chmod 000 "$tmp/guse"
chmod 755 "$tmp"
if [ "$(id -u)" != 0 ]; then
	expect "no permission: udev rule and group hint" 1 \
		"Permission denied" "kernel/60-guse.rules" "guse group" -- \
		env GUSE_DEVICE="$tmp/guse" "$sim" -q
elif command -v setpriv >/dev/null 2>&1 &&
     setpriv --reuid=65534 --regid=65534 --clear-groups true 2>/dev/null; then
	expect "no permission: udev rule and group hint" 1 \
		"Permission denied" "kernel/60-guse.rules" "guse group" -- \
		setpriv --reuid=65534 --regid=65534 --clear-groups \
		env GUSE_DEVICE="$tmp/guse" "$sim" -q
else
	skip "no permission: udev rule and group hint" \
		"running as root and setpriv cannot drop privileges"
fi

# ENXIO: a character device whose major has no driver (240: local use)
if mknod "$tmp/nodrv" c 240 77 2>/dev/null &&
   ! (exec 3<>"$tmp/nodrv") 2>/dev/null; then
	expect "no driver: module hint" 1 \
		"gpio-guse kernel module is not loaded" \
		"modprobe gpio-guse" -- \
		env GUSE_DEVICE="$tmp/nodrv" "$sim" -q
else
	skip "no driver: module hint" \
		"cannot create a driverless character device here (not root, nodev, or major 240 in use)"
fi

# the options' limits are named
expect "too many lines: the limit" 2 "1 to 1024" -- "$sim" -n 2000
expect "timeout too long: the limit" 2 "600000" -- "$sim" -t 700000
expect "label too long: the limit" 1 "1 to 31 characters" -- \
	env GUSE_DEVICE="$tmp/no-such-device" "$sim" \
	-l 0123456789012345678901234567890123456789

echo "1..$n"
[ "$fails" = 0 ]
