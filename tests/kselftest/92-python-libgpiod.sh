#!/bin/bash
# libgpiod's own Python binding tests, unmodified, on guse.gpiosim: the
# test files of Debian's libgpiod source (fetched into $GUSE_CACHE/libgpiod
# by scripts/setup-host.sh) in a package of their own whose gpiosim module
# is one line, `from guse.gpiosim import Chip`: the one change the
# facade promises.  Their consumer is python3-libgpiod 2.1.3; the tests of
# what its binding (2.0.1) lacks are expected failures
# (bindings/python/tests/libgpiod-expected-failures, strict).
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/ktap.sh"
. "$top/scripts/common.sh"
. "$top/tests/lib/python.sh"

src=$GUSE_CACHE/libgpiod/source/bindings/python/tests
if [ ! -f "$src/gpiosim/chip.py" ]; then
	python_skip_all "no libgpiod source in $GUSE_CACHE/libgpiod (scripts/setup-host.sh fetches it)"
fi
# their chips are created directly, not through the plugin's fixtures
if [ ! -e "${GUSE_DEVICE:-/dev/guse}" ]; then
	python_skip_all "no ${GUSE_DEVICE:-/dev/guse} (modprobe gpio-guse)"
fi
ktap_diag "libgpiod's binding tests: $(readlink -f "$src") ($(cat "$GUSE_CACHE/libgpiod/ORIGIN" 2>/dev/null))"
root=$(mktemp -d)
export PYTHON_RUN_TMP=$root
pkg=$root/libgpiod_tests
mkdir "$pkg"
# their __init__.py only refuses kernels older than 5.19 (with distutils)
: >"$pkg/__init__.py"
echo 'from guse.gpiosim import Chip  # instead of libgpiod tests/gpiosim' >"$pkg/gpiosim.py"
for f in "$src"/helpers.py "$src"/tests_*.py; do
	ln -s "$f" "$pkg/"
done
export GUSE_XFAIL_LIST=$top/bindings/python/tests/libgpiod-expected-failures
export PYTHONPATH=$root
python_run "$root" -o 'python_files=tests_*.py' "$pkg"
