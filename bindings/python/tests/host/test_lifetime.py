# SPDX-License-Identifier: LGPL-2.1-or-later
"""Lifetime: chips garbage collected with pending requests, in reference
cycles, from their own serving thread, at interpreter exit."""

import errno
import gc
import json
import os
import subprocess
import sys
import threading
import weakref

import pytest

import _guse_fake_kernel as fkmod
import guse
from guse import EventKind

from conftest import expect, bound, consumer, line, wait_until


def pending_server(fake, held, serve):
    """A chip whose requests stay pending in ``held``."""

    def keep(line, c):
        d = guse.Deferred()
        held.append(d)
        return d

    chip = fake.chip(4, serve=serve, on_request=keep)
    fake.chips.remove(chip)  # the fixture must not keep it alive
    return chip


@pytest.mark.parametrize("serve", [False, True])
def test_gc_of_a_chip_with_pending_requests(fake, serve):
    held = []
    chip = pending_server(fake, held, serve)
    for i in range(2):
        fake.send(EventKind.REQUEST, i + 1, consumer(i, "waiting"))
    if not serve:
        chip.dispatch()
    assert wait_until(lambda: len(held) == 2)
    thread = chip._thread
    ref = weakref.ref(chip)
    del chip
    assert ref() is None
    # the pending requests failed, then the chip went away
    got = sorted(fake.recv()[2:4] for _ in range(2))
    assert got == [(1, errno.ENODEV), (2, errno.ENODEV)]
    assert fake.recv() == b""
    if thread is not None:
        thread.join(bound(5))
        assert not thread.is_alive()
    assert all(d.closed for d in held)
    assert held[0].reply() is False


def test_gc_of_a_chip_in_a_reference_cycle(fake):
    held = []
    chip = pending_server(fake, held, serve=True)
    chip.me = chip  # a cycle: only the collector frees it
    fake.send(EventKind.REQUEST, 1, consumer(0, "waiting"))
    assert wait_until(lambda: held)
    ref = weakref.ref(chip)
    del chip
    assert ref() is not None and fake.nothing(100)
    gc.collect()
    assert ref() is None
    assert fake.recv()[2:4] == (1, errno.ENODEV)
    assert fake.recv() == b""


def test_a_chip_dropped_during_its_own_callback(fake):
    """The last reference goes in the serving thread: the chip is closed
    there, from its own callback."""
    box = []
    done = threading.Event()

    def drop(self, line, c):
        box.clear()
        done.set()

    cls = type("Dropper", (guse.Chip,), {"on_request": drop})
    box.append(fake.chip(2, cls=cls, serve=True))
    fake.chips.clear()
    ref = weakref.ref(box[0])
    thread = box[0]._thread
    fake.send(EventKind.REQUEST, 1, consumer(0, "c"))
    assert done.wait(bound(5))
    thread.join(bound(5))
    assert not thread.is_alive() and ref() is None
    assert fake.recv() == b""


def test_trace_readers_wake_when_the_chip_closes(fake):
    chip = fake.chip(2)
    out = []
    t = threading.Thread(target=lambda: out.append(list(chip.trace(timeout=None))))
    t.start()
    t.join(0.1)
    assert t.is_alive()
    chip.close()
    t.join(bound(5))
    assert not t.is_alive() and out == [[]]


def test_injections_racing_close(fake):
    """set_pull from threads while the chip closes: each call either
    injects or raises ChipClosedError, nothing else."""
    chip = fake.chip(8, serve=True)
    errors = []
    stop = threading.Event()

    def inject(n):
        while not stop.is_set():
            try:
                chip.set_pull(n, 1)
                chip.set_pull(n, 0)
            except guse.ChipClosedError:
                return
            except Exception as e:  # noqa: BLE001 - collected for the assert
                errors.append(e)
                return

    threads = [threading.Thread(target=inject, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    def drain():  # the kernel end reads everything, until the close
        while fake.recv(1000) not in (b"", None):
            pass

    drained = threading.Thread(target=drain)
    drained.start()
    threading.Event().wait(0.05)
    chip.close()
    stop.set()
    for t in threads:
        t.join(bound(5))
    drained.join(bound(20))
    assert errors == [] and chip.closed


EXIT_SCRIPT = r"""
import os, sys
import _guse_fake_kernel as fkmod, guse
fk = fkmod.FakeKernel()
fk.send_ready(4)
held = []
chip = guse.Chip(num_lines=4, _fd=fk.take_server_fd(),
                 on_request=lambda l, c: held.append(guse.Deferred()) or held[-1])
assert fk.recv(2000)[0] == 1
fk.send(16, 1, fkmod.consumer(0, "x"))
while not held:
    pass
# leave with the chip served, a request pending and the fake kernel open
os.write(int(sys.argv[1]), b"ok")
"""


def test_interpreter_exit_with_a_live_chip():
    r, w = os.pipe()
    env = dict(os.environ)
    p = subprocess.run(
        [sys.executable, "-c", EXIT_SCRIPT, str(w)],
        pass_fds=(w,),
        env=env,
        cwd="/",  # not a directory whose guse/ would hide the built one
        timeout=bound(30),
        capture_output=True,
        text=True,
    )
    os.close(w)
    assert os.read(r, 10) == b"ok", p.stderr
    os.close(r)
    assert p.returncode == 0, p.stderr
    assert "Traceback" not in p.stderr and "Fatal" not in p.stderr


def test_many_chips_come_and_go(fake):
    """Creation and removal do not leak descriptors."""
    before = len(os.listdir("/proc/self/fd"))
    for _ in range(30):
        fk = fkmod.FakeKernel()
        fk.send_ready(2)
        c = guse.Chip(num_lines=2, _fd=fk.take_server_fd(), on_free=lambda line: None)
        assert fk.recv(2000)[0] == 1  # CREATE
        fk.send(EventKind.FREE, 1, line(0))
        expect(fk, EventKind.FREE, 1, 0)
        del c
        assert fk.recv(2000) == b""
        fk.close()
    gc.collect()
    assert len(os.listdir("/proc/self/fd")) <= before


LEAK_SCRIPT = r"""
import errno, gc, json, sys, tracemalloc
import _guse_fake_kernel as fkmod
import guse
from guse import EventKind
from conftest import bitmap, consumer, expect, line_value

held = []


class Model(guse.Chip):
    def on_get_values(self, lines):
        return {n: 1 for n in lines}

    def on_set_values(self, values):
        return guse.DEFAULT

    def on_direction_output(self, line, value):
        d = guse.Deferred()
        held.append(d)
        return d

    def on_request(self, line, consumer):
        raise guse.Error(errno.EBUSY)


fk = fkmod.FakeKernel()
fk.send_ready(70)
chip = Model(num_lines=70, serve=False, serve_input_reads=True, _fd=fk.take_server_fd())
assert fk.recv(2000)[0] == 1


def round_trip(i):
    fk.send(EventKind.GET_VALUES, 4 * i + 1, bitmap(2, [0b1011, 1]))
    fk.send(EventKind.SET_VALUES, 4 * i + 2, bitmap(2, [0b11, 0], [0b01, 0]))
    fk.send(EventKind.DIRECTION_OUTPUT, 4 * i + 3, line_value(i % 70, 1))
    fk.send(EventKind.REQUEST, 4 * i + 4, consumer(1, "x"))
    while chip.dispatch():
        pass
    held.pop().reply()
    for _ in range(4):
        assert fk.recv(5000)
    chip.set_inputs({5: i % 2, 66: 1})
    assert fk.recv(5000)[0] == 32
    list(chip.trace())
    chip.line_state(i % 70)
    try:
        chip.set_pull(99, 1)
    except ValueError:
        pass


# warm up (the interpreter specialises and caches what it runs), then
# batches: a leak of one object per round (28 bytes at least) grows every
# batch by n * 28 bytes or more; the interpreter's own bookkeeping grows the
# first ones by a few KB
n = int(sys.argv[1])
for i in range(n):
    round_trip(i)
growth = []
tracemalloc.start()
for b in range(4):
    gc.collect()
    start = tracemalloc.get_traced_memory()[0]
    for i in range(n):
        round_trip(n * (b + 1) + i)
    gc.collect()
    growth.append(tracemalloc.get_traced_memory()[0] - start)
assert chip.exceptions == []
print(json.dumps(growth))
"""


def test_no_references_leak():
    """The extension's reference counting: a workload repeated many times
    keeps the memory Python traces constant.  In an interpreter of its own
    (tracemalloc's tables are no business of valgrind's or LeakSanitizer's)."""
    env = dict(os.environ)
    env["ASAN_OPTIONS"] = env.get("ASAN_OPTIONS", "") + ":detect_leaks=0"
    n = 1000
    r = subprocess.run(
        [sys.executable, "-c", LEAK_SCRIPT, str(n)],
        env=env, cwd="/", capture_output=True, text=True, timeout=bound(120),
    )
    assert r.returncode == 0, r.stderr
    growth = json.loads(r.stdout)
    assert min(growth) < 16 * 1024, f"every batch of {n} rounds grew: {growth} bytes"
