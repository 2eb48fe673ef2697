# SPDX-License-Identifier: LGPL-2.1-or-later
"""guse: GPIO chips implemented in userspace, from Python.

A :class:`Chip` is a real ``/dev/gpiochipN`` that every GPIO consumer
(libgpiod and its tools, the kernel) uses unmodified; Python serves it.
Without callbacks its lines behave as those of the kernel's gpio-sim;
callbacks make it a server (an emulator, a test rig).  See
Documentation/python.rst.

- :class:`Chip`, :class:`Deferred`, :data:`DEFAULT`, :class:`Error`:
  the chip and the server API;
- :mod:`guse.gpiosim`: libgpiod's test helper ``gpiosim.Chip`` on guse;
- :mod:`guse.sim`: the ``guse-sim`` tool as a subprocess;
- :mod:`guse.pytest_plugin`: the ``guse_chip`` and ``guse_sim`` fixtures.
"""

from . import _ext
from .exception import DEFAULT, CallbackError, ChipClosedError, Error
from .enums import Direction, EventKind, IrqType, Param
from .chip import CALLBACKS, Chip, Deferred, Event, LineState
from .version import __version__

__all__ = [
    "CALLBACKS",
    "CallbackError",
    "Chip",
    "ChipClosedError",
    "DEFAULT",
    "Deferred",
    "Direction",
    "Error",
    "Event",
    "EventKind",
    "IrqType",
    "LineState",
    "Param",
    "__version__",
    "error_hint",
    "libguse_version",
]

#: The version of the libguse the extension runs on.
libguse_version: str = _ext.libguse_version


def error_hint(errnum: int):
    """What a chip creation error means and how to get past it (or None)."""
    return _ext.error_hint(errnum)
