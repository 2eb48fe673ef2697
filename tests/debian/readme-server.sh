#!/bin/sh
# Print the README's complete C server (its first ```c block), for the
# tests that build it as a user would: cc server.c $(pkg-config --cflags
# --libs libguse).
#
# usage: tests/debian/readme-server.sh [README.md] >server.c
set -e
readme=${1:-$(dirname "$0")/../../README.md}
awk '/^```c$/ { on = 1; next } on && /^```$/ { exit } on { print }' "$readme" >"${TMPDIR:-/tmp}/readme-server.$$"
if ! grep -q 'guse_chip_new' "${TMPDIR:-/tmp}/readme-server.$$"; then
	rm -f "${TMPDIR:-/tmp}/readme-server.$$"
	echo "readme-server: no C server in $readme" >&2
	exit 1
fi
cat "${TMPDIR:-/tmp}/readme-server.$$"
rm -f "${TMPDIR:-/tmp}/readme-server.$$"
