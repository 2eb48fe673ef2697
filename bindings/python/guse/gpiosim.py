# SPDX-License-Identifier: LGPL-2.1-or-later
"""libgpiod's test helper ``gpiosim.Chip``, on guse.

libgpiod's Python binding tests create their chips with a ``gpiosim.Chip``
over libgpiosim and the kernel's gpio-sim, which Debian's 6.1 and 6.12
kernels do not build.  This module has the same class, constructor and
methods on a guse chip, whose lines follow gpio-sim's model, so such a
test runs after one change of its import::

    from guse import gpiosim

    sim = gpiosim.Chip(num_lines=8, line_names={5: "foo"},
                       hogs={3: ("hog3", gpiosim.Chip.Direction.OUTPUT_HIGH)})
    with gpiod.Chip(sim.dev_path) as chip: ...
    sim.set_pull(0, gpiosim.Chip.Pull.UP)
    assert sim.get_value(3) == gpiosim.Chip.Value.ACTIVE

The chip goes away when the object does (``del sim``), as gpio-sim's.
"""

from __future__ import annotations

from enum import Enum
from typing import Any, Dict, Optional, Tuple

from .chip import Chip as _GuseChip
from .enums import Direction as _Dir

__all__ = ["Chip"]


class Chip:
    """A simulated GPIO chip (the interface of libgpiod's tests/gpiosim)."""

    class Pull(Enum):
        DOWN = 1
        UP = 2

    class Value(Enum):
        INACTIVE = 0
        ACTIVE = 1

    class Direction(Enum):
        INPUT = 1
        OUTPUT_HIGH = 2
        OUTPUT_LOW = 3

    def __init__(
        self,
        label: Optional[str] = None,
        num_lines: Optional[int] = None,
        line_names: Optional[Dict[int, str]] = None,
        hogs: Optional[Dict[int, Tuple[str, "Chip.Direction"]]] = None,
        **guse_args: Any,
    ) -> None:
        """As gpiosim's (one line by default); ``guse_args`` go to guse.Chip."""
        converted = {}
        for off, (name, direction) in (hogs or {}).items():
            direction = Chip.Direction(direction)
            if direction == Chip.Direction.INPUT:
                converted[off] = (name, _Dir.INPUT, 0)
            else:
                converted[off] = (name, _Dir.OUTPUT, int(direction == Chip.Direction.OUTPUT_HIGH))
        self._chip = _GuseChip(
            label=label or "gpio-sim",
            num_lines=num_lines or 1,
            line_names=line_names,
            hogs=converted,
            **guse_args,
        )

    def get_value(self, offset: int) -> "Chip.Value":
        """The line's value as gpio-sim shows it: a driven output's, else the pull."""
        return Chip.Value(self._chip.get_value(offset))

    def set_pull(self, offset: int, pull: "Chip.Pull") -> None:
        """Pull the line up or down (edges for consumers watching an input)."""
        if not isinstance(pull, Chip.Pull):
            raise TypeError(f"pull must be a gpiosim.Chip.Pull, not {pull!r}")
        self._chip.set_pull(offset, 1 if pull == Chip.Pull.UP else 0)

    @property
    def dev_path(self) -> str:
        return self._chip.dev_path

    @property
    def name(self) -> str:
        return self._chip.name

    @property
    def guse(self) -> _GuseChip:
        """The guse.Chip underneath (its trace, line states, device side)."""
        return self._chip

    def close(self) -> None:
        self._chip.close()

    def __enter__(self) -> "Chip":
        return self

    def __exit__(self, *exc: Any) -> None:
        self._chip.__exit__(*exc)
