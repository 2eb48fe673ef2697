# SPDX-License-Identifier: LGPL-2.1-or-later
"""The guse pytest plugin (entry point ``pytest11``: ``guse``).

Fixtures:

``guse_chip``
    A factory: ``guse_chip(num_lines=8, ...)`` creates a :class:`guse.Chip`
    (``cls=MyServer`` for a subclass) with the given arguments over the
    defaults; every chip it made is closed after the test, and exceptions
    its callbacks raised fail the test.  Defaults come from indirect
    parametrisation (``@pytest.mark.parametrize("guse_chip",
    [{"num_lines": 4}], indirect=True)``) and from the marker
    ``@pytest.mark.guse_chip(num_lines=4)``.

``guse_sim``
    A running ``guse-sim`` with a control socket (:class:`guse.sim.GuseSim`),
    stopped after the test; its arguments come from indirect
    parametrisation or the marker ``@pytest.mark.guse_sim(num_lines=4)``.

Both skip the test when the guse device (``$GUSE_DEVICE`` or ``/dev/guse``)
does not exist, saying why and what provides it; the summary counts those
skips.  Without the entry point (an uninstalled tree) load it with
``pytest -p guse.pytest_plugin``.
"""

from __future__ import annotations

import errno
import os
from typing import Any, Dict, List, Optional, Type

import pytest

import guse
from guse.sim import GuseSim, find_guse_sim

__all__ = ["guse_chip", "guse_sim", "ChipFactory", "require_device"]

# The configs of the sessions running (one, or nested ones: pytester):
# each counts its skips for its summary.
_configs: List[Any] = []
_SKIPS_KEY = pytest.StashKey[int]()


def _count_skip() -> None:
    if _configs:
        stash = _configs[-1].stash
        stash[_SKIPS_KEY] = stash.get(_SKIPS_KEY, 0) + 1


def _device() -> str:
    return os.environ.get("GUSE_DEVICE") or "/dev/guse"


def _skip_reason() -> str:
    if _device() != "/dev/guse":
        return f"guse: {_device()} (GUSE_DEVICE) does not exist"
    return "guse: " + (guse.error_hint(errno.ENOENT) or "/dev/guse does not exist")


def require_device() -> None:
    """Skip the calling test (counted, with the reason) unless the guse
    device exists: for tests that create chips themselves."""
    if not os.path.exists(_device()):
        _count_skip()
        pytest.skip(_skip_reason())


def _marker_args(request: Any, name: str) -> Dict[str, Any]:
    args: Dict[str, Any] = {}
    marker = request.node.get_closest_marker(name)
    if marker is not None:
        args.update(marker.kwargs)
    param = getattr(request, "param", None)
    if param is not None:
        if not isinstance(param, dict):
            raise TypeError(f"{name} is parametrised with dicts of arguments, not {param!r}")
        args.update(param)
    return args


class ChipFactory:
    """What the ``guse_chip`` fixture is: call it to make chips."""

    def __init__(self, defaults: Dict[str, Any]) -> None:
        self.defaults = defaults
        self.chips: List[guse.Chip] = []

    def __call__(self, cls: Optional[Type[guse.Chip]] = None, **kwargs: Any) -> Any:
        args = dict(self.defaults)
        args.update(kwargs)
        cls = cls or args.pop("cls", None) or guse.Chip
        try:
            chip = cls(**args)
        except guse.Error as e:
            if e.errno == errno.ENOENT and not os.path.exists(_device()):
                _count_skip()
                pytest.skip(_skip_reason())
            raise
        self.chips.append(chip)
        return chip

    def _finish(self) -> None:
        errors = []
        for chip in reversed(self.chips):
            chip.close()
            try:
                chip.check()
            except guse.CallbackError as e:
                errors.append(e)
        self.chips.clear()
        if errors:
            raise errors[0]


@pytest.fixture
def guse_chip(request: Any) -> Any:
    """A factory of guse chips, closed (and checked) after the test."""
    require_device()
    factory = ChipFactory(_marker_args(request, "guse_chip"))
    yield factory
    factory._finish()


@pytest.fixture
def guse_sim(request: Any) -> Any:
    """A running guse-sim (guse.sim.GuseSim), stopped after the test."""
    require_device()
    if not find_guse_sim():
        pytest.skip("guse: guse-sim not found (set GUSE_SIM or put it on PATH)")
    sim = GuseSim(**_marker_args(request, "guse_sim"))
    yield sim
    sim.stop()


def pytest_configure(config: Any) -> None:
    _configs.append(config)
    config.addinivalue_line(
        "markers", "guse_chip(**kwargs): default arguments of the guse_chip fixture's chips"
    )
    config.addinivalue_line("markers", "guse_sim(**kwargs): arguments of the guse_sim fixture")


def pytest_unconfigure(config: Any) -> None:
    if config in _configs:
        _configs.remove(config)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    n = terminalreporter.config.stash.get(_SKIPS_KEY, 0)
    if n:
        terminalreporter.write_line(f"guse: {n} test(s) skipped: {_skip_reason()}", yellow=True)

