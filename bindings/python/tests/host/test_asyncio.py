# SPDX-License-Identifier: LGPL-2.1-or-later
"""asyncio: chips served from an event loop, async callbacks."""

import asyncio
import errno
import random
import threading

import pytest

import guse
from guse import Direction, EventKind

from conftest import (
    PROTO_INPUT,
    PROTO_OUTPUT,
    bitmap,
    bound,
    consumer,
    direction_reply,
    line,
)


@pytest.fixture
def loop():
    """An event loop running in its own thread (the test plays the kernel)."""
    lp = asyncio.new_event_loop()
    t = threading.Thread(target=lp.run_forever, daemon=True)
    t.start()
    yield lp
    lp.call_soon_threadsafe(lp.stop)
    t.join(bound(5))
    lp.close()


def on_loop(loop, fn):
    """Run fn() in the loop's thread and return its result."""
    return asyncio.run_coroutine_threadsafe(_call(fn), loop).result(bound(5))


async def _call(fn):
    return fn()


class AsyncServer(guse.Chip):
    async def on_get_values(self, lines):
        await asyncio.sleep(0.01)
        self.loop_thread = threading.current_thread()
        return {n: 1 for n in lines}

    async def on_get_direction(self, line):
        await asyncio.sleep(random.random() / 50)
        if line == 3:
            raise guse.Error(errno.EBUSY)
        if line == 2:
            raise ValueError("a bug")
        if line == 1:
            return "sideways"
        return Direction.OUTPUT


def test_async_callbacks_on_an_attached_chip(fake, loop):
    chip = fake.chip(4, cls=AsyncServer)
    on_loop(loop, lambda: chip.attach())
    fake.send(EventKind.GET_VALUES, 1, bitmap(1, [0b1001]))
    fake.expect(EventKind.GET_VALUES, 1, 0, bitmap(1, [0b1001]))
    assert chip.loop_thread is not threading.current_thread()
    with pytest.raises(RuntimeError):
        chip.attach(loop)
    chip.close()
    assert fake.recv() == b""


def test_async_answers_come_in_any_order(fake, loop):
    chip = fake.chip(4, cls=AsyncServer)
    on_loop(loop, lambda: chip.attach())
    n = 40
    for i in range(n):
        fake.send(EventKind.GET_DIRECTION, i + 1, line(i % 4))
    replies = {}
    for _ in range(n):
        msg = fake.recv()
        assert msg, replies
        replies[msg[2]] = msg
    for i in range(n):
        op, _, _, err, payload = replies[i + 1]
        want = {0: 0, 1: errno.EIO, 2: errno.EIO, 3: errno.EBUSY}[i % 4]
        assert err == want, (i, err)
        if want == 0:
            assert payload == direction_reply(PROTO_OUTPUT)
    errors = chip.take_exceptions()
    assert len(errors) == n // 2
    assert {type(e) for _, e in errors} == {ValueError, TypeError}
    assert {w for w, _ in errors} == {"on_get_direction"}


def in_async_with(loop, chip):
    """Serve chip in ``async with`` on loop until the returned event is set."""
    done = threading.Event()

    async def main():
        async with chip:
            await asyncio.get_running_loop().run_in_executor(None, done.wait, bound(10))

    return done, asyncio.run_coroutine_threadsafe(main(), loop)


def test_async_with_attaches_and_closes(fake, loop):
    chip = fake.chip(2)
    done, fut = in_async_with(loop, chip)
    fake.send(EventKind.GET_DIRECTION, 1, line(0))
    fake.expect(EventKind.GET_DIRECTION, 1, 0, direction_reply(PROTO_INPUT))
    done.set()
    fut.result(bound(5))
    assert chip.closed and fake.recv() == b""


def test_async_with_raises_callback_errors(fake, loop):
    chip = fake.chip(2, on_free=lambda line: {}[line])
    done, fut = in_async_with(loop, chip)
    fake.send(EventKind.FREE, 1, line(0))
    fake.expect(EventKind.FREE, 1, errno.EIO)
    done.set()
    with pytest.raises(guse.CallbackError):
        fut.result(bound(5))


def test_a_thread_served_chip_runs_async_callbacks_on_its_loop(fake, loop):
    chip = fake.chip(4, cls=AsyncServer, serve=True, loop=loop)
    fake.send(EventKind.GET_VALUES, 1, bitmap(1, [0b0110]))
    fake.expect(EventKind.GET_VALUES, 1, 0, bitmap(1, [0b0110]))
    assert chip.loop_thread is not chip._thread
    assert chip.exceptions == []


def test_async_callbacks_need_a_loop(fake):
    chip = fake.chip(4, cls=AsyncServer, serve=True)
    fake.send(EventKind.GET_VALUES, 1, bitmap(1, [0b0110]))
    fake.expect(EventKind.GET_VALUES, 1, errno.EIO)
    [(where, e)] = chip.take_exceptions()
    assert isinstance(e, TypeError) and "asyncio" in str(e)


def test_close_from_another_thread_detaches(fake, loop):
    started, release, finished = threading.Event(), threading.Event(), threading.Event()

    class Slow(guse.Chip):
        async def on_request(self, line, c):
            started.set()
            await asyncio.get_running_loop().run_in_executor(None, release.wait, bound(10))
            finished.set()

    chip = fake.chip(2, cls=Slow)
    on_loop(loop, lambda: chip.attach())
    fd = chip.fileno()
    fake.send(EventKind.REQUEST, 1, consumer(0, "c"))
    assert started.wait(bound(5))
    chip.close()
    # the pending request failed at close; the coroutine's later answer is
    # no error
    assert fake.recv()[2:4] == (1, errno.ENODEV)
    assert fake.recv() == b""
    assert on_loop(loop, lambda: loop.remove_reader(fd)) is False
    release.set()
    assert finished.wait(bound(5))
    on_loop(loop, lambda: None)  # the task's answer ran
    assert chip.exceptions == []


def test_detach_stops_serving(fake, loop):
    chip = fake.chip(2)
    on_loop(loop, lambda: chip.attach())
    on_loop(loop, chip.detach)
    fake.send(EventKind.GET_DIRECTION, 1, line(0))
    assert fake.nothing(100)
    assert chip.dispatch() == 1
    fake.expect(EventKind.GET_DIRECTION, 1, 0, direction_reply(PROTO_INPUT))
