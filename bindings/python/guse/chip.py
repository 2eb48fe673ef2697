# SPDX-License-Identifier: LGPL-2.1-or-later
"""guse.Chip: a GPIO chip served from Python."""

from __future__ import annotations

import asyncio
import atexit
import errno
import inspect
import logging
import os
import threading
import time
import weakref
from dataclasses import dataclass
from typing import (
    Any,
    Callable,
    Dict,
    Iterable,
    Iterator,
    List,
    Mapping,
    Optional,
    Sequence,
    Tuple,
    Union,
)

from . import _ext
from .enums import Direction, EventKind, IrqType, Param
from .exception import CallbackError, ChipClosedError, Error

__all__ = ["Chip", "Event", "LineState", "Deferred", "CALLBACKS"]

Deferred = _ext.Deferred

_log = logging.getLogger("guse")

#: The callback names a server may define, as methods of a subclass or as
#: keyword arguments of the constructor.
CALLBACKS = (
    "on_request",
    "on_free",
    "on_consumer",
    "on_get_direction",
    "on_direction_input",
    "on_direction_output",
    "on_get_values",
    "on_set_values",
    "on_set_config",
    "on_irq_config",
)

Line = Union[int, str]
HogSpec = Union[Tuple[str, Direction], Tuple[str, Direction, int]]

# Chips not closed yet, closed at interpreter exit: their serving threads
# are daemons, which must not meet a finalizing interpreter in a callback.
_live: "weakref.WeakSet[Chip]" = weakref.WeakSet()


@atexit.register
def _close_all() -> None:
    for chip in list(_live):
        try:
            chip.close()
        except Exception:  # noqa: BLE001 - nothing to tell anyone at exit
            pass


@dataclass(frozen=True)
class Event:
    """One request the chip received, from :meth:`Chip.trace`.

    Every field a kind does not have is None: ``consumer`` for REQUEST and
    CONSUMER, ``value`` for DIRECTION_OUTPUT and SET_VALUES (one event per
    line set), ``lines`` for GET_VALUES, ``param`` and ``arg`` for
    SET_CONFIG, ``irq_type`` and ``enabled`` for IRQ_CONFIG.
    ``timestamp_ns`` is ``time.monotonic_ns()`` time of its arrival.
    """

    kind: EventKind
    line: Optional[int] = None
    value: Optional[int] = None
    consumer: Optional[str] = None
    lines: Optional[Tuple[int, ...]] = None
    param: Optional[Param] = None
    arg: Optional[int] = None
    irq_type: Optional[IrqType] = None
    enabled: Optional[bool] = None
    timestamp_ns: int = 0

    @classmethod
    def _from_tuple(cls, t: tuple) -> "Event":
        kind, line, value, consumer, lines, param, arg, ts = t
        kind = EventKind(kind)
        if kind == EventKind.SET_CONFIG:
            return cls(kind, line, param=Param(param), arg=arg, timestamp_ns=ts)
        if kind == EventKind.IRQ_CONFIG:
            return cls(
                kind,
                line,
                irq_type=IrqType(param),
                enabled=bool(arg & _ext.IRQ_F_ENABLED),
                timestamp_ns=ts,
            )
        if kind == EventKind.SET_VALUES:
            return cls(kind, line, value=value, timestamp_ns=ts)
        return cls(kind, line, value, consumer, lines, timestamp_ns=ts)

    def matches(self, kind: Optional[EventKind] = None, **fields: Any) -> bool:
        """Whether the event is of ``kind`` (if given) and has ``fields``."""
        if kind is not None and self.kind != kind:
            return False
        return all(getattr(self, k) == v for k, v in fields.items())

    def __str__(self) -> str:
        words = [self.kind.name.lower().replace("_", "-")]
        for name in ("line", "lines", "value", "param", "arg", "irq_type", "enabled"):
            v = getattr(self, name)
            if v is None:
                continue
            if name == "lines":
                v = ",".join(map(str, v))
            elif isinstance(v, (Param, IrqType)):
                v = v.name.lower().replace("_", "-")
            words.append(f"{name}={v}")
        if self.consumer is not None:
            words.append(f'consumer="{self.consumer}"')
        return " ".join(words)


@dataclass(frozen=True)
class LineState:
    """libguse's state of one line, as the consumers saw it.

    ``value`` is what a consumer reads (a driven output's value, else the
    pull), ``output`` what a consumer drove last, ``pull`` the level the
    outside world gives the line.  ``bias`` and ``drive`` are the last
    accepted (None: never set), ``irq_type``/``irq_enabled`` the interrupt
    configuration.
    """

    direction: Direction
    output: int
    pull: int
    value: int
    requested: bool
    claimed: bool
    consumer: str
    bias: Optional[Param]
    drive: Optional[Param]
    debounce_us: int
    irq_type: IrqType
    irq_enabled: bool


def _serve(c: Any, owner: "weakref.ref[Chip]") -> None:
    """The serving thread: run() until close() (holds no reference to the Chip)."""
    try:
        c.run()
    except ChipClosedError:
        pass
    except BaseException as exc:  # noqa: BLE001 - reported, never lost
        chip = owner()
        if chip is not None:
            chip._guse_report(exc, "run")
        else:
            _log.error("guse: serving a chip failed", exc_info=exc)


class Chip:
    """A GPIO chip implemented in Python: a real ``/dev/gpiochipN``.

    By default it is served by a background thread from libguse's built-in
    line state, whose lines behave as the kernel's gpio-sim: set their
    pulls with :meth:`set_pull` / :meth:`set_inputs`, read what consumers
    drive with :meth:`get_value`, and follow their requests with
    :meth:`trace`.

    A server adds callbacks, as methods of a subclass or as keyword
    arguments, named after the request kinds: ``on_request(line,
    consumer)``, ``on_free(line)``, ``on_consumer(line, consumer)``
    (information only), ``on_get_direction(line)``,
    ``on_direction_input(line)``, ``on_direction_output(line, value)``,
    ``on_get_values(lines)``, ``on_set_values(values)``,
    ``on_set_config(line, param, arg)`` and ``on_irq_config(line,
    irq_type, enabled)``.  A callback answers its request by returning:

    - ``None`` (success) -- a :class:`guse.Direction` for
      ``on_get_direction``, the values (a mapping line -> value or a
      sequence in the order of ``lines``) for ``on_get_values``;
    - :data:`guse.DEFAULT`: as the built-in line state would;
    - a :class:`guse.Deferred`, answered later from any thread (an
      ``async def`` callback is one: its coroutine runs on the event loop);

    or by raising :class:`guse.Error` (``errno``).  Any other exception
    fails the request with EIO and is reported (logged on the ``guse``
    logger, kept in :attr:`exceptions`, raised by :meth:`check` and at the
    end of a ``with`` block).  Requests still deferred when the chip closes
    fail with ENODEV.

    ``serve=False`` leaves serving to the caller: :meth:`fileno` plus
    :meth:`dispatch` in any event loop, the blocking :meth:`run`, or
    :meth:`attach` to an asyncio loop (also ``async with``).
    """

    def __init__(
        self,
        label: Optional[str] = None,
        num_lines: Optional[int] = None,
        line_names: Optional[Union[Mapping[int, str], Sequence[Optional[str]]]] = None,
        hogs: Optional[Mapping[int, HogSpec]] = None,
        timeout: Optional[float] = None,
        *,
        pulls: Optional[Mapping[int, int]] = None,
        outputs: Optional[Mapping[int, int]] = None,
        invalid: Optional[Iterable[int]] = None,
        hold_outputs: bool = False,
        serve_input_reads: bool = False,
        output_cache: bool = False,
        device: Optional[str] = None,
        serve: bool = True,
        loop: Optional[asyncio.AbstractEventLoop] = None,
        trace_size: int = 4096,
        _fd: Optional[int] = None,
        **callbacks: Optional[Callable[..., Any]],
    ) -> None:
        """Create the chip; when this returns, ``/dev/<name>`` exists.

        :param label: chip label (default "guse"), at most 31 bytes.
        :param num_lines: 1 to 1024 (default: as many as ``line_names``
            names, else 8).
        :param line_names: ``{offset: name}`` (as gpiosim's) or a sequence.
        :param hogs: ``{offset: (consumer, Direction[, value])}``: lines the
            chip holds itself from the start, as gpio-sim's hogs.
        :param timeout: seconds the kernel waits for each answer (default:
            the kernel's, 5 s).
        :param pulls: initial pulls ``{offset: 0|1}`` (0 by default).
        :param outputs: lines that start as outputs the device drives,
            ``{offset: value}``.
        :param invalid: lines the modelled controller does not have.
        :param hold_outputs: released outputs keep driving (most hardware)
            instead of reading their pull (gpio-sim).
        :param serve_input_reads: reads of inputs reach ``on_get_values``
            too (see guse_chip_config_set_serve_input_reads()).
        :param output_cache: the kernel answers reads of requested outputs
            from the value it last set, without asking the server (protocol
            1.2, see guse_chip_config_set_output_cache()): a promise that
            the level a consumer drives never changes behind its back, so
            ``on_get_values`` then only sees reads of inputs (with
            ``serve_input_reads``) and of outputs taken "as is".
        :param device: the guse device (default ``$GUSE_DEVICE`` or
            ``/dev/guse``).
        :param serve: serve from a background thread (default).
        :param loop: the asyncio loop ``async def`` callbacks run on when
            the chip is not served from that loop's thread.
        :param trace_size: requests the trace keeps (oldest dropped); 0
            turns it off.
        :raises guse.Error: the chip cannot be created (``hint`` says why).
        """
        self._c: Any = None
        self._thread: Optional[threading.Thread] = None
        self._loop: Optional[asyncio.AbstractEventLoop] = loop
        self._attached: Optional[asyncio.AbstractEventLoop] = None
        self._exceptions: List[Tuple[str, BaseException]] = []
        self._tasks: set = set()
        self._lock = threading.Lock()

        try:
            names = self._setup(callbacks, line_names)
            if num_lines is None:
                num_lines = len(names) or 8
            _check_lines(
                num_lines,
                line_names=range(len(names)) if any(names) else (),
                hogs=hogs or (),
                pulls=pulls or (),
                outputs=outputs or (),
                invalid=invalid or (),
            )
            self._c = _ext.Chip(
                num_lines,
                label=label,
                line_names=names,
                timeout_ms=0 if timeout is None else _timeout_ms(timeout),
                device=device,
                fd=-1 if _fd is None else _fd,
                serve_input_reads=serve_input_reads,
                hold_outputs=hold_outputs,
                output_cache=output_cache,
                outputs=[(int(k), Direction.OUTPUT, _level(v)) for k, v in (outputs or {}).items()],
                pulls=[(int(k), _level(v)) for k, v in (pulls or {}).items()],
                hogs=[_hog(k, spec) for k, spec in (hogs or {}).items()],
                invalid=[int(x) for x in (invalid or ())],
                callbacks=tuple(n for n in CALLBACKS if callable(getattr(self, n, None))),
                owner=self,
                trace_size=trace_size,
            )
        except BaseException:
            # the chip owns _fd, also when it could not be created
            if _fd is not None:
                os.close(_fd)
            raise
        self._names = {n: i for i, n in enumerate(names) if n}
        _live.add(self)
        if serve:
            self._thread = threading.Thread(
                target=_serve,
                args=(self._c, weakref.ref(self)),
                name=f"guse-{self._c.name}",
                daemon=True,
            )
            self._thread.start()

    def _setup(self, callbacks: Dict[str, Any], line_names: Any) -> List[Optional[str]]:
        unknown = set(callbacks) - set(CALLBACKS)
        if unknown:
            raise TypeError(f"unknown arguments: {', '.join(sorted(unknown))}")
        for name, fn in callbacks.items():
            if fn is not None:
                if not callable(fn):
                    raise TypeError(f"{name} must be callable")
                setattr(self, name, fn)
        return _names_list(line_names)

    # --- identity ----------------------------------------------------------

    @property
    def name(self) -> str:
        """The GPIO character device's name, e.g. ``gpiochip3``."""
        return self._c.name

    @property
    def dev_path(self) -> str:
        """``/dev/<name>``, what libgpiod opens."""
        return "/dev/" + self._c.name

    @property
    def dev_name(self) -> str:
        """The guse device's name in /sys/class/guse, e.g. ``guse0``."""
        return self._c.dev_name

    @property
    def label(self) -> str:
        return self._c.label

    @property
    def num_lines(self) -> int:
        return self._c.num_lines

    @property
    def base(self) -> int:
        """Global GPIO number of line 0 (the legacy sysfs interface)."""
        return self._c.base

    @property
    def timeout(self) -> float:
        """Seconds the kernel waits for each answer."""
        return self._c.timeout_ms / 1000

    @property
    def closed(self) -> bool:
        return self._c is None or self._c.closed

    def line_name(self, line: Line) -> str:
        """The line's name ("" if unnamed)."""
        return self._c.line_name(self._offset(line))

    def __repr__(self) -> str:
        if self._c is None:
            return f"<{type(self).__name__} (not created)>"
        state = "closed" if self._c.closed else f"{self._c.num_lines} lines"
        return f'<{type(self).__name__} {self._c.name} "{self._c.label}" {state}>'

    # --- lifetime ------------------------------------------------------------

    def close(self) -> None:
        """Remove the chip.

        Consumers see it vanish; requests still deferred fail with ENODEV
        (their later answers return False).  Waits for the serving thread
        and for calls in other threads.  Callbacks may close their own
        chip.  Idempotent.
        """
        c = self._c
        if c is None:
            return
        self._detach_reader()
        c.close()
        _live.discard(self)
        t = self._thread
        if t is not None and t is not threading.current_thread():
            t.join()

    def __enter__(self) -> "Chip":
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        self.close()
        if exc_type is None:
            self.check()

    async def __aenter__(self) -> "Chip":
        self.attach()
        return self

    async def __aexit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        self.__exit__(exc_type, exc, tb)

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # noqa: BLE001 - a finalizer cannot raise
            pass

    # --- errors of callbacks -------------------------------------------------

    @property
    def exceptions(self) -> List[BaseException]:
        """Exceptions callbacks raised so far (their requests got EIO)."""
        with self._lock:
            return [exc for _, exc in self._exceptions]

    def take_exceptions(self) -> List[Tuple[str, BaseException]]:
        """Return and forget the ``(callback, exception)`` pairs so far."""
        with self._lock:
            taken, self._exceptions = self._exceptions, []
        return taken

    def check(self) -> None:
        """Raise :class:`guse.CallbackError` if callbacks raised (and forget them)."""
        taken = self.take_exceptions()
        if taken:
            err = CallbackError(self._c.name if self._c else "a chip", taken)
            raise err from taken[0][1]

    def _guse_report(self, exc: BaseException, where: str) -> None:
        """Called by the extension for an exception it could not answer with."""
        with self._lock:
            self._exceptions.append((where, exc))
        _log.error("%s of %r raised; the request was failed with EIO", where, self, exc_info=exc)

    # --- callbacks -------------------------------------------------------------

    def _guse_invoke(self, name: str, args: tuple) -> Any:
        """Called by the extension for every request with a Python callback."""
        fn = getattr(self, name)
        if name == "on_set_config":
            args = (args[0], Param(args[1]), args[2])
        elif name == "on_irq_config":
            args = (args[0], IrqType(args[1]), bool(args[2] & _ext.IRQ_F_ENABLED))
        res = fn(*args)
        if inspect.isawaitable(res):
            return self._spawn(res, name)
        return res

    def _spawn(self, aw: Any, name: str) -> Deferred:
        """Run an async callback's awaitable; its result answers the request."""
        d = Deferred()
        try:
            running: Optional[asyncio.AbstractEventLoop] = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is not None:
            fut: Any = asyncio.ensure_future(aw)
        elif self._loop is not None and self._loop.is_running():
            fut = asyncio.run_coroutine_threadsafe(_awaited(aw), self._loop)
        else:
            if hasattr(aw, "close"):
                aw.close()
            raise TypeError(
                f"{name} is asynchronous but the chip is not served from an "
                "asyncio loop: attach() it, or pass loop="
            )
        with self._lock:
            self._tasks.add(fut)
        fut.add_done_callback(lambda f: self._finish(d, f, name))
        return d

    def _finish(self, d: Deferred, fut: Any, name: str) -> None:
        with self._lock:
            self._tasks.discard(fut)
        if fut.cancelled():
            d.fail(errno.ECANCELED)
            return
        # reported before the answer: whoever sees the answer sees the report
        exc = fut.exception()
        if exc is not None:
            if not isinstance(exc, Error):
                self._guse_report(exc, name)
            d.fail(exc)
            return
        try:
            d.reply(fut.result())
        except (TypeError, ValueError, RuntimeError) as e:
            self._guse_report(e, name)
            d.fail(errno.EIO)

    # --- serving -------------------------------------------------------------

    def fileno(self) -> int:
        """A descriptor to poll: when readable, call :meth:`dispatch`."""
        return self._c.fileno()

    def dispatch(self) -> int:
        """Handle every message available without blocking; callbacks run here.

        :returns: the number of messages handled.
        :raises guse.Error: ENODEV when the chip went away.
        :raises RuntimeError: another thread (or ``serve=True``) serves it.
        """
        return self._c.dispatch()

    def run(self) -> None:
        """Serve until :meth:`stop` or :meth:`close` (from any thread) or Ctrl-C."""
        self._c.run()

    def stop(self) -> None:
        """Make :meth:`run` return (thread-safe; a later run() returns at once
        if none is running)."""
        self._c.exit()

    def attach(self, loop: Optional[asyncio.AbstractEventLoop] = None) -> None:
        """Serve the chip from an asyncio loop (default: the running one).

        Callbacks then run in the loop's thread, and ``async def``
        callbacks on the loop.  :meth:`close` detaches.
        """
        if self._thread is not None:
            raise RuntimeError("the chip is served by its thread (create it with serve=False)")
        if self._attached is not None:
            raise RuntimeError("the chip is attached already")
        loop = loop or asyncio.get_running_loop()
        loop.add_reader(self.fileno(), self._readable)
        self._attached = loop
        if self._loop is None:
            self._loop = loop

    def detach(self) -> None:
        """Stop serving from the asyncio loop."""
        self._detach_reader()

    def _readable(self) -> None:
        try:
            self._c.dispatch()
        except Error as exc:
            # the chip went away (or closed under us): stop watching it
            self._detach_reader()
            if not isinstance(exc, ChipClosedError):
                self._guse_report(exc, "dispatch")

    def _detach_reader(self) -> None:
        loop, self._attached = self._attached, None
        if loop is None or self._c is None or self._c.closed:
            return
        fd = self._c.fileno()
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop or not loop.is_running():
            loop.remove_reader(fd)
            return
        # another thread: remove it in the loop's, before the fd closes
        done = threading.Event()

        def remove() -> None:
            loop.remove_reader(fd)
            done.set()

        loop.call_soon_threadsafe(remove)
        done.wait(5)

    # --- lines ---------------------------------------------------------------

    def _offset(self, line: Line) -> int:
        if isinstance(line, str):
            try:
                return self._names[line]
            except KeyError:
                raise ValueError(f"no line named {line!r}") from None
        return line

    def set_pull(self, line: Line, value: Any) -> None:
        """Set a line's pull, the level the outside world gives it (thread-safe).

        An input (and a line nobody drives) reads it; a change of a watched
        input's pull is an edge.  ``value``: 0/1, a bool, or an enum member
        whose value is 0 or 1.
        """
        self._c.set_inputs({self._offset(line): value})

    def set_inputs(self, values: Mapping[Line, Any]) -> None:
        """Set several pulls in one injection (thread-safe)."""
        self._c.set_inputs({self._offset(k): v for k, v in values.items()})

    def get_value(self, line: Line) -> int:
        """What a consumer reads: a driven output's value, else the pull."""
        return self._c.get_value(self._offset(line))

    def get_pull(self, line: Line) -> int:
        """The line's pull."""
        return self._c.get_pull(self._offset(line))

    def get_output(self, line: Line) -> int:
        """The value a consumer drove last on the line."""
        return self._c.get_output(self._offset(line))

    def get_direction(self, line: Line) -> Direction:
        return Direction(self._c.get_direction(self._offset(line)))

    def is_requested(self, line: Line) -> bool:
        return self.line_state(line).requested

    def get_consumer(self, line: Line) -> str:
        """The consumer label ("" if none; the device's label of a claimed line)."""
        return self.line_state(line).consumer

    def line_state(self, line: Line) -> LineState:
        """Everything libguse knows of one line."""
        (d, out, pull, value, req, claimed, consumer, bias, drive, deb, irq, flags) = self._c.state(
            self._offset(line)
        )
        return LineState(
            direction=Direction(d),
            output=out,
            pull=pull,
            value=value,
            requested=req,
            claimed=claimed,
            consumer=consumer,
            bias=Param(bias) if bias else None,
            drive=Param(drive) if drive else None,
            debounce_us=deb,
            irq_type=IrqType(irq),
            irq_enabled=bool(flags & _ext.IRQ_F_ENABLED),
        )

    # --- the device side -----------------------------------------------------

    def set_direction(self, line: Line, direction: Direction, value: int = 0) -> None:
        """The device makes a line an input or an output driving ``value``.

        :raises guse.Error: EBUSY if a host consumer holds the line.
        """
        self._c.set_direction(self._offset(line), direction, value)

    def claim(self, line: Line, consumer: str) -> None:
        """The device takes a line for itself under ``consumer`` (EBUSY if held)."""
        self._c.claim(self._offset(line), consumer)

    def unclaim(self, line: Line) -> None:
        """The device gives a claimed line (or a hog) back."""
        self._c.unclaim(self._offset(line))

    # --- the trace -------------------------------------------------------------

    def trace(self, timeout: Optional[float] = 0.0) -> Iterator[Event]:
        """The requests received so far, oldest first, and those that follow.

        Iterating takes the events out of the trace.  When none is left it
        waits up to ``timeout`` seconds for the next (None: forever, until
        the chip closes) and ends when none comes.
        """
        while True:
            t = self._c.trace_take(timeout)
            if t is None:
                return
            yield Event._from_tuple(t)

    def wait_event(
        self,
        kind: Optional[EventKind] = None,
        *,
        timeout: float = 10.0,
        predicate: Optional[Callable[[Event], bool]] = None,
        **fields: Any,
    ) -> Event:
        """Take events until one matches; return it.

        Matches ``kind`` (if given), every ``field=value`` (e.g.
        ``line=3, value=1``) and ``predicate`` (if given).  Events before
        it are dropped.

        :raises TimeoutError: none within ``timeout`` seconds.
        """
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            t = self._c.trace_take(max(left, 0.0))
            if t is None:
                raise TimeoutError(
                    f"no {kind.name if kind else 'event'} {fields or ''} on {self.name} "
                    f"within {timeout} s"
                )
            ev = Event._from_tuple(t)
            if ev.matches(kind, **fields) and (predicate is None or predicate(ev)):
                return ev

    def clear_trace(self) -> None:
        """Forget the events not taken yet."""
        self._c.trace_clear()

    @property
    def trace_dropped(self) -> int:
        """Events dropped because the trace was full."""
        return self._c.trace_stats()[1]


# --- argument helpers ----------------------------------------------------------


async def _awaited(aw: Any) -> Any:
    return await aw


def _names_list(names: Any) -> List[Optional[str]]:
    if not names:
        return []
    if isinstance(names, Mapping):
        out: List[Optional[str]] = [None] * (max(names) + 1)
        for k, v in names.items():
            out[int(k)] = v
        return out
    return list(names)


def _check_lines(num_lines: Any, **lines: Iterable[int]) -> None:
    if not isinstance(num_lines, int) or isinstance(num_lines, bool):
        raise TypeError("num_lines must be an int")
    for what, offsets in lines.items():
        for off in offsets:
            if not isinstance(off, int) or not 0 <= off < num_lines:
                raise ValueError(f"{what}: no line {off!r} on a chip of {num_lines} lines")


def _timeout_ms(timeout: float) -> int:
    if timeout <= 0:
        raise ValueError("the timeout must be positive")
    return max(1, round(timeout * 1000))


def _level(v: Any) -> int:
    v = getattr(v, "value", v)
    if v not in (0, 1):
        raise ValueError(f"a level is 0 or 1, not {v!r}")
    return int(v)


def _hog(line: int, spec: Any) -> Tuple[int, str, int, int]:
    if len(spec) == 2:
        name, direction = spec
        value = 0
    else:
        name, direction, value = spec
    direction = Direction(getattr(direction, "value", direction))
    return (int(line), name, int(direction), _level(value))
