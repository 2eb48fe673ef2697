# SPDX-License-Identifier: LGPL-2.1-or-later
"""Servers: callbacks (subclass methods and keyword arguments), what their
results and exceptions answer, serving with run(), closing from callbacks."""

import errno
import logging
import threading
from enum import Enum

import pytest

import guse
from guse import Direction, EventKind, IrqType, Param

from conftest import (
    MSG_F_NOREPLY,
    PROTO_INPUT,
    PROTO_OUTPUT,
    bitmap,
    bound,
    consumer,
    direction_reply,
    irq_config,
    line,
    line_value,
    set_config,
    wait_until,
)


class Recorder(guse.Chip):
    """A server whose callbacks record their calls."""

    def __init__(self, **kw):
        self.calls = []
        super().__init__(**kw)

    def on_request(self, line, consumer):
        self.calls.append(("request", line, consumer))
        if line == 0:
            raise guse.Error(errno.EBUSY)
        return guse.DEFAULT

    def on_free(self, line):
        self.calls.append(("free", line))

    def on_consumer(self, line, consumer):
        self.calls.append(("consumer", line, consumer))

    def on_direction_output(self, line, value):
        self.calls.append(("output", line, value))

    def on_set_values(self, values):
        self.calls.append(("set", values))

    def on_set_config(self, line, param, arg):
        self.calls.append(("config", line, param, arg))
        assert isinstance(param, Param)
        if param == Param.DRIVE_OPEN_DRAIN:
            raise guse.Error(errno.EOPNOTSUPP)

    def on_irq_config(self, line, irq_type, enabled):
        self.calls.append(("irq", line, irq_type, enabled))
        assert isinstance(irq_type, IrqType)


def test_subclass_callbacks_answer(fake):
    chip = fake.chip(4, cls=Recorder)
    assert fake.request(chip, EventKind.REQUEST, 1, consumer(0, "a"))[3] == errno.EBUSY
    assert fake.request(chip, EventKind.REQUEST, 2, consumer(1, "b"))[3] == 0
    # DEFAULT kept the state; a refused request did not
    assert chip.is_requested(1) and not chip.is_requested(0)
    fake.fk.send_raw(0, EventKind.CONSUMER, MSG_F_NOREPLY, 0, 0, consumer(1, "label"))
    chip.dispatch()
    assert fake.nothing(50)  # information only: no answer
    fake.send(EventKind.DIRECTION_OUTPUT, 3, line_value(1, 1))
    chip.dispatch()
    fake.expect(EventKind.DIRECTION_OUTPUT, 3)
    fake.send(EventKind.SET_VALUES, 4, bitmap(1, [0b110], [0b100]))
    chip.dispatch()
    fake.expect(EventKind.SET_VALUES, 4)
    fake.send(EventKind.SET_CONFIG, 5, set_config(2, Param.INPUT_DEBOUNCE, 5000))
    fake.send(EventKind.SET_CONFIG, 6, set_config(2, Param.DRIVE_OPEN_DRAIN))
    chip.dispatch()
    fake.expect(EventKind.SET_CONFIG, 5)
    fake.expect(EventKind.SET_CONFIG, 6, errno.EOPNOTSUPP)
    fake.send(EventKind.IRQ_CONFIG, 7, irq_config(3, IrqType.EDGE_FALLING, 1))
    fake.send(EventKind.FREE, 8, line(1))
    chip.dispatch()
    fake.expect(EventKind.IRQ_CONFIG, 7)
    fake.expect(EventKind.FREE, 8)
    assert chip.calls == [
        ("request", 0, "a"),
        ("request", 1, "b"),
        ("consumer", 1, "label"),
        ("output", 1, 1),
        ("set", {1: 0, 2: 1}),
        ("config", 2, Param.INPUT_DEBOUNCE, 5000),
        ("config", 2, Param.DRIVE_OPEN_DRAIN, 0),
        ("irq", 3, IrqType.EDGE_FALLING, True),
        ("free", 1),
    ]
    # accepted answers update the state the getters show
    st = chip.line_state(2)
    assert (st.debounce_us, st.drive, chip.get_output(2)) == (5000, None, 1)
    assert chip.line_state(3).irq_type == IrqType.EDGE_FALLING
    assert chip.exceptions == []


def test_kinds_without_a_callback_get_the_default_answer(fake):
    seen = []
    chip = fake.chip(4, on_free=lambda line: seen.append(line))
    assert fake.request(chip, EventKind.REQUEST, 1, consumer(2, "x"))[3] == 0
    assert chip.is_requested(2)
    fake.send(EventKind.GET_DIRECTION, 2, line(2))
    chip.dispatch()
    fake.expect(EventKind.GET_DIRECTION, 2, 0, direction_reply(PROTO_INPUT))
    fake.request(chip, EventKind.FREE, 3, line(2))
    assert seen == [2] and not chip.is_requested(2)


class GpiodLikeDirection(Enum):
    """libgpiod's enums are plain Enums: their .value counts."""

    INPUT = 2
    OUTPUT = 3


@pytest.mark.parametrize(
    "answer, proto",
    [
        (Direction.OUTPUT, PROTO_OUTPUT),
        (Direction.INPUT, PROTO_INPUT),
        (3, PROTO_OUTPUT),
        (GpiodLikeDirection.OUTPUT, PROTO_OUTPUT),
    ],
)
def test_get_direction_answers(fake, answer, proto):
    chip = fake.chip(2, on_get_direction=lambda line: answer)
    fake.send(EventKind.GET_DIRECTION, 1, line(1))
    chip.dispatch()
    fake.expect(EventKind.GET_DIRECTION, 1, 0, direction_reply(proto))
    assert chip.get_direction(1) == (Direction.OUTPUT if proto == PROTO_OUTPUT else Direction.INPUT)


@pytest.mark.parametrize(
    "answer",
    [
        {1: 1, 2: 0, 66: True},
        [1, 0, 1],
        (True, False, 1),
    ],
)
def test_get_values_answers(fake, answer):
    asked = []

    def get_values(lines):
        asked.append(lines)
        return answer

    chip = fake.chip(70, on_get_values=get_values)
    fake.send(EventKind.GET_VALUES, 1, bitmap(2, [0b110, 0b100]))
    chip.dispatch()
    fake.expect(EventKind.GET_VALUES, 1, 0, bitmap(2, [0b10, 0b100]))
    assert asked == [(1, 2, 66)]


@pytest.mark.parametrize(
    "name, answer, exc",
    [
        ("on_get_values", {1: 1}, ValueError),  # a line missing
        ("on_get_values", {1: 1, 2: 0, 3: 1}, ValueError),  # one too many
        ("on_get_values", [1], ValueError),
        ("on_get_values", [1, 2], ValueError),
        ("on_get_values", None, TypeError),
        ("on_get_values", 5, TypeError),
        ("on_get_direction", None, TypeError),
        ("on_get_direction", 7, ValueError),
        ("on_request", True, TypeError),
        ("on_request", "ok", TypeError),
    ],
)
def test_wrong_answers_fail_with_eio_and_are_reported(fake, caplog, name, answer, exc):
    chip = fake.chip(4, **{name: lambda *args: answer})
    op, payload = {
        "on_get_values": (EventKind.GET_VALUES, bitmap(1, [0b110])),
        "on_get_direction": (EventKind.GET_DIRECTION, line(1)),
        "on_request": (EventKind.REQUEST, consumer(1, "c")),
    }[name]
    with caplog.at_level(logging.ERROR, logger="guse"):
        fake.send(op, 1, payload)
        chip.dispatch()
        fake.expect(op, 1, errno.EIO)
    [(where, e)] = chip.take_exceptions()
    assert where == name and isinstance(e, exc)
    assert any(name in r.getMessage() for r in caplog.records)


def test_an_exception_fails_the_request_with_eio_and_is_never_lost(fake, caplog):
    def broken(line, consumer):
        raise KeyError("the model has no such pin")

    chip = fake.chip(4, on_request=broken)
    with caplog.at_level(logging.ERROR, logger="guse"):
        assert fake.request(chip, EventKind.REQUEST, 1, consumer(1, "c"))[3] == errno.EIO
    assert not chip.is_requested(1)
    [exc] = chip.exceptions
    assert isinstance(exc, KeyError)
    rec = [r for r in caplog.records if r.name == "guse"]
    assert rec and rec[0].exc_info[1] is exc
    with pytest.raises(guse.CallbackError) as info:
        chip.check()
    assert info.value.__cause__ is exc and info.value.errors == [("on_request", exc)]
    assert "on_request" in str(info.value)
    chip.check()  # reported once


def test_a_with_block_raises_callback_errors_at_its_end(fake):
    with pytest.raises(guse.CallbackError):
        with fake.chip(2, on_free=lambda line: 1 / 0) as chip:
            fake.request(chip, EventKind.FREE, 1, line(0))
    # an exception of the block itself wins
    with pytest.raises(RuntimeError):
        with fake.chip(2, on_free=lambda line: 1 / 0) as chip:
            fake.request(chip, EventKind.FREE, 1, line(0))
            raise RuntimeError("the test's own")


def test_guse_error_answers_its_errno_unreported(fake):
    def refuse(line, value):
        raise guse.Error(errno.EPERM)

    chip = fake.chip(2, on_direction_output=refuse)
    fake.send(EventKind.DIRECTION_OUTPUT, 1, line_value(0, 1))
    chip.dispatch()
    fake.expect(EventKind.DIRECTION_OUTPUT, 1, errno.EPERM)
    assert chip.exceptions == [] and chip.get_direction(0) == Direction.INPUT


def test_run_serves_until_stopped(fake, served):
    chip = fake.chip(4, on_get_direction=lambda line: Direction.OUTPUT)
    t = served(chip.run)
    for i in range(10):
        fake.send(EventKind.GET_DIRECTION, i + 1, line(i % 4))
        fake.expect(EventKind.GET_DIRECTION, i + 1, 0, direction_reply(PROTO_OUTPUT))
    with pytest.raises(RuntimeError):
        chip.dispatch()
    chip.stop()
    t.join(bound(5))
    assert not t.is_alive()
    # served again by dispatch() once run() returned
    fake.send(EventKind.GET_DIRECTION, 99, line(0))
    assert wait_until(lambda: chip.dispatch() > 0)
    fake.expect(EventKind.GET_DIRECTION, 99, 0, direction_reply(PROTO_OUTPUT))


def test_close_from_another_thread_ends_run(fake, served):
    chip = fake.chip(2)
    t = served(chip.run)
    fake.send(EventKind.GET_DIRECTION, 1, line(0))
    fake.expect(EventKind.GET_DIRECTION, 1, 0, direction_reply(PROTO_INPUT))
    chip.close()
    t.join(bound(5))
    assert not t.is_alive() and chip.closed


def test_close_waits_for_a_running_callback(fake):
    started, release = threading.Event(), threading.Event()
    done = []

    def slow(line, consumer):
        started.set()
        release.wait(bound(5))
        done.append(line)

    chip = fake.chip(2, serve=True, on_request=slow)
    fake.send(EventKind.REQUEST, 1, consumer(0, "c"))
    assert started.wait(bound(5))
    closer = threading.Thread(target=chip.close)
    closer.start()
    closer.join(0.2)
    assert closer.is_alive(), "close() returned while a callback ran"
    release.set()
    closer.join(bound(5))
    assert not closer.is_alive() and done == [0]
    # the callback's answer went out before the chip went away
    msg = fake.recv()
    assert msg[:4] == (EventKind.REQUEST, 0, 1, 0)
    assert fake.recv() == b""


@pytest.mark.parametrize("serve", [False, True])
def test_a_callback_closes_its_own_chip(fake, served, serve):
    def bye(self, line, consumer):
        self.close()

    cls = type("Closer", (guse.Chip,), {"on_request": bye})
    chip = fake.chip(2, cls=cls, serve=serve)
    if serve:
        fake.send(EventKind.REQUEST, 1, consumer(0, "c"))
    else:
        t = served(chip.run)
        fake.send(EventKind.REQUEST, 1, consumer(0, "c"))
        t.join(bound(5))
        assert not t.is_alive()
    # the chip went away: no answer, the kernel end sees the close
    assert fake.recv() == b""
    assert wait_until(lambda: chip.closed)
    if serve:
        chip._thread.join(bound(5))
        assert not chip._thread.is_alive()
    assert chip.exceptions == []


def test_a_vanished_kernel_end_is_reported_by_the_serving_thread(fake, caplog):
    chip = fake.chip(2, serve=True)
    with caplog.at_level(logging.ERROR, logger="guse"):
        fake.fk.close()
        chip._thread.join(bound(5))
    assert not chip._thread.is_alive()
    [(where, e)] = chip.take_exceptions()
    assert where == "run" and isinstance(e, guse.Error) and e.errno == errno.ENODEV


def test_callbacks_may_inject_and_read_state(fake):
    def on_direction_output(line, value):
        # an emulator: the pin's new level is an edge on the line next to it
        chip.set_pull(line + 1, value)
        assert chip.get_pull(line + 1) == value

    chip = fake.chip(4, on_direction_output=on_direction_output)
    fake.send(EventKind.DIRECTION_OUTPUT, 1, line_value(1, 1))
    chip.dispatch()
    msg = fake.recv()
    assert msg[0] == 32  # SET_INPUTS first
    fake.expect(EventKind.DIRECTION_OUTPUT, 1)
    assert chip.exceptions == []


@pytest.mark.parametrize("exc", [KeyboardInterrupt, SystemExit])
def test_keyboard_interrupt_in_a_callback_reaches_the_serving_call(fake, exc):
    def interrupted(line, consumer):
        raise exc()

    chip = fake.chip(2, on_request=interrupted)
    fake.send(EventKind.REQUEST, 1, consumer(0, "c"))
    with pytest.raises(exc):
        chip.dispatch()
    fake.expect(EventKind.REQUEST, 1, errno.EIO)  # answered all the same
    assert chip.exceptions == []
    fake.send(EventKind.REQUEST, 2, consumer(0, "c"))
    with pytest.raises(exc):
        chip.run()
    fake.expect(EventKind.REQUEST, 2, errno.EIO)
