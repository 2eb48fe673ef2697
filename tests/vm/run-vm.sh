#!/bin/bash
# Run one command inside a throwaway QEMU VM booted on a Debian kernel.
#
# usage: tests/vm/run-vm.sh --kernel <short|krel> [--modules DIR]
#            [--timeout SEC] [--log DIR] [--mem MB] -- COMMAND [ARGS...]
#
# The VM boots the kernel unpacked by scripts/setup-host.sh with a tiny
# initramfs (busybox + the 9p modules), mounts the host root read-only over
# 9p, puts tmpfs over the directories programs write to and chroots into it:
# the host's bash, python3, gpiod tools and build tree work unchanged.  If
# --modules is given, guse.ko then gpio-guse.ko are loaded from DIR.  COMMAND
# runs in the current directory with GUSE_VM_KERNEL=<krel> and
# GUSE_VM_RESULTS (a directory shared back to the host) set; its output is
# streamed to our stdout through a second serial port.
#
# Exit status: the command's, 124 on timeout, 125 when the kernel log shows
# a warning, oops, lockdep, hung-task, debug-objects or sanitizer report
# (the lines are printed), 123 when the log is clean but kmemleak (kernels
# that have it: the debug kernel) finds an object after the run that its
# scan before the guse modules were loaded did not report.
# Logs: <log>/kernel-<krel>.log (serial console), <log>/dmesg-<krel>.log,
# <log>/kmemleak-<krel>.log (the new objects, if any) (the writable results
# share, $GUSE_VM_RESULTS inside, is removed after the run).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$top/scripts/common.sh"
cache=$GUSE_CACHE

say() { printf 'run-vm: %s\n' "$*" >&2; }
die() { say "$*"; exit 2; }
usage() {
	sed -n '4,5p' "$0" | sed 's/^# //' >&2
	exit 2
}

# --- arguments ---------------------------------------------------------------
kernel='' modules='' timeout_s=600 logdir=$top/build/vm-logs mem=''
while [ $# -gt 0 ]; do
	case $1 in
	--kernel) kernel=${2:?}; shift 2 ;;
	--modules) modules=${2:?}; shift 2 ;;
	--timeout) timeout_s=${2:?}; shift 2 ;;
	--log) logdir=${2:?}; shift 2 ;;
	--mem) mem=${2:?}; shift 2 ;;
	--) shift; break ;;
	-h | --help) usage ;;
	*) say "unknown argument: $1"; usage ;;
	esac
done
[ -n "$kernel" ] && [ $# -gt 0 ] || usage

krel=$(resolve_krel "$kernel")
# KASAN's shadow and kmemleak's pool need more room than the stock kernels
if [ -z "$mem" ]; then
	case $krel in *-guse-debug) mem=2048 ;; *) mem=1024 ;; esac
fi
kdir=$cache/kernels/$krel
vmlinuz=$kdir/boot/vmlinuz-$krel
moddir=$kdir/lib/modules/$krel
[ -f "$vmlinuz" ] || die "no kernel $vmlinuz (run scripts/setup-host.sh)"
[ -f "$moddir/modules.dep" ] || die "no $moddir/modules.dep (run scripts/setup-host.sh)"
if [ -n "$modules" ]; then
	modules=$(cd "$modules" && pwd) || die "no module dir $modules"
	for m in guse gpio-guse; do
		[ -f "$modules/$m.ko" ] || die "no $modules/$m.ko"
	done
fi
mkdir -p "$logdir"
logdir=$(cd "$logdir" && pwd)

# --- initramfs ---------------------------------------------------------------
# Modules the init needs before it can reach the host root.  Where one is
# built in (virtio_pci on 6.12+), it is simply not found in modules.dep.
boot_modules=(virtio_pci 9pnet_virtio 9p configfs)

# The init script: runs as PID 1 in the initramfs.  Per-run settings come
# from /results/vm.conf, written by the host into the results share.
# shellcheck disable=SC2016
init_script='#!/bin/sh
export PATH=/bin
log() { echo "guse-vm: $*" >/dev/kmsg; }
fail() { log "$*"; echo 99 >/results/status 2>/dev/null; poweroff -f; }
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
for m in $(cat /modules.order); do
	insmod /lib/modules/$m || log "insmod $m failed"
done
if grep -q guse.probe /proc/cmdline; then
	echo GUSE-PROBE-OK >/dev/ttyS0
	poweroff -f
fi
p9="trans=virtio,version=9p2000.L,msize=262144"
mkdir -p /results /newroot
mount -t 9p -o "$p9" results /results || fail "cannot mount the results share"
. /results/vm.conf
mount -t 9p -o "$p9,ro,cache=loose" hostroot /newroot ||
	fail "cannot mount the host root"
r=/newroot
# host directories the run needs that the tmpfs mounts below would hide
i=0
for p in $GUSE_KEEP; do
	mkdir -p /keep/$i
	mount --bind $r$p /keep/$i
	i=$((i + 1))
done
for d in $GUSE_TMPFS; do
	[ -d $r/$d ] && mount -t tmpfs -o mode=0755 tmpfs $r/$d
done
i=0
for p in $GUSE_KEEP; do
	mkdir -p $r$p
	mount --move /keep/$i $r$p
	i=$((i + 1))
done
chmod 1777 $r/tmp $r/var/tmp
mount -t proc proc $r/proc
mount -t sysfs sysfs $r/sys
mount -t devtmpfs devtmpfs $r/dev
mkdir -p $r/dev/pts $r/dev/shm
# what udev would add: bash process substitution needs /dev/fd
ln -sf /proc/self/fd $r/dev/fd
ln -sf /proc/self/fd/0 $r/dev/stdin
ln -sf /proc/self/fd/1 $r/dev/stdout
ln -sf /proc/self/fd/2 $r/dev/stderr
mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts $r/dev/pts
mount -t tmpfs -o mode=1777 tmpfs $r/dev/shm
mount -t configfs configfs $r/sys/kernel/config 2>/dev/null
mount -t debugfs debugfs $r/sys/kernel/debug 2>/dev/null
# kmemleak: what leaked before guse was loaded is not ours
kml=$r/sys/kernel/debug/kmemleak
if [ -e $kml ]; then
	log "kmemleak scan before the modules"
	echo scan >$kml
	cat $kml >/results/kmemleak-before
fi
# the VM kernel modules, so that modprobe works inside (gpio-sim on 7.3)
mount --bind $r$GUSE_KMODDIR $r/lib/modules
mkdir -p $r/run/guse-results
mount --bind /results $r/run/guse-results
for m in $GUSE_MODULES; do
	log "insmod $m"
	insmod $r$m || fail "insmod $m failed"
done
stty -F /dev/ttyS1 raw -echo 2>/dev/null
log "running the command"
chroot $r /bin/bash /run/guse-results/cmd.sh </dev/null >/dev/ttyS1 2>&1
st=$?
log "command exited with status $st"
if [ -e $kml ]; then
	# objects younger than 5 s are not reported: wait, then scan twice
	log "kmemleak scan after the run"
	sleep 6
	echo scan >$kml
	echo scan >$kml
	cat $kml >/results/kmemleak-after
fi
dmesg >/results/dmesg
echo $st >/results/status
umount /results 2>/dev/null
poweroff -f
'

# Print "path" lines of the modules (with dependencies first) to load for
# the names given, from modules.dep.
module_closure() {
	awk -v want="$*" '
	function base(p,   b) { b = p; sub(/.*\//, "", b); sub(/\.ko.*/, "", b); gsub(/-/, "_", b); return b }
	function visit(m,   i, n, d) {
		if (m in seen) return
		seen[m] = 1
		n = split(deps[m], d, " ")
		for (i = 1; i <= n; i++) visit(d[i])
		print m
	}
	{ m = $1; sub(/:$/, "", m); path[base(m)] = m; $1 = ""; deps[m] = $0 }
	END {
		n = split(want, w, " ")
		for (i = 1; i <= n; i++) if (w[i] in path) visit(path[w[i]])
	}' "$moddir/modules.dep"
}

# Build (or reuse) the initramfs for this kernel; prints its path.  The cache
# key covers the kernel, the init script and the busybox binary.
make_initramfs() {
	local key out tmp m name
	key=$( (echo "$krel" "${boot_modules[*]}"; echo "$init_script"; cksum </bin/busybox) |
		cksum | cut -d' ' -f1)
	out=$cache/initramfs/$krel-$key.cpio
	if [ -f "$out" ]; then
		echo "$out"
		return
	fi
	say "building initramfs for $krel"
	mkdir -p "$cache/initramfs"
	tmp=$(mktemp -d)
	mkdir -p "$tmp"/{bin,dev,proc,sys,lib/modules}
	cp /bin/busybox "$tmp/bin/"
	for name in sh mount umount insmod mkdir cat grep chmod ln poweroff dmesg stty sleep echo; do
		ln -s busybox "$tmp/bin/$name"
	done
	: >"$tmp/modules.order"
	while read -r m; do
		name=$(basename "$m")
		case $name in
		*.ko.xz) xz -dc "$moddir/$m" >"$tmp/lib/modules/${name%.xz}"; name=${name%.xz} ;;
		*.ko.zst) zstd -qdc "$moddir/$m" >"$tmp/lib/modules/${name%.zst}"; name=${name%.zst} ;;
		*.ko.gz) gzip -dc "$moddir/$m" >"$tmp/lib/modules/${name%.gz}"; name=${name%.gz} ;;
		*) cp "$moddir/$m" "$tmp/lib/modules/" ;;
		esac
		echo "$name" >>"$tmp/modules.order"
	done < <(module_closure "${boot_modules[@]}")
	printf '%s' "$init_script" >"$tmp/init"
	chmod +x "$tmp/init"
	(cd "$tmp" && find . | cpio -o -H newc --quiet) >"$out.tmp"
	mv "$out.tmp" "$out"
	rm -rf "$tmp"
	# drop initramfs images of older init scripts for this kernel
	find "$cache/initramfs" -name "$krel-*.cpio" ! -name "$krel-$key.cpio" -delete
	echo "$out"
}

# --- QEMU ----------------------------------------------------------------------
# KVM is listed on these machines but fails at run time ("emulation failure")
# and QEMU then hangs, so try it once with a short timeout and remember the
# answer until the host reboots.
pick_accel() {
	local probe=/run/guse-kvm-ok
	if [ -f "$probe" ]; then
		cat "$probe"
		return
	fi
	local accel=tcg
	if [ -w /dev/kvm ] &&
		timeout -k 2 15 qemu-system-x86_64 -accel kvm -nodefaults -no-user-config \
			-display none -m 256 -kernel "$vmlinuz" -initrd "$initrd" \
			-append "console=ttyS0 quiet panic=-1 guse.probe" -no-reboot \
			-serial stdio 2>/dev/null </dev/null | grep -q GUSE-PROBE-OK; then
		accel=kvm
	fi
	echo "$accel" >"$probe" 2>/dev/null || true
	echo "$accel"
}

# Lines in the kernel log that fail the run.
# Lines those patterns match that report no problem (the debug kernel's
# boot banner).
benign_patterns='RCU lockdep checking is enabled'
bad_patterns='WARNING:|BUG:|Oops|general protection fault|Call Trace:|lockdep|possible recursive locking|possible circular locking|KASAN|sleeping function called from invalid context|UBSAN|kernel BUG|ODEBUG|INFO: task .* blocked for more than|hung_task|Kernel panic'

# The kmemleak reports of <after> whose object <before> did not list, whole
# (every report starts with "unreferenced object 0x<addr> (size N):").
# Objects are told apart by address and size, not by function: what leaks
# on guse's behalf is allocated by gpiolib and irq code.
new_kmemleaks() { # <before> <after>
	awk -v before="$1" '
	/^unreferenced object/ { key = $3 " " $5; if (FILENAME == before) old[key] = 1; show = FILENAME != before && !(key in old) }
	FILENAME != before && show { print }' "$1" "$2"
}

initrd=$(make_initramfs)
accel=$(pick_accel)

# Per-run directory shared (writable) with the VM: unique, so that runs in
# parallel (several kernels, several developers) never share one.
mkdir -p "$logdir"
rm -rf "$logdir/results-$krel"
results=$(mktemp -d "$logdir/results-$krel.XXXXXX")
# Writable scratch directories in the VM (tmpfs over the read-only host).
tmpfs_dirs="tmp run var/tmp root home var/log"

# The directories below a tmpfs that the run needs (the tree of this
# script, the working directory, the modules): the init mounts them back.
keep_dirs() {
	local p d kept=()
	for p in "$top" "$PWD" ${modules:+"$modules"}; do
		case $p in *[[:space:]]*) die "paths with spaces are not supported: $p" ;; esac
		for d in $tmpfs_dirs; do
			case $p/ in
			/"$d"/*) ;;
			*) continue ;;
			esac
			for k in "${kept[@]}"; do
				case $p/ in "$k"/*) continue 3 ;; esac
			done
			kept+=("$p")
		done
	done
	echo "${kept[*]}"
}

{
	echo "GUSE_KMODDIR=$kdir/lib/modules"
	echo "GUSE_TMPFS='$tmpfs_dirs'"
	echo "GUSE_KEEP='$(keep_dirs)'"
	if [ -n "$modules" ]; then
		echo "GUSE_MODULES='$modules/guse.ko $modules/gpio-guse.ko'"
	else
		echo "GUSE_MODULES="
	fi
} >"$results/vm.conf"
{
	echo '#!/bin/bash'
	echo 'export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
	echo 'export HOME=/root TERM=dumb LANG=C.UTF-8 PYTHONDONTWRITEBYTECODE=1'
	echo "export GUSE_VM_KERNEL=$(printf %q "$krel")"
	echo 'export GUSE_VM_RESULTS=/run/guse-results'
	# pass the caller's GUSE_* settings through (e.g. GUSE_TEST_TIMEOUT)
	while IFS='=' read -r name _; do
		case $name in GUSE_VM_*) continue ;; esac
		echo "export $name=$(printf %q "${!name}")"
	done < <(env | grep -E '^GUSE_[A-Za-z0-9_]*=' || true)
	echo "cd $(printf %q "$PWD") || exit 126"
	printf 'exec'
	printf ' %q' "$@"
	echo
} >"$results/cmd.sh"

klog=$logdir/kernel-$krel.log
say "booting $krel ($accel) timeout ${timeout_s}s, kernel log $klog"
start=$(date +%s%N)
set +e
timeout -k 5 "$timeout_s" qemu-system-x86_64 \
	-accel "$accel" -smp 2 -m "$mem" \
	-nodefaults -no-user-config -display none -vga none -no-reboot \
	-kernel "$vmlinuz" -initrd "$initrd" \
	-append "console=ttyS0 loglevel=5 panic=-1 oops=panic rdinit=/init${GUSE_VM_APPEND:+ $GUSE_VM_APPEND}" \
	-chardev "file,id=con,path=$klog" -serial chardev:con \
	-chardev stdio,id=out,signal=off -serial chardev:out \
	-virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
	-virtfs "local,path=$results,mount_tag=results,security_model=none,multidevs=remap" \
	</dev/null
qst=$?
set -e
ms=$((($(date +%s%N) - start) / 1000000))
elapsed=$((ms / 1000)).$(printf %03d $((ms % 1000)))

if [ $qst = 124 ] || [ $qst = 137 ]; then
	say "TIMEOUT: the VM ($krel) did not finish within ${timeout_s}s; kernel log: $klog"
	tail -20 "$klog" >&2
	exit 124
fi
rm -f "$logdir/dmesg-$krel.log"
[ -f "$results/dmesg" ] && cp "$results/dmesg" "$logdir/dmesg-$krel.log"
status=$(cat "$results/status" 2>/dev/null || echo 99)
[ -f "$results/status" ] || say "no exit status from the VM (qemu exit $qst); kernel log: $klog"
leaks=$logdir/kmemleak-$krel.log
rm -f "$leaks" "$logdir/kmemleak-$krel.checked"
if [ -f "$results/kmemleak-after" ]; then
	new_kmemleaks "$results/kmemleak-before" "$results/kmemleak-after" >"$leaks"
	[ -s "$leaks" ] || rm -f "$leaks"
	# tells tests/run-tests.sh that this kernel has kmemleak
	: >"$logdir/kmemleak-$krel.checked"
fi
rm -rf "$results"

# The scan covers the serial log (catches a panic) and the final dmesg
# (catches what the console loglevel hid).
bad=$(cat "$klog" "$logdir/dmesg-$krel.log" 2>/dev/null | tr -d '\r' | grep -E "$bad_patterns" |
	grep -Ev "$benign_patterns" | sort -u || true)
if [ -n "$bad" ]; then
	say "KERNEL LOG FAILURE on $krel (full log: $klog):"
	printf '%s\n' "$bad" | head -40 >&2
	exit 125
fi
if [ -f "$leaks" ]; then
	say "KMEMLEAK on $krel: $(grep -c '^unreferenced object' "$leaks") new objects ($leaks):"
	head -60 "$leaks" >&2
	exit 123
fi
say "done in ${elapsed}s, status $status"
exit "$status"
