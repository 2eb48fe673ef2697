# SPDX-License-Identifier: LGPL-2.1-or-later
"""Host tests of the Python bindings: libguse's fake kernel plays /dev/guse.

The fixture ``fake`` makes a FakeKernel (lib/tests/fake-kernel.c behind
the test module _guse_fake_kernel): a SOCK_SEQPACKET socketpair whose
kernel end the test reads and writes, byte for byte as the protocol
(include/uapi/linux/guse.h) says, while guse.Chip(_fd=...) serves the
other end.  With GUSE_TAP=1 (tests/host/run-pytest.sh) the results are also
printed as TAP for automake's driver.
"""

from __future__ import annotations

import os
import select
import struct
import threading
import time
from typing import Any, Callable, List, Optional

import pytest

import _guse_fake_kernel as fkmod
import guse

# test_plugin.py runs pytest sessions of its own
pytest_plugins = ["pytester"]

# opcodes and flags of the protocol not covered by guse.EventKind
OP_CREATE = 1
OP_READY = 2
OP_SET_INPUTS = 32
OP_LINE_DIRECTION = 33
OP_CLAIM = 34
OP_UNCLAIM = 35
MSG_F_NOREPLY = 1
# gpiolib's directions in the protocol
PROTO_OUTPUT = 0
PROTO_INPUT = 1

# valgrind and ASan make everything slower: tests/host/run-pytest.sh says
# by how much
SLOW = float(os.environ.get("GUSE_TEST_SLOW", "1"))


def bound(seconds: float) -> float:
    """A time limit for waiting on something, scaled for slow runs."""
    return seconds * SLOW


def line(n: int) -> bytes:
    return fkmod.line(n)


def consumer(n: int, name: str) -> bytes:
    return fkmod.consumer(n, name)


def bitmap(nw: int, a: List[int], b: Optional[List[int]] = None) -> bytes:
    return fkmod.bitmap(nw, a, b)


def line_value(n: int, value: int) -> bytes:
    return struct.pack("<II", n, value)


def set_config(n: int, param: int, arg: int = 0) -> bytes:
    return struct.pack("<IIII", n, param, arg, 0)


def irq_config(n: int, irq_type: int, flags: int) -> bytes:
    return struct.pack("<IIII", n, irq_type, flags, 0)


def direction_reply(proto_dir: int) -> bytes:
    return struct.pack("<II", proto_dir, 0)


def device_direction(n: int, proto_dir: int, value: int) -> bytes:
    return struct.pack("<IIII", n, proto_dir, value, 0)


def expect(fk: Any, op: int, id: int, error: int = 0, payload: bytes = b"") -> None:
    """fk.expect(), after waiting (scaled) for the message: the fake
    kernel's own wait is a fixed 2 s."""
    select.select([fk.kfd], [], [], bound(2))
    fk.expect(op, id, error, payload)


def wait_until(cond: Callable[[], bool], seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + bound(seconds)
    while not cond():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.005)
    return True


class Create:
    """A parsed CREATE message."""

    def __init__(self, payload: bytes, num_lines: int) -> None:
        (self.version, self.num_lines, self.timeout_ms, self.flags) = struct.unpack_from(
            "<IIII", payload
        )
        self.label = payload[16:48].split(b"\0")[0].decode()
        rest = payload[48 + 32 :]
        self.names: List[str] = []
        if self.flags & 1:
            for i in range(num_lines):
                self.names.append(rest[i * 32 : (i + 1) * 32].split(b"\0")[0].decode())
            rest = rest[num_lines * 32 :]
        self.init: List[int] = []
        self.hogs: List[str] = []
        if self.flags & (1 << 5):
            for i in range(num_lines):
                self.init.append(struct.unpack_from("<I", rest, i * 8)[0])
            rest = rest[num_lines * 8 :]
            for i in range(len(rest) // 32):
                self.hogs.append(rest[i * 32 : (i + 1) * 32].split(b"\0")[0].decode())


class Fake:
    """One fake kernel and the chips made on it."""

    def __init__(self) -> None:
        self.fk: Any = None
        self.chips: List[guse.Chip] = []
        self.create: Optional[Create] = None

    def chip(self, num_lines: int = 4, cls: Any = guse.Chip, serve: bool = False, **kw: Any) -> Any:
        """A chip on a fresh fake kernel; self.create is its CREATE."""
        if self.fk is not None:
            self.fk.close()
        self.fk = fkmod.FakeKernel()
        self.fk.send_ready(num_lines)
        chip = cls(num_lines=num_lines, serve=serve, _fd=self.fk.take_server_fd(), **kw)
        self.chips.append(chip)
        msg = self.fk.recv(2000)
        assert msg and msg[0] == OP_CREATE, msg
        self.create = Create(msg[4], num_lines)
        return chip

    # the kernel's side
    def send(self, op: int, id: int, payload: bytes = b"") -> None:
        self.fk.send(op, id, payload)

    def recv(self, timeout_ms: int = 2000) -> Any:
        return self.fk.recv(int(bound(timeout_ms / 1000) * 1000))

    def expect(self, op: int, id: int, error: int = 0, payload: bytes = b"") -> None:
        expect(self.fk, op, id, error, payload)

    def nothing(self, timeout_ms: int = 100) -> bool:
        return self.fk.nothing(timeout_ms)

    def request(self, chip: guse.Chip, op: int, id: int, payload: bytes) -> Any:
        """Send a request, dispatch it, return the reply."""
        self.send(op, id, payload)
        chip.dispatch()
        return self.recv()

    def close(self) -> None:
        for c in self.chips:
            c.close()
            c.take_exceptions()
        if self.fk is not None:
            self.fk.close()


@pytest.fixture
def fake():
    f = Fake()
    yield f
    f.close()


@pytest.fixture
def served():
    """Run a function in a thread; joined (bounded) after the test."""
    threads: List[threading.Thread] = []

    def start(fn: Callable[[], Any]) -> threading.Thread:
        t = threading.Thread(target=fn, daemon=True)
        t.start()
        threads.append(t)
        return t

    yield start
    for t in threads:
        t.join(bound(10))
        assert not t.is_alive(), "a test thread did not finish"
