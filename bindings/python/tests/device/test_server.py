# SPDX-License-Identifier: LGPL-2.1-or-later
"""Servers written in Python, against python3-libgpiod: answers deferred to
threads, refusals, exceptions, asyncio, timeouts, chips garbage collected
or closed with requests pending."""

import asyncio
import errno
import gc
import os
import queue
import threading
import time
import weakref

import gpiod
import pytest
from gpiod.line import Direction as GDir, Value

import guse
from guse import EventKind
from guse.pytest_plugin import require_device

from conftest import bound, kernel_at_least, output, settings, wait_until


class Register(guse.Chip):
    """An emulated GPIO register whose 'CPU' (a worker thread) answers
    every access some time later."""

    def __init__(self, delay=0.02, **kw):
        self.delay = delay
        self.levels = {}
        self.jobs = queue.Queue()
        super().__init__(serve_input_reads=True, **kw)
        self.cpu = threading.Thread(target=self._cpu, daemon=True)
        self.cpu.start()

    def _cpu(self):
        while True:
            job = self.jobs.get()
            if job is None:
                return
            d, fn = job
            time.sleep(self.delay)
            d.reply(fn())

    def _later(self, fn):
        d = guse.Deferred()
        self.jobs.put((d, fn))
        return d

    def on_direction_output(self, line, value):
        return self._later(lambda: self.levels.__setitem__(line, value))

    def on_set_values(self, values):
        return self._later(lambda: self.levels.update(values))

    def on_get_values(self, lines):
        return self._later(lambda: {n: self.levels.get(n, 0) for n in lines})

    def close(self):
        super().close()
        self.jobs.put(None)
        self.cpu.join(bound(5))


def test_deferred_answers_from_a_thread(gchip):
    chip, g = gchip(cls=Register, num_lines=8, delay=0.05)
    t0 = time.monotonic()
    with g.request_lines({2: output(1)}) as req:
        # the request waited for the worker's answer
        assert time.monotonic() - t0 >= 0.05
        assert chip.levels[2] == 1
        req.set_value(2, Value.INACTIVE)
        assert chip.levels[2] == 0
        assert req.get_value(2) == Value.INACTIVE
    chip.levels[5] = 1
    with g.request_lines({(4, 5): settings(direction=GDir.INPUT)}) as req:
        # input reads reach the server (serve_input_reads)
        assert req.get_values([4, 5]) == [Value.INACTIVE, Value.ACTIVE]
    assert chip.exceptions == []


def test_many_consumers_one_deferring_server(gchip):
    chip, g = gchip(cls=Register, num_lines=8, delay=0.001)
    errors = []

    def consumer(n):
        try:
            with gpiod.request_lines(chip.dev_path, {n: output(0)}, consumer=f"c{n}") as req:
                for i in range(20):
                    req.set_value(n, Value(i % 2))
        except Exception as e:  # noqa: BLE001 - collected for the assert
            errors.append(e)

    threads = [threading.Thread(target=consumer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(bound(60))
    assert errors == [] and not any(t.is_alive() for t in threads)
    assert [chip.levels[n] for n in range(4)] == [1, 1, 1, 1]


def test_refusals_and_consumer_labels(gchip):
    labels = {}

    def on_request(line, consumer):
        if line == 0:
            raise guse.Error(errno.EBUSY)
        return guse.DEFAULT

    chip, g = gchip(
        num_lines=4,
        on_request=on_request,
        on_consumer=lambda line, c: labels.__setitem__(line, c),
    )
    with pytest.raises(OSError) as e:
        g.request_lines({0: None}, consumer="app")
    assert e.value.errno == errno.EBUSY
    with g.request_lines({1: None}, consumer="app"):
        assert wait_until(lambda: labels.get(1) == "app" or chip.get_consumer(1) == "app")
        assert chip.is_requested(1)


def test_an_exception_in_a_callback_is_eio_and_reported(gchip):
    def broken(*args):
        raise ValueError("register write failed")

    chip, g = gchip(num_lines=2, on_direction_output=broken, on_set_values=broken)
    with pytest.raises(OSError) as e:
        g.request_lines({0: output(1)})
    assert e.value.errno == errno.EIO
    [(where, exc)] = chip.take_exceptions()
    assert where == "on_direction_output" and isinstance(exc, ValueError)
    assert chip.get_direction(0) == guse.Direction.INPUT  # nothing changed
    if not kernel_at_least(6, 17):
        return  # gpiolib's .set could not fail before 6.17: errors were dropped
    chip2, g2 = gchip(num_lines=2, on_set_values=broken)
    with g2.request_lines({1: output(0)}) as req:
        with pytest.raises(OSError) as e:
            req.set_value(1, Value.ACTIVE)
        assert e.value.errno == errno.EIO
    [(where, exc)] = chip2.take_exceptions()
    assert where == "on_set_values" and chip2.get_value(1) == 0


class AsyncModel(guse.Chip):
    async def on_get_values(self, lines):
        await asyncio.sleep(0.01)
        return [1 if n % 2 else 0 for n in lines]

    async def on_request(self, line, consumer):
        await asyncio.sleep(0.01)
        if line == 3:
            raise guse.Error(errno.EPERM)


@pytest.fixture
def loop():
    lp = asyncio.new_event_loop()
    t = threading.Thread(target=lp.run_forever, daemon=True)
    t.start()
    yield lp
    lp.call_soon_threadsafe(lp.stop)
    t.join(bound(5))
    lp.close()


def test_asyncio_server(gchip, loop):
    chip, g = gchip(cls=AsyncModel, num_lines=4, serve=False, serve_input_reads=True)

    async def attach():
        chip.attach()

    asyncio.run_coroutine_threadsafe(attach(), loop).result(bound(5))
    with g.request_lines({(0, 1, 2): settings(direction=GDir.INPUT)}) as req:
        assert req.get_values() == [Value.INACTIVE, Value.ACTIVE, Value.INACTIVE]
    with pytest.raises(OSError) as e:
        g.request_lines({3: None})
    assert e.value.errno == errno.EPERM
    assert chip.exceptions == []


def test_asyncio_server_with_async_with(guse_chip):
    chip = guse_chip(cls=AsyncModel, num_lines=2, serve=False, serve_input_reads=True)
    result = {}

    def consumer():
        with gpiod.request_lines(chip.dev_path, {1: settings(direction=GDir.INPUT)}) as req:
            result["value"] = req.get_value(1)

    async def main():
        async with chip:
            await asyncio.get_running_loop().run_in_executor(None, consumer)

    asyncio.run(main())
    assert result == {"value": Value.ACTIVE} and chip.closed


def test_an_unanswered_request_times_out(gchip):
    held = []

    def keep(line, value):
        held.append(guse.Deferred())
        return held[-1]

    chip, g = gchip(num_lines=2, timeout=0.3, on_direction_output=keep)
    t0 = time.monotonic()
    with pytest.raises(OSError) as e:
        g.request_lines({0: output(1)})
    assert e.value.errno == errno.ETIMEDOUT
    assert time.monotonic() - t0 >= 0.25
    # too late is no error, and changes nothing
    assert held[0].reply() is True
    assert chip.get_direction(0) == guse.Direction.INPUT
    assert chip.exceptions == []


def pending_consumer(path, line, out):
    """A consumer whose request waits for the server."""

    def run():
        t0 = time.monotonic()
        try:
            gpiod.request_lines(path, {line: None}).release()
            out.append(("ok", time.monotonic() - t0))
        except OSError as e:
            out.append((e.errno, time.monotonic() - t0))

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t


def test_gc_of_a_chip_with_pending_requests():
    require_device()
    held = []

    def keep(line, consumer):
        held.append(guse.Deferred())
        return held[-1]

    chip = guse.Chip(num_lines=2, timeout=30, on_request=keep)
    path = chip.dev_path
    out = []
    t = pending_consumer(path, 1, out)
    assert wait_until(lambda: held)
    ref = weakref.ref(chip)
    del chip
    gc.collect()
    assert ref() is None
    t.join(bound(10))
    # failed at once (not after the 30 s timeout): the chip went away
    assert out and out[0][0] == errno.ENODEV and out[0][1] < bound(10)
    assert wait_until(lambda: not os.path.exists(path))
    assert held[0].closed and held[0].reply() is False


def test_close_with_a_pending_request(guse_chip):
    held = []

    def keep(line, consumer):
        held.append(guse.Deferred())
        return held[-1]

    chip = guse_chip(num_lines=2, timeout=30, on_request=keep)
    out = []
    t = pending_consumer(chip.dev_path, 0, out)
    assert wait_until(lambda: held)
    chip.close()
    t.join(bound(10))
    assert out and out[0][0] == errno.ENODEV
    assert not os.path.exists(chip.dev_path) or wait_until(lambda: not os.path.exists(chip.dev_path))


def test_many_chips_at_once(guse_chip):
    chips = [guse_chip(label=f"py-many-{i}", num_lines=4) for i in range(8)]
    names = {c.name for c in chips}
    assert len(names) == 8
    for i, c in enumerate(chips):
        c.set_pull(i % 4, 1)
    for i, c in enumerate(chips):
        with gpiod.request_lines(c.dev_path, {i % 4: settings(direction=GDir.INPUT)}) as req:
            assert req.get_value(i % 4) == Value.ACTIVE
    for c in chips:
        c.close()
    assert wait_until(lambda: not any(os.path.exists("/dev/" + n) for n in names))


def test_the_trace_of_a_consumer_session(gchip):
    chip, g = gchip(num_lines=4)
    with g.request_lines({3: output(1)}, consumer="traced"):
        pass
    kinds = []
    for ev in chip.trace(timeout=bound(1)):
        kinds.append(ev.kind)
        if ev.kind == EventKind.FREE:
            break
    assert kinds[0] == EventKind.REQUEST and EventKind.DIRECTION_OUTPUT in kinds
    assert kinds[-1] == EventKind.FREE


class CountingReads(guse.Chip):
    """Counts the reads that reach it; answers with the driven values."""

    def __init__(self, **kw):
        self.reads = 0
        super().__init__(**kw)

    def on_get_values(self, lines):
        self.reads += 1
        return {n: self.get_value(n) for n in lines}


@pytest.mark.parametrize("cache", [False, True])
def test_output_cache_answers_reads_of_outputs_in_the_kernel(guse_chip, cache):
    chip = guse_chip(cls=CountingReads, num_lines=4, output_cache=cache)
    with gpiod.request_lines(chip.dev_path, {2: output(1)}) as req:
        for _ in range(5):
            assert req.get_value(2) == Value.ACTIVE
        req.set_value(2, Value.INACTIVE)
        assert req.get_value(2) == Value.INACTIVE
    # without the cache every read is a round trip; with it none is
    assert chip.reads == (0 if cache else 6)
