# SPDX-License-Identifier: LGPL-2.1-or-later
"""guse.gpiosim.Chip with python3-libgpiod, as libgpiod's own binding tests
use gpiosim.Chip (written for this suite, in their style)."""

import errno
import gc
import os
from datetime import timedelta

import gpiod
import pytest
from gpiod.line import Direction, Edge, Value
from gpiod import EdgeEvent

from guse import gpiosim
from guse.pytest_plugin import require_device

from conftest import bound, wait_until

Pull = gpiosim.Chip.Pull
SimVal = gpiosim.Chip.Value
HogDir = gpiosim.Chip.Direction


@pytest.fixture(autouse=True)
def _device():
    require_device()


def test_chip_info():
    sim = gpiosim.Chip(label="foobar", num_lines=16)
    with gpiod.Chip(sim.dev_path) as chip:
        info = chip.get_info()
        assert (info.name, info.label, info.num_lines) == (sim.name, "foobar", 16)


def test_line_names_and_hogs():
    sim = gpiosim.Chip(
        num_lines=8,
        line_names={0: "foo", 4: "bar"},
        hogs={3: ("hog3", HogDir.OUTPUT_HIGH), 4: ("hog4", HogDir.OUTPUT_LOW), 6: ("hog6", HogDir.INPUT)},
    )
    with gpiod.Chip(sim.dev_path) as chip:
        assert chip.line_offset_from_id("bar") == 4
        info3, info4, info6 = (chip.get_line_info(n) for n in (3, 4, 6))
        assert (info3.used, info3.consumer, info3.direction) == (True, "hog3", Direction.OUTPUT)
        assert (info4.consumer, info4.direction) == ("hog4", Direction.OUTPUT)
        assert (info6.consumer, info6.direction) == ("hog6", Direction.INPUT)
        assert not chip.get_line_info(0).used
    assert sim.get_value(3) == SimVal.ACTIVE and sim.get_value(4) == SimVal.INACTIVE


def test_pull_and_values():
    sim = gpiosim.Chip(num_lines=4)
    with gpiod.request_lines(sim.dev_path, {(0, 1): None}) as req:
        sim.set_pull(1, Pull.UP)
        assert req.get_values() == [Value.INACTIVE, Value.ACTIVE]
        sim.set_pull(1, Pull.DOWN)
        assert req.get_value(1) == Value.INACTIVE
    with gpiod.request_lines(
        sim.dev_path, {2: gpiod.LineSettings(direction=Direction.OUTPUT, output_value=Value.ACTIVE)}
    ) as req:
        assert sim.get_value(2) == SimVal.ACTIVE
        req.set_value(2, Value.INACTIVE)
        assert sim.get_value(2) == SimVal.INACTIVE


def test_edge_events():
    sim = gpiosim.Chip(num_lines=8)
    with gpiod.request_lines(sim.dev_path, {2: gpiod.LineSettings(edge_detection=Edge.BOTH)}) as req:
        assert wait_until(lambda: sim.guse.line_state(2).irq_enabled)
        sim.set_pull(2, Pull.UP)
        assert req.wait_edge_events(timedelta(seconds=bound(5)))
        [ev] = req.read_edge_events()
        assert ev.event_type == EdgeEvent.Type.RISING_EDGE and ev.line_offset == 2
        sim.set_pull(2, Pull.DOWN)
        assert req.wait_edge_events(timedelta(seconds=bound(5)))
        [ev] = req.read_edge_events()
        assert ev.event_type == EdgeEvent.Type.FALLING_EDGE


def test_requesting_a_hog_fails():
    sim = gpiosim.Chip(num_lines=2, hogs={1: ("hogger", HogDir.OUTPUT_HIGH)})
    with pytest.raises(OSError) as e:
        gpiod.request_lines(sim.dev_path, {1: None})
    assert e.value.errno == errno.EBUSY


def test_deleting_the_sim_removes_the_chip():
    sim = gpiosim.Chip(num_lines=1)
    path = sim.dev_path
    chip = gpiod.Chip(path)
    del sim
    gc.collect()
    assert wait_until(lambda: not os.path.exists(path))
    # an open chip of a removed device fails, as with gpio-sim
    with pytest.raises(OSError):
        chip.get_line_info(0)
    chip.close()
