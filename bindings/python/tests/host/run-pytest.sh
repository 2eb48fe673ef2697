#!/bin/sh
# Run one host test file with pytest, printing TAP (tests/tap.py, with
# GUSE_TAP=1) for automake's TAP driver.
#   VALGRIND=1          under valgrind (memcheck: errors, and leaks of the
#                       extension and libguse, fail the test; Debian's
#                       python3.supp suppresses the interpreter's own)
#   GUSE_PY_SANITIZE=1  an ASan+UBSan build: the interpreter is not
#                       instrumented, so libasan is preloaded
# Environment from Makefile.am: PYTHON, GUSE_PY_PATH, GUSE_PY_LIBDIR, CC.
# shellcheck disable=SC2086  # $py and $args are word lists
set -u
PYTHONPATH=$GUSE_PY_PATH${PYTHONPATH:+:$PYTHONPATH}
LD_LIBRARY_PATH=$GUSE_PY_LIBDIR${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
GUSE_TAP=1
# the plugin under test must not also come from an installed copy
PYTEST_DISABLE_PLUGIN_AUTOLOAD=1
PYTHONDONTWRITEBYTECODE=1
export PYTHONPATH LD_LIBRARY_PATH GUSE_TAP PYTEST_DISABLE_PLUGIN_AUTOLOAD PYTHONDONTWRITEBYTECODE
args="-p no:cacheprovider -p tap -q -rfEs -o console_output_style=classic"
# -P: the source tree's guse/ (the current directory) must not hide pylib/
py="$PYTHON"
"$PYTHON" -P -c '' 2>/dev/null && py="$PYTHON -P"
# pymalloc would hide the objects' memory from valgrind and ASan; the
# tests' time bounds stretch by GUSE_TEST_SLOW
if [ "${VALGRIND:-0}" = 1 ]; then
	supp=/usr/lib/valgrind/python3.supp	# Debian's python3.X package
	[ -f "$supp" ] && supp="--suppressions=$supp" || supp=
	PYTHONMALLOC=malloc GUSE_TEST_SLOW=20 exec valgrind --quiet --error-exitcode=1 $supp \
		--leak-check=full --errors-for-leak-kinds=definite,indirect \
		--show-leak-kinds=definite,indirect \
		$py -m pytest $args "$@"
fi
if [ "${GUSE_PY_SANITIZE:-0}" = 1 ]; then
	PYTHONMALLOC=malloc GUSE_TEST_SLOW=3 LD_PRELOAD=$(${CC:-cc} -print-file-name=libasan.so) \
		exec $py -m pytest $args "$@"
fi
exec $py -m pytest $args "$@"
