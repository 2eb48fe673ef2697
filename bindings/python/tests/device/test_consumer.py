# SPDX-License-Identifier: LGPL-2.1-or-later
"""python3-libgpiod against guse.Chip chips: requests, values, edges with
timestamps, bias and pull, drive, debounce, line-info events, hogs, invalid
lines and the device side."""

import errno
import time
from datetime import timedelta

import gpiod
import pytest
from gpiod.line import Bias, Direction as GDir, Drive, Edge, Value
from gpiod import EdgeEvent, InfoEvent

import guse
from guse import Direction, EventKind, Param

from conftest import bound, edges, info_events, kernel_at_least, output, settings, wait_until


def test_chip_and_line_info(gchip):
    chip, g = gchip(label="py-info", num_lines=6, line_names={0: "reset", 4: "led"})
    info = g.get_info()
    assert (info.name, info.label, info.num_lines) == (chip.name, "py-info", 6)
    assert g.get_line_info(4).name == "led" and g.get_line_info(1).name is None
    assert g.line_offset_from_id("reset") == 0
    li = g.get_line_info(1)
    assert not li.used and li.direction == GDir.INPUT


def test_outputs_reach_the_chip(gchip):
    chip, g = gchip(num_lines=4)
    with g.request_lines({(1, 2): output(1)}, consumer="py-out") as req:
        assert chip.wait_event(EventKind.DIRECTION_OUTPUT, line=2, timeout=bound(5)).value == 1
        assert [chip.get_value(1), chip.get_value(2)] == [1, 1]
        st = chip.line_state(1)
        assert st.requested and st.consumer == "py-out" and st.direction == Direction.OUTPUT
        req.set_values({1: Value.INACTIVE})
        ev = chip.wait_event(EventKind.SET_VALUES, line=1, timeout=bound(5))
        assert ev.value == 0 and chip.get_value(1) == 0 and chip.get_value(2) == 1
        assert g.get_line_info(1).consumer == "py-out"
    assert wait_until(lambda: not chip.is_requested(1))
    chip.wait_event(EventKind.FREE, line=1, timeout=bound(5))


def test_inputs_read_the_pull(gchip):
    chip, g = gchip(num_lines=4, pulls={3: 1})
    with g.request_lines({(0, 3): settings(direction=GDir.INPUT)}) as req:
        assert req.get_values([0, 3]) == [Value.INACTIVE, Value.ACTIVE]
        chip.set_inputs({0: 1, 3: 0})
        assert req.get_values([0, 3]) == [Value.ACTIVE, Value.INACTIVE]
        # a driven output keeps its value whatever the pull
    with g.request_lines({1: output(1)}) as req:
        chip.set_pull(1, 0)
        assert req.get_value(1) == Value.ACTIVE


def test_edges_with_timestamps(gchip):
    chip, g = gchip(num_lines=4)
    with g.request_lines({2: settings(edge_detection=Edge.BOTH)}) as req:
        assert wait_until(lambda: chip.line_state(2).irq_enabled)
        t0 = time.monotonic_ns()
        for v in (1, 0, 1):
            chip.set_pull(2, v)
        evs = edges(req, 3)
        t1 = time.monotonic_ns()
        assert [e.event_type for e in evs] == [
            EdgeEvent.Type.RISING_EDGE,
            EdgeEvent.Type.FALLING_EDGE,
            EdgeEvent.Type.RISING_EDGE,
        ]
        ts = [e.timestamp_ns for e in evs]
        assert t0 <= ts[0] <= ts[1] <= ts[2] <= t1
        assert [e.line_seqno for e in evs] == [1, 2, 3] and {e.line_offset for e in evs} == {2}
        # no edge without a change
        chip.set_pull(2, 1)
        assert edges(req, 1, 0.2) == []


def test_rising_only(gchip):
    chip, g = gchip(num_lines=2)
    with g.request_lines({0: settings(edge_detection=Edge.RISING)}) as req:
        assert wait_until(lambda: chip.line_state(0).irq_enabled)
        for v in (1, 0, 1, 0):
            chip.set_pull(0, v)
        evs = edges(req, 2)
        assert [e.event_type for e in evs] == [EdgeEvent.Type.RISING_EDGE] * 2
        assert edges(req, 1, 0.2) == []


def test_bias_becomes_the_pull_and_stays(gchip):
    chip, g = gchip(num_lines=4)
    with g.request_lines({1: settings(direction=GDir.INPUT, bias=Bias.PULL_UP)}) as req:
        assert req.get_value(1) == Value.ACTIVE
        assert chip.get_pull(1) == 1 and chip.line_state(1).bias == Param.BIAS_PULL_UP
        chip.wait_event(EventKind.SET_CONFIG, line=1, param=Param.BIAS_PULL_UP, timeout=bound(5))
    # gpio-sim: the pull stays after the release
    with g.request_lines({1: settings(direction=GDir.INPUT)}) as req:
        assert req.get_value(1) == Value.ACTIVE
    with g.request_lines({1: settings(direction=GDir.INPUT, bias=Bias.PULL_DOWN)}) as req:
        assert req.get_value(1) == Value.INACTIVE
    with g.request_lines({1: settings(direction=GDir.INPUT, bias=Bias.DISABLED)}) as req:
        assert req.get_value(1) == Value.INACTIVE and chip.get_pull(1) == 0


def test_a_watchers_own_bias_is_no_edge(gchip):
    chip, g = gchip(num_lines=2)
    cfg = settings(edge_detection=Edge.BOTH, bias=Bias.PULL_UP)
    with g.request_lines({0: cfg}) as req:
        assert req.get_value(0) == Value.ACTIVE
        assert edges(req, 1, 0.3) == []
        chip.set_pull(0, 0)
        [ev] = edges(req, 1)
        assert ev.event_type == EdgeEvent.Type.FALLING_EDGE


def test_open_drain_floats_to_the_pull(gchip):
    chip, g = gchip(num_lines=2)
    od = settings(direction=GDir.OUTPUT, drive=Drive.OPEN_DRAIN, output_value=Value.ACTIVE)
    with g.request_lines({0: od}) as req:
        # declined (as by gpio-sim): gpiolib makes the passive line an input
        chip.wait_event(EventKind.SET_CONFIG, line=0, param=Param.DRIVE_OPEN_DRAIN, timeout=bound(5))
        assert req.get_value(0) == Value.INACTIVE
        chip.set_pull(0, 1)
        assert req.get_value(0) == Value.ACTIVE
        req.set_value(0, Value.INACTIVE)  # actively driven low
        assert wait_until(lambda: chip.get_value(0) == 0)
        assert chip.get_direction(0) == Direction.OUTPUT


def test_software_debounce_filters_a_glitch(gchip):
    chip, g = gchip(num_lines=2)
    period = bound(0.2)
    cfg = settings(edge_detection=Edge.BOTH, debounce_period=timedelta(seconds=period))
    with g.request_lines({1: cfg}) as req:
        # declined: gpiolib debounces in software
        chip.wait_event(EventKind.SET_CONFIG, line=1, param=Param.INPUT_DEBOUNCE, timeout=bound(5))
        assert g.get_line_info(1).debounced
        assert wait_until(lambda: chip.line_state(1).irq_enabled)
        chip.set_pull(1, 1)
        chip.set_pull(1, 0)  # a glitch much shorter than the period
        assert edges(req, 1, period * 3) == []
        chip.set_pull(1, 1)
        [ev] = edges(req, 1, period * 5)
        assert ev.event_type == EdgeEvent.Type.RISING_EDGE


def test_line_info_events(gchip):
    chip, g = gchip(num_lines=4)
    assert not g.watch_line_info(2).used
    with gpiod.request_lines(chip.dev_path, {2: None}, consumer="other") as req:
        [ev] = info_events(g, 2)[:1]
        assert ev.event_type == InfoEvent.Type.LINE_REQUESTED and ev.line_info.consumer == "other"
        req.reconfigure_lines({2: output(1)})
        evs = info_events(g, 2)
        assert evs and evs[-1].event_type == InfoEvent.Type.LINE_CONFIG_CHANGED
        assert evs[-1].line_info.direction == GDir.OUTPUT
    evs = info_events(g, 2)
    assert evs and evs[-1].event_type == InfoEvent.Type.LINE_RELEASED
    assert evs[-1].timestamp_ns > 0
    g.unwatch_line_info(2)


def test_hogs_outputs_and_invalid_lines_from_the_constructor(gchip):
    chip, g = gchip(
        num_lines=6,
        hogs={3: ("fw-reset", Direction.OUTPUT, 1), 4: ("fw-in", Direction.INPUT)},
        outputs={1: 1},
        invalid=[5],
    )
    hog = g.get_line_info(3)
    assert (hog.used, hog.consumer, hog.direction) == (True, "fw-reset", GDir.OUTPUT)
    assert g.get_line_info(4).consumer == "fw-in"
    with pytest.raises(OSError) as e:
        g.request_lines({3: None})
    assert e.value.errno == errno.EBUSY
    assert g.get_line_info(5).used
    # libgpiod's binding raises EINVAL as ValueError(errno, strerror)
    with pytest.raises((OSError, ValueError)) as e:
        g.request_lines({5: None})
    assert e.value.args[0] == errno.EINVAL
    assert g.get_line_info(1).direction == GDir.OUTPUT and chip.get_value(1) == 1
    with g.request_lines({1: settings(direction=GDir.AS_IS)}) as req:
        assert req.get_value(1) == Value.ACTIVE
    # the device gives the hog back
    chip.unclaim(3)
    assert wait_until(lambda: not g.get_line_info(3).used)
    with g.request_lines({3: None}):
        pass


def test_device_side_changes(gchip):
    chip, g = gchip(num_lines=4)
    g.watch_line_info(0)
    g.watch_line_info(1)
    chip.set_direction(0, Direction.OUTPUT, 1)
    assert g.get_line_info(0).direction == GDir.OUTPUT
    evs = info_events(g, 0.5)
    if kernel_at_least(6, 13):
        assert [e.event_type for e in evs] == [InfoEvent.Type.LINE_CONFIG_CHANGED]
    else:
        assert evs == []  # gpiolib did not report in-kernel changes before 6.13
    chip.claim(1, "guest:uart0")
    assert (g.get_line_info(1).used, g.get_line_info(1).consumer) == (True, "guest:uart0")
    with pytest.raises(OSError) as e:
        g.request_lines({1: None})
    assert e.value.errno == errno.EBUSY
    evs = info_events(g, 0.5)
    if kernel_at_least(6, 13):
        assert [e.event_type for e in evs] == [InfoEvent.Type.LINE_REQUESTED]
    chip.unclaim(1)
    evs = info_events(g, 2)
    assert evs and evs[-1].event_type == InfoEvent.Type.LINE_RELEASED
    # a line a consumer holds is the consumer's
    with g.request_lines({2: settings(direction=GDir.INPUT)}):
        with pytest.raises(guse.Error) as e:
            chip.set_direction(2, Direction.OUTPUT, 1)
        assert e.value.errno == errno.EBUSY
        with pytest.raises(guse.Error) as e:
            chip.claim(2, "guest")
        assert e.value.errno == errno.EBUSY
        assert chip.get_direction(2) == Direction.INPUT and not chip.line_state(2).claimed
