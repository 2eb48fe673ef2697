# SPDX-License-Identifier: LGPL-2.1-or-later
"""guse.Chip without callbacks: creation, the built-in line state, injection,
the device side and the trace, against the fake kernel."""

import errno
import threading
from enum import Enum

import pytest

import _guse_fake_kernel as fkmod
import guse
from guse import Direction, EventKind, IrqType, Param

from conftest import (
    MSG_F_NOREPLY,
    OP_CLAIM,
    OP_LINE_DIRECTION,
    OP_SET_INPUTS,
    OP_UNCLAIM,
    PROTO_INPUT,
    PROTO_OUTPUT,
    bitmap,
    bound,
    consumer,
    device_direction,
    direction_reply,
    irq_config,
    line,
    line_value,
    set_config,
)

F_LINE_NAMES, F_REQUEST, F_SET_CONFIG, F_IRQ_CONFIG, F_GET_INPUTS, F_LINE_INIT, F_OUTPUT_CACHE = (
    1 << i for i in range(7)
)
INIT_OUTPUT, INIT_VALUE, INIT_INVALID, INIT_HOG = 1, 2, 4, 8


def test_create_describes_the_chip(fake):
    chip = fake.chip(4, label="py-test", line_names={1: "led", 3: "button"}, timeout=1.5)
    c = fake.create
    assert c.version == fkmod.VERSION
    assert (c.num_lines, c.timeout_ms, c.label) == (4, 1500, "py-test")
    assert c.names == ["", "led", "", "button"]
    # every kind of request reaches the extension (it traces them all)
    want = F_LINE_NAMES | F_REQUEST | F_SET_CONFIG | F_IRQ_CONFIG
    assert c.flags == want
    assert (chip.name, chip.dev_path, chip.dev_name) == ("gpiochip7", "/dev/gpiochip7", "guse3")
    assert (chip.num_lines, chip.base, chip.timeout, chip.label) == (4, 512, 5.0, "py-test")
    assert chip.line_name(1) == "led" and chip.line_name(0) == ""
    assert repr(chip) == '<Chip gpiochip7 "py-test" 4 lines>'


def test_num_lines_follows_the_names_and_defaults_to_eight(fake):
    fake.fk = None
    fk = fkmod.FakeKernel()
    fk.send_ready(3)
    chip = guse.Chip(line_names=["a", "b", "c"], serve=False, _fd=fk.take_server_fd())
    assert chip.num_lines == 3
    chip.close()
    fk.close()
    chip = fake.chip(8)
    assert chip.num_lines == 8


def test_line_state_at_creation(fake):
    chip = fake.chip(
        5,
        pulls={1: 1},
        outputs={2: 1},
        hogs={3: ("fw-reset", Direction.OUTPUT, 1), 4: ("fw-in", Direction.INPUT)},
        invalid=[0],
        serve_input_reads=True,
    )
    c = fake.create
    assert c.flags & F_LINE_INIT and c.flags & F_GET_INPUTS
    assert c.init == [
        INIT_INVALID,
        INIT_VALUE,
        INIT_OUTPUT | INIT_VALUE,
        INIT_HOG | INIT_OUTPUT | INIT_VALUE,
        INIT_HOG,
    ]
    assert c.hogs == ["fw-reset", "fw-in"]
    assert chip.get_value(1) == 1 and chip.get_pull(1) == 1
    assert chip.get_direction(2) == Direction.OUTPUT and chip.get_value(2) == 1
    st = chip.line_state(3)
    assert (st.claimed, st.consumer, st.direction, st.value) == (True, "fw-reset", Direction.OUTPUT, 1)
    assert not chip.line_state(4).requested


def test_output_cache_asks_the_kernel_to_read_outputs_back(fake):
    fake.chip(4, output_cache=True)
    assert fake.create.flags & F_OUTPUT_CACHE
    fake.chip(4)
    assert not fake.create.flags & F_OUTPUT_CACHE


@pytest.mark.parametrize(
    "kwargs, exc",
    [
        ({"num_lines": 0}, ValueError),
        ({"num_lines": 2000}, ValueError),
        ({"label": "x" * 32}, ValueError),
        ({"label": ""}, ValueError),
        ({"line_names": {9: "beyond"}}, ValueError),
        ({"line_names": ["y" * 40]}, ValueError),
        ({"hogs": {7: ("h", Direction.OUTPUT, 1)}}, ValueError),
        ({"hogs": {1: ("h", Direction.OUTPUT, 2)}}, ValueError),
        ({"timeout": 601}, ValueError),
        ({"timeout": 0}, ValueError),
        ({"pulls": {1: 5}}, ValueError),
        ({"on_requets": lambda *a: None}, TypeError),
        ({"on_request": 5}, TypeError),
    ],
)
def test_bad_descriptions_fail_before_the_kernel_and_close_the_fd(kwargs, exc):
    fk = fkmod.FakeKernel()  # no READY: the chip must fail before it reads
    args = {"num_lines": 4, "serve": False}
    args.update(kwargs)
    with pytest.raises(exc):
        guse.Chip(_fd=fk.take_server_fd(), **args)
    # nothing reached the kernel end, and the chip's end is closed
    assert fk.recv(int(bound(1) * 1000)) == b""
    fk.close()


def test_a_creation_error_names_its_cause_and_the_way_out():
    with pytest.raises(guse.Error) as info:
        guse.Chip(num_lines=2, device="/nonexistent/guse")
    e = info.value
    assert e.errno == errno.ENOENT
    assert "modprobe gpio-guse" in e.hint and "modprobe gpio-guse" in str(e)


def test_default_answers_follow_the_simulated_lines(fake):
    chip = fake.chip(4, hold_outputs=False)
    assert fake.request(chip, EventKind.REQUEST, 1, consumer(1, "tester"))[:4] == (
        EventKind.REQUEST, 0, 1, 0)
    assert chip.is_requested(1) and chip.get_consumer(1) == "tester"
    fake.send(EventKind.DIRECTION_OUTPUT, 2, line_value(1, 1))
    chip.dispatch()
    fake.expect(EventKind.DIRECTION_OUTPUT, 2)
    assert chip.get_direction(1) == Direction.OUTPUT and chip.get_value(1) == 1
    fake.send(EventKind.GET_VALUES, 3, bitmap(1, [0b1010]))
    chip.dispatch()
    fake.expect(EventKind.GET_VALUES, 3, 0, bitmap(1, [0b0010]))
    fake.send(EventKind.GET_DIRECTION, 4, line(1))
    chip.dispatch()
    fake.expect(EventKind.GET_DIRECTION, 4, 0, direction_reply(PROTO_OUTPUT))
    # a pull-up bias becomes the pull: injected before the answer
    fake.send(EventKind.SET_CONFIG, 5, set_config(2, Param.BIAS_PULL_UP))
    chip.dispatch()
    fake.expect(OP_SET_INPUTS, 0, 0, bitmap(1, [0b100], [0b100]))
    fake.expect(EventKind.SET_CONFIG, 5)
    assert chip.get_pull(2) == 1 and chip.line_state(2).bias == Param.BIAS_PULL_UP
    # open drain is declined: gpiolib emulates it
    fake.send(EventKind.SET_CONFIG, 6, set_config(2, Param.DRIVE_OPEN_DRAIN))
    chip.dispatch()
    fake.expect(EventKind.SET_CONFIG, 6, errno.EOPNOTSUPP)
    fake.send(EventKind.IRQ_CONFIG, 7, irq_config(3, IrqType.EDGE_BOTH, 1))
    chip.dispatch()
    fake.expect(EventKind.IRQ_CONFIG, 7)
    st = chip.line_state(3)
    assert (st.irq_type, st.irq_enabled) == (IrqType.EDGE_BOTH, True)
    # released, an output reads its pull again (gpio-sim)
    fake.send(EventKind.FREE, 8, line(1))
    chip.dispatch()
    fake.expect(EventKind.FREE, 8)
    assert not chip.is_requested(1) and chip.get_value(1) == 0 and chip.get_output(1) == 1


def test_set_pull_and_set_inputs_inject(fake):
    class Level(Enum):
        LOW = 0
        HIGH = 1

    chip = fake.chip(70, line_names={65: "far"})
    chip.set_pull(2, 1)
    fake.expect(OP_SET_INPUTS, 0, 0, bitmap(2, [0b100, 0], [0b100, 0]))
    chip.set_inputs({0: True, 3: 0, "far": Level.HIGH})
    fake.expect(OP_SET_INPUTS, 0, 0, bitmap(2, [0b1001, 1 << 1], [0b1, 1 << 1]))
    assert [chip.get_pull(n) for n in (0, 2, 3, 65)] == [1, 1, 0, 1]
    assert chip.get_value("far") == 1
    with pytest.raises(ValueError):
        chip.set_pull(70, 1)
    with pytest.raises(ValueError):
        chip.set_pull(1, 2)
    with pytest.raises(ValueError):
        chip.set_pull("nope", 1)
    with pytest.raises(TypeError):
        chip.set_pull(1, "high")
    assert fake.nothing(50)


def test_device_side_messages(fake):
    chip = fake.chip(4)
    chip.set_direction(1, Direction.OUTPUT, 1)
    fake.expect(OP_LINE_DIRECTION, 0, 0, device_direction(1, PROTO_OUTPUT, 1))
    assert chip.get_direction(1) == Direction.OUTPUT and chip.get_value(1) == 1
    chip.set_direction(1, Direction.INPUT)
    fake.expect(OP_LINE_DIRECTION, 0, 0, device_direction(1, PROTO_INPUT, 0))
    chip.claim(2, "guest:uart0")
    fake.expect(OP_CLAIM, 0, 0, consumer(2, "guest:uart0"))
    assert chip.line_state(2).claimed and chip.get_consumer(2) == "guest:uart0"
    chip.unclaim(2)
    fake.expect(OP_UNCLAIM, 0, 0, line(2))
    assert not chip.line_state(2).claimed
    # refused before anything is written (the kernel refuses busy lines)
    with pytest.raises(ValueError):
        chip.set_direction(0, 7)
    with pytest.raises(guse.Error) as e:
        chip.claim(0, "")
    assert e.value.errno == errno.EINVAL
    with pytest.raises(ValueError):
        chip.set_direction(0, Direction.OUTPUT, 2)
    assert fake.nothing(50)


def test_trace_records_every_request(fake):
    chip = fake.chip(4)
    fake.request(chip, EventKind.REQUEST, 1, consumer(2, "gpioset"))
    fake.fk.send_raw(0, EventKind.CONSUMER, MSG_F_NOREPLY, 0, 0, consumer(2, "gpioset-late"))
    fake.send(EventKind.DIRECTION_OUTPUT, 2, line_value(2, 1))
    fake.send(EventKind.SET_VALUES, 3, bitmap(1, [0b1100], [0b0100]))
    fake.send(EventKind.GET_VALUES, 4, bitmap(1, [0b0110]))
    fake.send(EventKind.SET_CONFIG, 5, set_config(3, Param.INPUT_DEBOUNCE, 1000))
    fake.send(EventKind.IRQ_CONFIG, 6, irq_config(3, IrqType.EDGE_RISING, 0))
    while chip.dispatch():
        pass
    events = list(chip.trace())
    assert [str(e) for e in events] == [
        'request line=2 consumer="gpioset"',
        'consumer line=2 consumer="gpioset-late"',
        "direction-output line=2 value=1",
        "set-values line=2 value=1",
        "set-values line=3 value=0",
        "get-values lines=1,2",
        "set-config line=3 param=input-debounce arg=1000",
        "irq-config line=3 irq_type=edge-rising enabled=False",
    ]
    assert events[6].param == Param.INPUT_DEBOUNCE and events[7].irq_type == IrqType.EDGE_RISING
    ts = [e.timestamp_ns for e in events]
    assert ts == sorted(ts) and ts[0] > 0
    assert list(chip.trace()) == []
    with pytest.raises(TimeoutError):
        chip.wait_event(EventKind.FREE, timeout=0.05)


def test_wait_event_waits_for_a_matching_request(fake, served):
    chip = fake.chip(4, serve=True)

    def later():
        fake.send(EventKind.REQUEST, 1, consumer(0, "a"))
        fake.send(EventKind.REQUEST, 2, consumer(3, "b"))

    timer = threading.Timer(0.1, later)
    timer.start()
    ev = chip.wait_event(EventKind.REQUEST, line=3, timeout=bound(5))
    timer.join()
    assert ev.consumer == "b"


def test_a_full_trace_drops_the_oldest(fake):
    chip = fake.chip(4, trace_size=3)
    for i in range(5):
        fake.send(EventKind.GET_DIRECTION, i + 1, line(i % 4))
    while chip.dispatch():
        pass
    assert [e.line for e in chip.trace()] == [2, 3, 0]
    assert chip.trace_dropped == 2
    chip.clear_trace()
    off = fake.chip(2, trace_size=0)
    fake.request(off, EventKind.GET_DIRECTION, 1, line(0))
    assert list(off.trace()) == []


def test_the_background_thread_serves(fake):
    chip = fake.chip(4, serve=True)
    fake.send(EventKind.GET_DIRECTION, 9, line(0))
    fake.expect(EventKind.GET_DIRECTION, 9, 0, direction_reply(PROTO_INPUT))
    with pytest.raises(RuntimeError):
        chip.dispatch()
    with pytest.raises(RuntimeError):
        chip.run()


def test_injection_from_many_threads_while_served(fake):
    chip = fake.chip(64, serve=True)
    nthreads, per = 4, 50

    def inject(t):
        for i in range(per):
            chip.set_pull(t * 8 + i % 8, i % 2)

    threads = [threading.Thread(target=inject, args=(t,)) for t in range(nthreads)]
    for t in threads:
        t.start()
    # requests answered meanwhile
    for i in range(20):
        fake.send(EventKind.GET_DIRECTION, 100 + i, line(i))
    got_inputs = got_replies = 0
    while got_inputs < nthreads * per or got_replies < 20:
        msg = fake.recv(2000)
        assert msg, (got_inputs, got_replies)
        if msg[0] == OP_SET_INPUTS:
            got_inputs += 1
        else:
            assert msg[0] == EventKind.GET_DIRECTION and msg[3] == 0
            got_replies += 1
    for t in threads:
        t.join()
    assert fake.nothing(50)
    # the last injection of each line stands
    assert [chip.get_pull(t * 8 + (per - 1) % 8) for t in range(nthreads)] == [1] * nthreads


def test_a_closed_chip(fake):
    chip = fake.chip(2)
    chip.close()
    assert chip.closed and chip.name == "gpiochip7"
    assert repr(chip) == '<Chip gpiochip7 "guse" closed>'
    assert fake.recv(1000) == b""
    for call in (lambda: chip.get_value(0), lambda: chip.set_pull(0, 1), chip.dispatch, chip.fileno):
        with pytest.raises(guse.ChipClosedError) as e:
            call()
        assert e.value.errno == errno.ENODEV
    chip.close()
    assert list(chip.trace(timeout=None)) == []
