# SPDX-License-Identifier: LGPL-2.1-or-later
"""Exceptions and the ``DEFAULT`` answer."""

from __future__ import annotations

import errno as _errno
import os
from typing import Optional, Sequence, Tuple

from . import _ext

__all__ = ["Error", "ChipClosedError", "CallbackError", "DEFAULT"]


class Error(OSError):
    """A libguse call failed, or a callback refuses a request.

    ``raise guse.Error(errno.EBUSY)`` in a callback answers the request with
    that errno (1 to 133), without reporting anything.  The library raises
    it for failed calls, with ``errno`` set and, for chip creation, a
    ``hint`` naming the cause and the way out (libguse's
    ``guse_error_hint()``), e.g. that ``modprobe gpio-guse`` provides a
    missing ``/dev/guse``.
    """

    def __init__(self, errno: int, message: Optional[str] = None) -> None:
        super().__init__(errno, message if message is not None else os.strerror(errno))

    @property
    def hint(self) -> Optional[str]:
        """What a chip creation error means and how to get past it, or None."""
        return _ext.error_hint(self.errno) if self.errno else None


class ChipClosedError(Error):
    """The chip was closed (or went away): errno ``ENODEV``."""

    def __init__(self, message: str = "the chip is closed") -> None:
        super().__init__(_errno.ENODEV, message)


class CallbackError(Exception):
    """Callbacks of a chip raised: their requests were failed with EIO.

    Raised by :meth:`guse.Chip.check` and when a ``with`` block of a chip
    ends without an exception of its own.  ``errors`` holds
    ``(callback name, exception)`` pairs in the order they happened; the
    first exception is also the ``__cause__``.
    """

    def __init__(self, chip: str, errors: Sequence[Tuple[str, BaseException]]) -> None:
        self.chip = chip
        self.errors = list(errors)
        what = "; ".join(f"{where}: {exc!r}" for where, exc in self.errors[:5])
        more = f" (and {len(self.errors) - 5} more)" if len(self.errors) > 5 else ""
        super().__init__(
            f"{len(self.errors)} callback error(s) of {chip}, answered with EIO: {what}{more}"
        )


class _Default:
    __slots__ = ()

    def __repr__(self) -> str:
        return "guse.DEFAULT"

    def __reduce__(self) -> str:
        return "DEFAULT"


#: Returned by a callback (or passed to ``Deferred.reply``): answer as
#: libguse's built-in line state would (see guse_reply_default()).
DEFAULT = _Default()

_ext._init(Error, ChipClosedError, DEFAULT)
