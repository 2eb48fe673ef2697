#!/bin/bash
# Servers written in Python (bindings/python) against python3-libgpiod:
# answers deferred to threads, refusals, exceptions (EIO, reported),
# asyncio, timeouts, chips garbage collected or closed with requests
# pending, many chips; the example servers and the documentation's pytest
# example.  One KTAP line per pytest test.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/ktap.sh"
. "$top/tests/lib/python.sh"

python_suite tests/device/test_server.py tests/device/test_examples.py \
	examples/test_example.py
