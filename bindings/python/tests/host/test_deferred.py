# SPDX-License-Identifier: LGPL-2.1-or-later
"""Deferred answers: from other threads, before the callback returned,
twice, wrong, dropped, and pending when the chip closes."""

import errno
import logging
import queue
import threading

import pytest

import guse
from guse import Direction, EventKind

from conftest import (
    PROTO_OUTPUT,
    bitmap,
    bound,
    consumer,
    direction_reply,
    line,
    line_value,
)


class Worker(guse.Chip):
    """Hands every request to a worker thread, which answers it."""

    def __init__(self, answer, **kw):
        self.jobs = queue.Queue()
        self.answer = answer
        super().__init__(**kw)
        self.worker = threading.Thread(target=self._work, daemon=True)
        self.worker.start()

    def _work(self):
        while True:
            job = self.jobs.get()
            if job is None:
                return
            d, kind, arg = job
            self.answer(d, kind, arg)

    def _defer(self, kind, arg):
        d = guse.Deferred()
        self.jobs.put((d, kind, arg))
        return d

    def on_request(self, line, consumer):
        return self._defer("request", line)

    def on_get_values(self, lines):
        return self._defer("values", lines)

    def on_get_direction(self, line):
        return self._defer("direction", line)

    def close(self):
        super().close()
        self.jobs.put(None)
        self.worker.join(bound(5))


def test_answers_from_a_worker_thread(fake):
    def answer(d, kind, arg):
        if kind == "values":
            d.reply({n: n % 2 for n in arg})
        elif kind == "request":
            d.fail(errno.EBUSY) if arg == 3 else d.reply()
        else:
            d.reply(Direction.OUTPUT)

    chip = fake.chip(4, cls=Worker, answer=answer, serve=True)
    fake.send(EventKind.REQUEST, 1, consumer(1, "a"))
    fake.send(EventKind.REQUEST, 2, consumer(3, "b"))
    fake.send(EventKind.GET_VALUES, 3, bitmap(1, [0b1011]))
    fake.send(EventKind.GET_DIRECTION, 4, line(2))
    got = {}
    for _ in range(4):
        msg = fake.recv()
        assert msg, got
        got[msg[2]] = msg
    assert got[1][3] == 0 and got[2][3] == errno.EBUSY
    assert got[3][4] == bitmap(1, [0b1010])
    assert got[4][4] == direction_reply(PROTO_OUTPUT)
    assert chip.is_requested(1) and not chip.is_requested(3)
    assert chip.get_direction(2) == Direction.OUTPUT
    assert chip.exceptions == []


def test_an_answer_before_the_callback_returned_is_sent_at_its_return(fake):
    results = []

    def on_get_direction(line):
        d = guse.Deferred()
        # another thread answers at once; the callback is still running
        t = threading.Thread(target=lambda: results.append(d.reply(Direction.OUTPUT)))
        t.start()
        t.join()
        assert d.done and not d.bound
        assert fake.nothing(20)  # nothing sent before the return
        return d

    chip = fake.chip(2, on_get_direction=on_get_direction)
    fake.send(EventKind.GET_DIRECTION, 1, line(0))
    chip.dispatch()
    fake.expect(EventKind.GET_DIRECTION, 1, 0, direction_reply(PROTO_OUTPUT))
    assert results == [True]


def test_an_early_answer_that_does_not_fit_fails_with_eio(fake):
    def on_get_direction(line):
        d = guse.Deferred()
        d.reply(None)  # no direction
        return d

    chip = fake.chip(2, on_get_direction=on_get_direction)
    fake.send(EventKind.GET_DIRECTION, 1, line(0))
    chip.dispatch()
    fake.expect(EventKind.GET_DIRECTION, 1, errno.EIO)
    [(where, e)] = chip.take_exceptions()
    assert where == "on_get_direction" and isinstance(e, TypeError)


def test_deferred_state_and_misuse(fake):
    held = []

    def on_get_values(lines):
        d = guse.Deferred()
        held.append(d)
        return d

    chip = fake.chip(4, on_get_values=on_get_values)
    fake.send(EventKind.GET_VALUES, 1, bitmap(1, [0b0101]))
    chip.dispatch()
    [d] = held
    assert (d.bound, d.done, d.kind, d.lines, d.line) == (True, False, EventKind.GET_VALUES, (0, 2), None)
    assert "pending of on_get_values" in repr(d)
    # a wrong answer raises in the answering thread and keeps it pending
    with pytest.raises(ValueError):
        d.reply({0: 1})
    with pytest.raises(TypeError):
        d.reply(None)
    with pytest.raises(ValueError):
        d.fail(0)
    assert fake.nothing(20) and not d.done
    assert d.reply([1, 1]) is True
    fake.expect(EventKind.GET_VALUES, 1, 0, bitmap(1, [0b0101]))
    assert d.done and not d.closed
    for again in (d.reply, d.default, d.fail):
        with pytest.raises(RuntimeError):
            again()
    fresh = guse.Deferred()
    fresh.reply()
    with pytest.raises(RuntimeError):
        fresh.fail()
    assert repr(fresh) == "<guse.Deferred answered>"


def test_returning_one_deferred_twice_fails_the_second_request(fake):
    d = guse.Deferred()
    chip = fake.chip(2, on_request=lambda line, c: d)
    fake.send(EventKind.REQUEST, 1, consumer(0, "a"))
    fake.send(EventKind.REQUEST, 2, consumer(1, "b"))
    chip.dispatch()
    fake.expect(EventKind.REQUEST, 2, errno.EIO)
    [(where, e)] = chip.take_exceptions()
    assert isinstance(e, RuntimeError)
    d.reply()
    fake.expect(EventKind.REQUEST, 1)


@pytest.mark.parametrize(
    "how, err",
    [
        (lambda d: d.fail(), errno.EIO),
        (lambda d: d.fail(errno.EBUSY), errno.EBUSY),
        (lambda d: d.fail(error=guse.Error(errno.EPERM)), errno.EPERM),
        (lambda d: d.fail(ValueError("any other")), errno.EIO),
        (lambda d: d.default(), 0),
        (lambda d: d.reply(guse.DEFAULT), 0),
    ],
)
def test_fail_and_default(fake, how, err):
    held = []
    chip = fake.chip(2, on_direction_output=lambda line, v: held.append(guse.Deferred()) or held[-1])
    fake.send(EventKind.DIRECTION_OUTPUT, 1, line_value(1, 1))
    chip.dispatch()
    assert how(held[0]) is True
    fake.expect(EventKind.DIRECTION_OUTPUT, 1, err)
    assert chip.get_direction(1) == (Direction.OUTPUT if err == 0 else Direction.INPUT)


def test_a_dropped_deferred_fails_its_request_at_once(fake, caplog):
    chip = fake.chip(2, on_request=lambda line, c: guse.Deferred())
    with caplog.at_level(logging.ERROR, logger="guse"):
        fake.send(EventKind.REQUEST, 1, consumer(0, "a"))
        chip.dispatch()
        fake.expect(EventKind.REQUEST, 1, errno.EIO)
    [(where, e)] = chip.take_exceptions()
    assert where == "on_request" and "dropped unanswered" in str(e)


def test_pending_requests_fail_with_enodev_at_close(fake):
    held = []

    def keep(line, c):
        held.append(guse.Deferred())
        return held[-1]

    chip = fake.chip(4, on_request=keep)
    for i in range(3):
        fake.send(EventKind.REQUEST, i + 1, consumer(i, "x"))
    chip.dispatch()
    held[1].reply()
    fake.expect(EventKind.REQUEST, 2)
    chip.close()
    ids = sorted((fake.recv()[2:4]) for _ in range(2))
    assert ids == [(1, errno.ENODEV), (3, errno.ENODEV)]
    assert fake.recv() == b""
    assert [d.closed for d in held] == [True, False, True]
    # answering afterwards is no error: the chip is gone
    assert held[0].reply() is False and held[2].fail(errno.EBUSY) is False
    assert chip.exceptions == []


def test_many_deferred_answers_from_many_threads(fake):
    n, threads = 200, 4
    q = queue.Queue()

    def on_direction_output(line, value):
        d = guse.Deferred()
        q.put(d)
        return d

    def answer():
        while True:
            d = q.get()
            if d is None:
                return
            assert d.reply() is True

    workers = [threading.Thread(target=answer) for _ in range(threads)]
    for w in workers:
        w.start()
    chip = fake.chip(8, serve=True, on_direction_output=on_direction_output)
    for i in range(n):
        fake.send(EventKind.DIRECTION_OUTPUT, i + 1, line_value(i % 8, i % 2))
    seen = set()
    for _ in range(n):
        msg = fake.recv()
        assert msg and msg[0] == EventKind.DIRECTION_OUTPUT and msg[3] == 0, msg
        assert msg[2] not in seen
        seen.add(msg[2])
    for _ in workers:
        q.put(None)
    for w in workers:
        w.join(bound(10))
    assert seen == set(range(1, n + 1)) and fake.nothing(50)
    assert chip.exceptions == []
