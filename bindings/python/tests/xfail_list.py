# SPDX-License-Identifier: LGPL-2.1-or-later
"""A pytest plugin (``-p xfail_list``): the tests named in the file
$GUSE_XFAIL_LIST are expected to fail, strictly (one that passes fails).

Each line: a test id (``file.py::Class::test``), whitespace, ``#`` and the
reason; empty lines and lines starting with ``#`` are ignored.
"""

import os

import pytest


def _load():
    path = os.environ.get("GUSE_XFAIL_LIST")
    out = {}
    if not path:
        return out
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            test, _, why = line.partition("#")
            out[test.strip()] = why.strip() or "expected to fail"
    return out


def pytest_collection_modifyitems(session, config, items):
    expected = _load()
    if not expected:
        return
    seen = set()
    for item in items:
        for test, why in expected.items():
            if item.nodeid == test or item.nodeid.endswith("/" + test):
                item.add_marker(pytest.mark.xfail(strict=True, reason=why))
                seen.add(test)
    missing = set(expected) - seen
    if missing:
        raise pytest.UsageError(f"GUSE_XFAIL_LIST names tests that do not exist: {sorted(missing)}")
