# SPDX-License-Identifier: LGPL-2.1-or-later
"""guse-sim, the simulator tool, as a subprocess driven over its control socket.

::

    with GuseSim(num_lines=4, line_names=["btn", "led"]) as sim:
        subprocess.run(["gpioset", "-t0", "-c", sim.chip, "led=1"])
        sim.wait("led", 1)
        sim.set("btn", 1)
        assert sim.get("btn")["value"] == 1

The binary is ``$GUSE_SIM`` or ``guse-sim`` on ``$PATH``.  Its JSON trace
(``-j``) is collected in :attr:`GuseSim.events`.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from typing import Any, Callable, Dict, List, Optional, Sequence, Union

__all__ = ["GuseSim", "GuseSimError", "find_guse_sim"]

Line = Union[int, str]


class GuseSimError(RuntimeError):
    """guse-sim failed to start, exited, or answered a command with an error."""


def find_guse_sim() -> Optional[str]:
    """The guse-sim binary: ``$GUSE_SIM``, else ``guse-sim`` on ``$PATH``."""
    path = os.environ.get("GUSE_SIM")
    if path:
        return path
    return shutil.which("guse-sim")


class GuseSim:
    """One guse-sim process with a control socket."""

    def __init__(
        self,
        *args: str,
        num_lines: int = 8,
        label: str = "guse-sim",
        line_names: Optional[Sequence[str]] = None,
        chips: int = 1,
        binary: Optional[str] = None,
        timeout: float = 30.0,
    ) -> None:
        """Start guse-sim; returns once its chips exist (within ``timeout``
        seconds: generous, as a slow machine needs; a start never waits
        longer than it takes).

        ``args`` are more guse-sim options (e.g. ``"--hold-outputs"``,
        ``"--hog", "3:fw:output-high"``).

        :raises GuseSimError: it could not start (its error message and
            libguse's hint are in the exception).
        """
        binary = binary or find_guse_sim()
        if not binary:
            raise GuseSimError("guse-sim not found: set GUSE_SIM or put it on PATH")
        self._dir = tempfile.mkdtemp(prefix="guse-sim-")
        self.socket_path = os.path.join(self._dir, "control.sock")
        cmd = [binary, "-d", "-j", "-s", self.socket_path, "-l", label, "-n", str(num_lines)]
        if line_names:
            cmd += ["-N", ",".join(line_names)]
        if chips != 1:
            cmd += ["--chips", str(chips)]
        cmd += list(args)
        self.command_line = cmd
        self._cond = threading.Condition()
        self._ready: List[Dict[str, Any]] = []
        self._events: List[Dict[str, Any]] = []
        self._other: List[str] = []
        self._sock: Optional[socket.socket] = None
        self._rfile: Any = None
        self._cmd_lock = threading.Lock()
        self._proc = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            bufsize=1,
        )
        self._reader = threading.Thread(target=self._read_stdout, daemon=True)
        self._reader.start()
        try:
            self._wait_ready(chips, timeout)
            self._connect(timeout)
        except BaseException:
            self.stop(check=False)
            raise

    # --- start ---------------------------------------------------------------

    def _read_stdout(self) -> None:
        assert self._proc.stdout is not None
        for line in self._proc.stdout:
            line = line.strip()
            try:
                obj = json.loads(line)
            except ValueError:
                obj = None
            with self._cond:
                if isinstance(obj, dict) and obj.get("event") == "ready":
                    self._ready.append(obj)
                elif isinstance(obj, dict):
                    self._events.append(obj)
                elif line:
                    self._other.append(line)
                self._cond.notify_all()
        with self._cond:
            self._cond.notify_all()

    def _wait_ready(self, chips: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        with self._cond:
            while len(self._ready) < chips:
                left = deadline - time.monotonic()
                if self._proc.poll() is not None or left <= 0:
                    break
                self._cond.wait(min(left, 0.1))
            if len(self._ready) >= chips:
                return
        err = ""
        if self._proc.poll() is not None and self._proc.stderr is not None:
            err = self._proc.stderr.read().strip()
        raise GuseSimError(
            f"guse-sim did not get ready ({' '.join(self.command_line)}): "
            + (err or f"no ready line within {timeout} s")
        )

    def _connect(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                s.connect(self.socket_path)
                break
            except OSError:
                s.close()
                if time.monotonic() > deadline:
                    raise GuseSimError(f"cannot connect to {self.socket_path}") from None
                time.sleep(0.02)
        self._sock = s
        self._rfile = s.makefile("r", encoding="utf-8")

    # --- what it serves --------------------------------------------------------

    @property
    def chip(self) -> str:
        """The (first) chip's name, e.g. ``gpiochip3``."""
        return self._ready[0]["chip"]

    @property
    def chips(self) -> List[str]:
        """Every chip's name, in index order."""
        return [r["chip"] for r in sorted(self._ready, key=lambda r: r["index"])]

    @property
    def dev_path(self) -> str:
        return "/dev/" + self.chip

    @property
    def pid(self) -> int:
        return self._proc.pid

    @property
    def events(self) -> List[Dict[str, Any]]:
        """The JSON trace lines so far (dicts with ``event``, ``line``...)."""
        with self._cond:
            return list(self._events)

    def wait_event(
        self,
        event: str,
        timeout: float = 10.0,
        predicate: Optional[Callable[[Dict[str, Any]], bool]] = None,
        **fields: Any,
    ) -> Dict[str, Any]:
        """Wait until the trace has an ``event`` with ``fields``; return it.

        Searches the whole trace, from the start.

        :raises TimeoutError: none within ``timeout`` seconds.
        """
        deadline = time.monotonic() + timeout

        def match(e: Dict[str, Any]) -> bool:
            return (
                e.get("event") == event
                and all(e.get(k) == v for k, v in fields.items())
                and (predicate is None or predicate(e))
            )

        with self._cond:
            while True:
                for e in self._events:
                    if match(e):
                        return e
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no {event} {fields} from guse-sim within {timeout} s")
                self._cond.wait(min(left, 0.1))

    # --- commands --------------------------------------------------------------

    def command(self, cmd: str) -> str:
        """Send one command line; return its reply (``ok ...``).

        :raises GuseSimError: the reply is an error.
        """
        if self._sock is None:
            raise GuseSimError("guse-sim is stopped")
        with self._cmd_lock:
            self._sock.sendall((cmd + "\n").encode())
            reply = self._rfile.readline().strip()
        if not reply:
            raise GuseSimError(f"guse-sim closed the connection at {cmd!r}")
        if not reply.startswith("ok"):
            raise GuseSimError(f"{cmd!r}: {reply}")
        return reply

    def set(self, line: Line, value: int) -> None:
        """Set a line's pull."""
        self.command(f"set {line} {int(value)}")

    def setm(self, values: Dict[Line, int]) -> None:
        """Set several pulls in one injection."""
        self.command("setm " + " ".join(f"{k}={int(v)}" for k, v in values.items()))

    def toggle(self, line: Line) -> None:
        self.command(f"toggle {line}")

    def pulse(self, line: Line, usec: int) -> None:
        """Invert the pull for ``usec`` microseconds, then restore it."""
        self.command(f"pulse {line} {int(usec)}")

    def get(self, line: Line) -> Dict[str, Any]:
        """The line's state: ``value``, ``direction``, ``output``, ``input``,
        ``requested``, ``consumer``, ``bias``... (ints where numeric)."""
        reply = self.command(f"get {line}")
        out: Dict[str, Any] = {}
        for word in _split(reply)[1:]:
            k, _, v = word.partition("=")
            if v.startswith('"') and v.endswith('"'):
                out[k] = v[1:-1]
            else:
                try:
                    out[k] = int(v)
                except ValueError:
                    out[k] = v
        return out

    def wait(self, line: Line, value: int, timeout: float = 10.0) -> None:
        """Wait until a consumer drives ``value`` on the line.

        :raises TimeoutError: not within ``timeout`` seconds.
        """
        try:
            self.command(f"wait {line} {int(value)} {max(1, int(timeout * 1000))}")
        except GuseSimError as e:
            if "timeout" in str(e):
                raise TimeoutError(str(e)) from None
            raise

    def set_direction(self, line: Line, direction: str, value: int = 0) -> None:
        """The device side: ``direction`` is "in" or "out"."""
        self.command(f"dir {line} {direction} {int(value)}")

    def claim(self, line: Line, label: str) -> None:
        self.command(f"claim {line} {label}")

    def unclaim(self, line: Line) -> None:
        self.command(f"unclaim {line}")

    # --- stop ------------------------------------------------------------------

    def stop(self, check: bool = True) -> int:
        """SIGTERM guse-sim and wait for it; its chips go away.

        :returns: its exit status.
        :raises GuseSimError: ``check`` and the status is not 0.
        """
        if self._sock is not None:
            self._rfile.close()
            self._sock.close()
            self._sock = None
        if self._proc.poll() is None:
            self._proc.send_signal(signal.SIGTERM)
            try:
                self._proc.wait(10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        self._reader.join(5)
        for f in (self._proc.stdout, self._proc.stderr):
            if f is not None:
                f.close()
        shutil.rmtree(self._dir, ignore_errors=True)
        st = self._proc.returncode
        if check and st != 0:
            raise GuseSimError(f"guse-sim exited with status {st}")
        return st

    def __enter__(self) -> "GuseSim":
        return self

    def __exit__(self, exc_type: Any, *rest: Any) -> None:
        self.stop(check=exc_type is None)


def _split(reply: str) -> List[str]:
    """Words of a reply, keeping quoted values (consumer="a b") whole."""
    words, cur, quoted = [], "", False
    for ch in reply:
        if ch == '"':
            quoted = not quoted
        if ch == " " and not quoted:
            if cur:
                words.append(cur)
            cur = ""
        else:
            cur += ch
    if cur:
        words.append(cur)
    return words
