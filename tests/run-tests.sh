#!/bin/bash
# The full test suite: host-side unit tests (make check) and, for every
# kernel, the kselftests inside one VM boot with the kernel-log scan.
#
# usage: tests/run-tests.sh [--kernel K]... [--build-dir DIR] [--no-host]
#                           [--timeout SEC]
#   --kernel K      short name or release (repeatable; default: all of
#                   scripts/kernels.conf)
#   --build-dir DIR the configured autotools build tree for `make check`
#                   (default: the source tree if it has a Makefile)
#   --no-host       skip the host-side unit tests
#   --timeout SEC   hard limit for each VM run, a guard against a hung
#                   VM (default 1800; three times that on the debug
#                   kernel, whose KASAN and lockdep make it several times
#                   slower under TCG: with four other VMs on a 2-CPU host
#                   its run took over an hour)
#
# Modules come from build/modules/<krel>/ (scripts/build-modules.sh).
# Prints per-test lines prefixed with the kernel, a summary per kernel and,
# as its very last line, "N passed, M failed[, K skipped]".  Exits nonzero
# if anything failed.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
. "$top/scripts/common.sh"

say() { printf 'run-tests: %s\n' "$*" >&2; }

kernels=() build_dir='' host=1 vm_timeout=1800
while [ $# -gt 0 ]; do
	case $1 in
	--kernel) kernels+=("${2:?}"); shift 2 ;;
	--build-dir) build_dir=${2:?}; shift 2 ;;
	--no-host) host=0; shift ;;
	--timeout) vm_timeout=${2:?}; shift 2 ;;
	-h | --help) sed -n '4,13p' "$0" | sed 's/^# //'; exit 0 ;;
	*) say "unknown argument: $1"; exit 2 ;;
	esac
done
[ ${#kernels[@]} -gt 0 ] || read -r -a kernels <<<"$GUSE_KERNELS"
[ -n "$build_dir" ] || build_dir=$top

total_pass=0 total_fail=0 total_skip=0
failed_names=()


# Record one result: <prefix> <pass|fail|skip> <name>
record() {
	case $2 in
	pass) total_pass=$((total_pass + 1)) ;;
	skip) total_skip=$((total_skip + 1)) ;;
	fail) total_fail=$((total_fail + 1)); failed_names+=("$1 $3") ;;
	esac
}

# Host unit tests through automake's test harness, counted one by one from
# its summary: <label> <build dir> [make arguments...]
run_make_check() {
	local label=$1 dir=$2 log st pass fail skip
	shift 2
	log=$(mktemp)
	say "host unit tests ($label): make check in $dir $*"
	set +e
	make -C "$dir" -j"$(nproc)" check "$@" 2>&1 | tee "$log" | sed -u "s/^/[host:$label] # /"
	st=${PIPESTATUS[0]}
	set -e
	# "# PASS:  3" lines of each directory's test-suite summary
	sum() { awk -v k="# $1:" '$1 " " $2 == k { n += $3 } END { print n + 0 }' "$log"; }
	pass=$(sum PASS) fail=$(( $(sum FAIL) + $(sum ERROR) + $(sum XPASS) )) skip=$(sum SKIP)
	rm -f "$log"
	total_pass=$((total_pass + pass)) total_skip=$((total_skip + skip))
	total_fail=$((total_fail + fail))
	[ "$fail" = 0 ] || failed_names+=("[host:$label] make check ($fail)")
	if [ "$st" != 0 ] && [ "$fail" = 0 ]; then
		# make failed without a failing test: a build error counts as one
		record "[host:$label]" fail "make-check"
	fi
	echo "[host:$label] # summary: $pass passed, $fail failed, $skip skipped"
}

# The unit tests three ways: as built, under valgrind, and in a second tree
# built with ASan and UBSan (any report fails the test).
run_host_tests() {
	local asan=$top/build/sanitize
	if [ ! -f "$build_dir/Makefile" ]; then
		say "no configured build tree in $build_dir: skipping the host unit tests"
		return
	fi
	run_make_check plain "$build_dir"
	run_make_check valgrind "$build_dir" VALGRIND=1
	# automake allows no second build of a tree configured in place: the
	# sanitizer build gets its own copy of the sources (refreshed each run)
	mkdir -p "$asan"
	(cd "$top" && git ls-files -co --exclude-standard -z |
		tar --null -T - -c -f - ) | tar -x -C "$asan" -f -
	if [ ! -f "$asan/Makefile" ]; then
		say "configuring the ASan+UBSan build in $asan"
		(cd "$asan" && ./autogen.sh >/dev/null 2>&1 &&
			./configure -q --enable-sanitizers >/dev/null) ||
			record "[host:sanitizers]" fail "configure"
	fi
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		run_make_check sanitizers "$asan"
}

# Host checks printing KTAP: <script>.  scripts/lint-kernel.sh
# (checkpatch --strict, kernel-doc), scripts/check-dkms.sh (the DKMS
# install path) and tests/debian/check-debian.sh (the Debian packages).
run_host_ktap() {
	local line
	while IFS= read -r line; do
		echo "[host] $line"
		case $line in
		"ok "*"# SKIP"*) record "[host]" skip "" ;;
		"ok "*) record "[host]" pass "" ;;
		"not ok "*) record "[host]" fail "$(echo "$line" | cut -d' ' -f4-)" ;;
		esac
	done < <("$1")
}

# One VM boot per kernel running every kselftest.
run_kernel() { # <short|krel>
	local krel prefix mods st line p=0 f=0 s=0 seen=0
	krel=$(resolve_krel "$1")
	prefix="[$krel]"
	mods=$top/build/modules/$krel
	local modarg=()
	if [ -f "$mods/guse.ko" ] && [ -f "$mods/gpio-guse.ko" ]; then
		modarg=(--modules "$mods")
	else
		say "$krel: no modules in $mods (scripts/build-modules.sh $krel): running without them"
	fi
	local out limit=$vm_timeout test_limit=${GUSE_TEST_TIMEOUT:-120} scale=1
	case $krel in
	*-guse-debug) limit=$((vm_timeout * 3)) test_limit=${GUSE_TEST_TIMEOUT:-480} scale=4 ;;
	esac
	out=$(mktemp)
	set +e
	GUSE_TEST_TIMEOUT=$test_limit GUSE_TIMEOUT_SCALE=${GUSE_TIMEOUT_SCALE:-$scale} \
	"$here/vm/run-vm.sh" --kernel "$krel" "${modarg[@]}" --timeout "$limit" \
		-- "$here/vm/run-in-vm.sh" | tee "$out" | sed -u "s/^/$prefix /"
	st=${PIPESTATUS[0]}
	set -e
	# Each kselftest prints its own KTAP, nested under run-in-vm.sh's as
	# "# ok N ..." lines: every subtest counts.  A test that failed without
	# a failing subtest (it crashed, or ran fewer than it planned) counts as
	# one failure; a test without subtests counts as one result.
	local planned=0 wrappers=0 sp=0 sf=0 ss=0 name
	while IFS= read -r line; do
		case $line in
		1..*) planned=${line#1..} ;;
		"# ok "*"# SKIP"*) ss=$((ss + 1)) ;;
		"# ok "*) sp=$((sp + 1)) ;;
		"# not ok "*) sf=$((sf + 1)) ;;
		"ok "* | "not ok "*)
			wrappers=$((wrappers + 1)) seen=1
			name=$(echo "$line" | sed -E 's/^(not )?ok [0-9]+ //; s/ #.*//')
			if [ "${line#not }" != "$line" ] && [ $sf = 0 ]; then
				sf=1
			elif [ $((sp + sf + ss)) = 0 ]; then
				case $line in
				*"# SKIP"*) ss=1 ;;
				*) sp=1 ;;
				esac
			fi
			p=$((p + sp)) f=$((f + sf)) s=$((s + ss))
			total_pass=$((total_pass + sp)) total_skip=$((total_skip + ss))
			total_fail=$((total_fail + sf))
			[ $sf = 0 ] || failed_names+=("$prefix $name ($sf)")
			sp=0 sf=0 ss=0 ;;
		esac
	done <"$out"
	rm -f "$out"
	# tests the VM never got to (it died, or timed out) count as failed
	if [ "$wrappers" -lt "$planned" ]; then
		local missing=$((planned - wrappers))
		f=$((f + missing))
		total_fail=$((total_fail + missing))
		failed_names+=("$prefix $missing planned tests did not run")
		echo "$prefix not ok vm-incomplete-$krel # $missing of $planned tests did not run"
	fi
	# kmemleak (the debug kernel): objects new since the scan before the
	# modules were loaded, reported by run-vm.sh
	local logs=$top/build/vm-logs
	if [ -f "$logs/kmemleak-$krel.log" ]; then
		f=$((f + 1)); record "$prefix" fail "kmemleak-$krel"
		echo "$prefix not ok kmemleak-$krel # see build/vm-logs/kmemleak-$krel.log"
		[ "$st" != 123 ] || st=0	# the log itself was clean
	elif [ -f "$logs/kmemleak-$krel.checked" ]; then
		p=$((p + 1)); record "$prefix" pass ""
		echo "$prefix ok kmemleak-$krel"
	fi
	case $st in
	125) f=$((f + 1)); record "$prefix" fail "kernel-log-$krel"
		echo "$prefix not ok kernel-log-$krel # see build/vm-logs/kernel-$krel.log" ;;
	124) f=$((f + 1)); record "$prefix" fail "vm-timeout-$krel"
		echo "$prefix not ok vm-timeout-$krel # VM run exceeded ${limit}s" ;;
	*)
		p=$((p + 1)); record "$prefix" pass ""
		echo "$prefix ok kernel-log-$krel"
		if [ "$st" != 0 ] && [ "$f" = 0 ]; then
			# the VM failed without a failing test (no report at all?)
			f=$((f + 1)); record "$prefix" fail "vm-run-$krel"
			echo "$prefix not ok vm-run-$krel # exit status $st, $seen reports"
		fi ;;
	esac
	echo "$prefix # summary: $p passed, $f failed, $s skipped"
}

# timed <what> <command...>: runs it and says how long it took (the
# suite's time budget is spent where these lines say)
timed() {
	local what=$1 start=$SECONDS
	shift
	"$@"
	say "$what: $((SECONDS - start)) s"
}

if [ $host = 1 ]; then
	timed "host unit tests" run_host_tests
	timed "kernel lint" run_host_ktap "$top/scripts/lint-kernel.sh"
	timed "DKMS" run_host_ktap "$top/scripts/check-dkms.sh"
	# the Debian packages: built, installed in a fresh root, DKMS, the VM
	# on 6.1 and 6.12 with those modules, upgrade, purge
	timed "Debian packages" run_host_ktap "$top/tests/debian/check-debian.sh"
fi
for k in "${kernels[@]}"; do
	timed "kernel $k" run_kernel "$k"
done

if [ ${#failed_names[@]} -gt 0 ]; then
	echo "# failed:"
	printf '#   %s\n' "${failed_names[@]}"
fi
summary="$total_pass passed, $total_fail failed"
[ "$total_skip" = 0 ] || summary="$summary, $total_skip skipped"
echo "$summary"
[ "$total_fail" = 0 ]
