# shellcheck shell=bash
# guse's gpio-sim.ko, found by `modprobe gpio-sim` as it is once installed,
# for the tests/kselftest/ scripts that run upstream suites against it
# (sourced).  The modules are never installed into the VM's /lib/modules:
# a private module tree (updates/ with guse's modules, configfs, depmod's
# index) is bound over /lib/modules in a mount namespace of the command
# alone.
#
#   gpiosim_ko_tree MODS DIR   the tree under DIR from the modules in MODS;
#                              fails if MODS has no gpio-sim.ko (the kernel
#                              has its own gpio-sim)
#   "${gpiosim_ko_ns[@]}" CMD...
#                              CMD in a mount namespace of its own with
#                              that tree (set by gpiosim_ko_tree); with
#                              exec, CMD keeps the caller's pid
#   gpiosim_unload             unloads gpio-sim once nothing uses it
#   gpiosim_is_kernels         whether the loaded or loadable gpio-sim is
#                              the kernel's own (not guse's: taint "O")

gpiosim_ko_ns=()
gpiosim_ko_tree() { # <mods> <dir>
	local krel mdir cfs files
	[ -f "$1/gpio-sim.ko" ] || return 1
	krel=$(uname -r)
	# shellcheck disable=SC2016,SC2034 # expanded by that sh; used by the caller
	gpiosim_ko_ns=(unshare -m sh -c 'mount --bind "$1" /lib/modules && shift && exec "$@"'
		_ "$2/lib/modules")
	mdir=$2/lib/modules/$krel
	mkdir -p "$mdir/updates"
	cp "$1"/guse.ko "$1"/gpio-guse.ko "$1"/gpio-sim.ko "$mdir/updates/" || return 1
	files=("$mdir"/updates/*.ko)
	cfs=$(modinfo -n configfs 2>/dev/null)
	if [ -n "$cfs" ] && [ -f "$cfs" ]; then
		mkdir -p "$mdir/kernel"
		cp "$cfs" "$mdir/kernel/"
		files+=("$mdir/kernel/$(basename "$cfs")")
	fi
	depmod -b "$2" "$krel" "${files[@]}"
}

gpiosim_is_kernels() {
	case $(modinfo -n gpio-sim 2>/dev/null) in
	/lib/modules/"$(uname -r)"/kernel/*) ;;
	*) return 1 ;;
	esac
	! grep -qs O /sys/module/gpio_sim/taint
}

# gpiosim_unload: unloads gpio-sim (the kernel's or guse's) once nothing
# uses it.  On 6.1 a device set to live=0 stays registered until gpiolib
# lets its chips go, and holds the module until then (Documentation/
# gpio-sim.rst): wait for that, up to 30 s times GUSE_TIMEOUT_SCALE,
# instead of failing on a loaded host.  Fails if it is still in use.
gpiosim_unload() {
	local n=0 max=$((300 * ${GUSE_TIMEOUT_SCALE:-1}))
	grep -qw '^gpio_sim' /proc/modules || return 0
	while [ "$(cat /sys/module/gpio_sim/refcnt 2>/dev/null)" != 0 ] && [ $n -lt $max ]; do
		sleep 0.1
		n=$((n + 1))
	done
	modprobe -r gpio-sim 2>/dev/null || rmmod gpio_sim
}
