#!/bin/sh
# Generate configure and the Makefile.in files from a fresh clone.
# Usage: ./autogen.sh [configure args...]   (runs configure when given args)
set -eu
cd "$(dirname "$0")"
mkdir -p m4 build-aux
autoreconf --force --install --warnings=all
if [ $# -gt 0 ]; then
	exec ./configure "$@"
fi
echo "autogen: now run ./configure"
