#!/bin/bash
# Raw /dev/guse protocol: validation of every server message, timeouts,
# late replies and server death (tests/guse-protocol-test.c).
top=$(cd "$(dirname "$0")/../.." && pwd)
exec "$top/tests/guse-protocol-test"
