# shellcheck shell=bash
# shellcheck disable=SC2154  # $top: set by the sourcing script
# guse-sim in the background for the tests/kselftest/ scripts (sourced,
# after tests/lib/ktap.sh, with $top set).  Sets $work, a directory removed
# at exit, and the array pids, processes killed (and waited for) at exit.
#
#   start_sim NAME ARGS...   guse-sim with control socket $work/NAME.sock,
#                            trace in $work/NAME; returns once it is ready
#   chip_of NAME             the chip name from its ready line
#   sim_cmd SOCKET CMD...    one command over the socket; prints the reply
#   traced NAME PATTERN      whether the trace of NAME has PATTERN

sim=${sim:-$top/tools/guse-sim}
work=$(mktemp -d)
pids=()
sim_cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$work"
}
trap sim_cleanup EXIT

sim_cmd() {
	python3 - "$1" "${*:2}" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall((sys.argv[2] + "\n").encode())
print(s.makefile().readline().strip())
PY
}
export -f sim_cmd

start_sim() {
	local name=$1
	shift
	"$sim" -d -s "$work/$name.sock" "$@" </dev/null >"$work/$name" 2>&1 &
	pids+=($!)
	wait_for 10 grep -q '^ready\|^{"event":"ready"' "$work/$name"
}
chip_of() { awk '/^ready/ {print $2; exit}' "$work/$1"; }
traced() { grep -q -- "$2" "$work/$1"; }
