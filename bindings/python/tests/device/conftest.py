# SPDX-License-Identifier: LGPL-2.1-or-later
"""Tests of the Python bindings against real guse chips (/dev/guse), with
python3-libgpiod as the consumer.  Run by tests/kselftest/90-python.sh in
the test VM, with the plugin loaded (-p guse.pytest_plugin); its fixtures
skip everything where /dev/guse is missing.

GUSE_TIMEOUT_SCALE (the debug kernel: 4) scales every bound on waiting.
"""

from __future__ import annotations

import os
import platform
import re
import time
from datetime import timedelta
from typing import Callable

import gpiod
import pytest
from gpiod.line import Direction as GDir
from gpiod.line import Value

# test_plugin.py runs pytest sessions of its own
pytest_plugins = ["pytester"]

SCALE = float(os.environ.get("GUSE_TIMEOUT_SCALE", "1"))


def bound(seconds: float) -> float:
    """A limit for waiting on something, scaled for slow kernels."""
    return seconds * SCALE


def wait_until(cond: Callable[[], bool], seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + bound(seconds)
    while not cond():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.005)
    return True


def kernel_at_least(major: int, minor: int) -> bool:
    m = re.match(r"(\d+)\.(\d+)", platform.release())
    return bool(m) and (int(m.group(1)), int(m.group(2))) >= (major, minor)


def settings(**kw) -> gpiod.LineSettings:
    return gpiod.LineSettings(**kw)


def output(value: int = 0) -> gpiod.LineSettings:
    return gpiod.LineSettings(direction=GDir.OUTPUT, output_value=Value(value))


def edges(req: gpiod.LineRequest, n: int, seconds: float = 5.0) -> list:
    """Read n edge events (or fewer if they do not come in time)."""
    got: list = []
    deadline = time.monotonic() + bound(seconds)
    while len(got) < n:
        left = deadline - time.monotonic()
        if left <= 0 or not req.wait_edge_events(timedelta(seconds=left)):
            break
        got += req.read_edge_events()
    return got


def info_events(chip: gpiod.Chip, seconds: float, settle: float = 0.1) -> list:
    """Line-info events: waits up to ``seconds`` for the first, then takes
    those that follow within ``settle`` of each other."""
    got: list = []
    wait = bound(seconds)
    while chip.wait_info_event(timedelta(seconds=wait)):
        got.append(chip.read_info_event())
        wait = bound(settle)
    return got


@pytest.fixture
def gchip(guse_chip):
    """A guse chip and a gpiod.Chip on it: (guse chip, gpiod chip)."""
    opened = []

    def make(**kw):
        chip = guse_chip(**kw)
        g = gpiod.Chip(chip.dev_path)
        opened.append(g)
        return chip, g

    yield make
    for g in opened:
        g.close()
