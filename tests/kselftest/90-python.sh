#!/bin/bash
# The Python bindings (bindings/python) against real chips, with
# python3-libgpiod 2.1.3 as the consumer: requests, values, edges with
# timestamps, bias and pull, drive, debounce, line-info events, hogs,
# invalid lines and the device side of guse.Chip chips; the gpiosim facade;
# the pytest plugin's fixtures and its counted skip without /dev/guse.
# One KTAP line per pytest test.  Servers: 91-python-servers.sh.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/ktap.sh"
. "$top/tests/lib/python.sh"

python_suite tests/device/test_consumer.py tests/device/test_gpiosim.py \
	tests/device/test_plugin.py
