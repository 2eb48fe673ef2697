#!/bin/sh
# Test driver helper: run a unit test, under valgrind when VALGRIND=1.
if [ "${VALGRIND:-0}" = 1 ]; then
	exec ${LIBTOOL:-libtool} --mode=execute valgrind --quiet --error-exitcode=1 \
		--leak-check=full --errors-for-leak-kinds=definite,indirect \
		--show-leak-kinds=definite,indirect "$@"
fi
exec "$@"
