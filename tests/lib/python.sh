# shellcheck shell=bash
# shellcheck disable=SC2154  # $top: set by the sourcing script
# The Python bindings' pytest suites in the VM (sourced by
# tests/kselftest/9?-python*.sh, after tests/lib/ktap.sh, with $top set).
#
#   python_suite FILE...        pytest on FILEs (below bindings/python)
#   python_run ROOTDIR ARG...   pytest with ARGs and rootdir ROOTDIR
#
# Both load the guse plugin and print one KTAP line per test
# (bindings/python/tests/tap.py); pytest's report follows as diagnostics
# (all of it when something failed, else the slowest tests).  They exit 0,
# 1, or 4 (all skipped), or skip the whole script when the bindings,
# pytest or python3-libgpiod are missing.  GUSE_XFAIL_LIST names a file
# of tests expected to fail (bindings/python/tests/xfail_list.py);
# PYTHON_RUN_TMP a directory to remove at the end.

python_suite() {
	local py=$top/bindings/python f files=()
	for f in "$@"; do files+=("$py/$f"); done
	python_run "$py/tests/device" "${files[@]}"
}

python_run() {
	local py=$top/bindings/python rootdir=$1 work st failed passed skipped have
	shift
	work=$(mktemp -d)
	# shellcheck disable=SC2064  # expand now: $work is local
	trap "rm -rf '$work' ${PYTHON_RUN_TMP:+'$PYTHON_RUN_TMP'}" EXIT

	if ! ls "$py"/pylib/guse/_ext*.so >/dev/null 2>&1; then
		python_skip_all "not built (configure found no python3 headers, or --disable-python)"
	fi
	# one interpreter start for every check: each costs seconds under TCG
	have=$(python3 -c '
try:
    import pytest
except ImportError:
    print("no-pytest"); raise SystemExit
try:
    import gpiod; gpiod.LineSettings
    print("gpiod", gpiod.__version__, gpiod.api_version)
except (ImportError, AttributeError):
    print("no-gpiod")' 2>/dev/null)
	case $have in
	no-pytest | "") python_skip_all "no pytest (python3-pytest)" ;;
	no-gpiod) python_skip_all "no libgpiod v2 Python bindings (python3-libgpiod 2.1.3 from bookworm-backports)" ;;
	esac
	ktap_diag "python3-libgpiod: ${have#gpiod }"

	# -P: the working directory's files never shadow the built package
	export PYTHONPATH=$py/pylib:$py/tests${PYTHONPATH:+:$PYTHONPATH}
	export LD_LIBRARY_PATH=$top/lib/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
	export GUSE_SIM=$top/tools/guse-sim
	export PYTEST_DISABLE_PLUGIN_AUTOLOAD=1 PYTHONDONTWRITEBYTECODE=1
	export GUSE_TAP=ktap GUSE_TAP_FD=3
	local start=$SECONDS
	(cd "$work" && python3 -P -m pytest -p guse.pytest_plugin -p tap -p xfail_list \
		-p no:cacheprovider -q -rfEs -o console_output_style=classic --durations=8 \
		--rootdir "$rootdir" "$@" 3>&1 >"$work/pytest.log" 2>&1) | tee "$work/tap"
	st=${PIPESTATUS[0]}
	ktap_diag "pytest: exit status $st in $((SECONDS - start)) s: $(tail -n 1 "$work/pytest.log")"

	failed=$(grep -c '^not ok ' "$work/tap")
	passed=$(grep '^ok ' "$work/tap" | grep -vc '# SKIP')
	skipped=$(grep -c '^ok .*# SKIP' "$work/tap")
	if [ "$failed" != 0 ] || { [ "$st" != 0 ] && [ "$st" != 1 ]; }; then
		sed 's/^/# /' "$work/pytest.log"
	else
		sed -n '/slowest/,/^$/s/^/# /p' "$work/pytest.log"
	fi
	echo "# Totals: pass:$passed fail:$failed skip:$skipped"
	# 1: a test failed, or pytest itself did (a crash, no tests)
	[ "$failed" = 0 ] && [ "$st" = 0 ] || exit 1
	[ "$passed" = 0 ] && [ "$skipped" != 0 ] && exit 4
	exit 0
}

python_skip_all() { ktap_skip_if "python-bindings" "$1"; }
