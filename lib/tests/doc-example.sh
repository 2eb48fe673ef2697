#!/bin/sh
# The complete server in Documentation/library.rst must compile, warning
# free, against the library as built: a guide whose code does not build is
# a bug.  (It needs /dev/guse to run, so it is only compiled here.)
set -e
doc=${top_srcdir:-..}/Documentation/library.rst
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# the first ".. code-block:: c" block: its indented lines, unindented
awk '/^\.\. code-block:: c/ { on = 1; next }
     on && /^[^ \t]/ { exit }
     on { sub(/^   /, ""); print }' "$doc" >"$tmp/server.c"
[ -s "$tmp/server.c" ] || { echo "no C example found in $doc"; exit 1; }
${CC:-cc} -std=gnu11 -Wall -Wextra -Werror -I"${top_srcdir:-..}/lib" -c "$tmp/server.c" -o "$tmp/server.o"
echo "ok: the guide's server compiles ($(wc -l <"$tmp/server.c") lines)"
