# SPDX-License-Identifier: LGPL-2.1-or-later
"""A pytest plugin printing one TAP line per test (``-p tap``).

GUSE_TAP=1 prints TAP for automake's TAP driver (the host tests),
GUSE_TAP=ktap a KTAP report for the VM suite (tests/kselftest/90-python.sh).
The lines go to the descriptor GUSE_TAP_FD (default 1, between pytest's
own lines).
"""

import os

_state = {"n": 0, "reports": {}}


def _on() -> bool:
    return os.environ.get("GUSE_TAP") in ("1", "ktap")


def _out(line: str) -> None:
    fd = int(os.environ.get("GUSE_TAP_FD", "1"))
    # a line of its own, also after pytest's progress dots
    os.write(fd, (("\n" if fd == 1 else "") + line + "\n").encode())


def pytest_collection_modifyitems(session, config, items):
    if not _on():
        return
    if os.environ.get("GUSE_TAP") == "ktap":
        _out("KTAP version 1")
    _out(f"1..{len(items)}")


def pytest_runtest_logreport(report):
    if _on():
        _state["reports"].setdefault(report.nodeid, []).append(report)


def pytest_runtest_logfinish(nodeid, location):
    if not _on():
        return
    reports = _state["reports"].pop(nodeid, [])
    _state["n"] += 1
    n = _state["n"]
    name = nodeid.split("::", 1)[-1] if "::" in nodeid else nodeid
    name = name.replace("#", "_")
    if any(r.failed for r in reports):
        _out(f"not ok {n} {name}")
    elif any(hasattr(r, "wasxfail") for r in reports):
        why = next(r for r in reports if hasattr(r, "wasxfail")).wasxfail
        _out(f"ok {n} {name} # SKIP expected failure: {why}")
    elif any(r.skipped for r in reports):
        why = next(r for r in reports if r.skipped).longrepr
        why = why[2] if isinstance(why, tuple) else str(why)
        why = why[len("Skipped: "):] if why.startswith("Skipped: ") else why
        _out(f"ok {n} {name} # SKIP {why}")
    else:
        _out(f"ok {n} {name}")
