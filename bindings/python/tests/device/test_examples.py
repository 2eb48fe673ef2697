# SPDX-License-Identifier: LGPL-2.1-or-later
"""The example servers in bindings/python/examples/ do what they say."""

import errno
import os
import signal
import subprocess
import sys

import gpiod
import pytest
from gpiod.line import Direction, Value

from guse.pytest_plugin import require_device

from conftest import bound, output, settings, wait_until

EXAMPLES = os.path.join(os.path.dirname(__file__), "..", "..", "examples")


@pytest.fixture
def server():
    require_device()
    procs = []

    def start(name):
        p = subprocess.Popen(
            [sys.executable, "-P", os.path.join(EXAMPLES, name)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        procs.append(p)
        line = p.stdout.readline().split()
        assert line and line[0] == "ready", p.stderr.read()
        return p, line[1]

    yield start
    for p in procs:
        if p.poll() is None:
            p.kill()
        p.wait()


def stop(p, chip):
    p.send_signal(signal.SIGTERM)
    assert p.wait(bound(20)) == 0, p.stderr.read()
    assert wait_until(lambda: not os.path.exists("/dev/" + chip))


def test_deferred_server(server):
    p, chip = server("deferred_server.py")
    path = "/dev/" + chip
    with gpiod.request_lines(path, {"loop-in": settings(direction=Direction.INPUT)}) as inp:
        assert inp.get_value(1) == Value.INACTIVE
        with gpiod.request_lines(path, {"loop-out": output(1)}) as out:
            assert inp.get_value(1) == Value.ACTIVE  # the loopback wire
            out.set_value(0, Value.INACTIVE)
            assert inp.get_value(1) == Value.INACTIVE
            assert out.get_value(0) == Value.INACTIVE  # read back from the CPU
    stop(p, chip)


def test_asyncio_server(server):
    p, chip = server("asyncio_server.py")
    path = "/dev/" + chip
    with gpiod.request_lines(path, {"sensor": settings(direction=Direction.INPUT)}) as req:
        assert req.get_value(0) == Value.ACTIVE
    with gpiod.request_lines(path, {"relay": output(1)}) as req:
        assert req.get_value(1) == Value.ACTIVE
    # refused with EINVAL (which libgpiod's binding raises as ValueError)
    with pytest.raises((OSError, ValueError)) as e:
        gpiod.request_lines(path, {"sensor": output(1)})
    assert e.value.args[0] == errno.EINVAL
    stop(p, chip)
