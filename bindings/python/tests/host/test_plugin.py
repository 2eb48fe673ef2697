# SPDX-License-Identifier: LGPL-2.1-or-later
"""The pytest plugin, in pytest sessions of its own (pytester): skips
without /dev/guse, the guse_chip factory's defaults and cleanup."""

import os

import pytest

PLUGIN = ("-p", "guse.pytest_plugin", "-p", "no:cacheprovider")

USES_BOTH = """
def test_chip(guse_chip):
    guse_chip(num_lines=4)

def test_sim(guse_sim):
    pass

def test_other():
    pass
"""


def test_no_device_skips_counted_with_the_reason(pytester, monkeypatch, tmp_path):
    monkeypatch.setenv("GUSE_DEVICE", str(tmp_path / "no-guse"))
    pytester.makepyfile(USES_BOTH)
    res = pytester.runpytest_subprocess(*PLUGIN, "-rs")
    res.assert_outcomes(passed=1, skipped=2)
    out = res.stdout.str()
    assert f"guse: 2 test(s) skipped: guse: {tmp_path / 'no-guse'} (GUSE_DEVICE) does not exist" in out


@pytest.mark.skipif(os.path.exists("/dev/guse"), reason="this host has /dev/guse")
def test_no_dev_guse_says_what_provides_it(pytester, monkeypatch):
    monkeypatch.delenv("GUSE_DEVICE", raising=False)
    pytester.makepyfile(USES_BOTH)
    res = pytester.runpytest_subprocess(*PLUGIN, "-rs")
    res.assert_outcomes(passed=1, skipped=2)
    assert "modprobe gpio-guse" in res.stdout.str()


FACTORY = """
import errno, pytest
import _guse_fake_kernel as fkmod
import guse

made = []

class FakeChip(guse.Chip):
    def __init__(self, num_lines=4, **kw):
        self.fk = fkmod.FakeKernel()
        self.fk.send_ready(num_lines)
        super().__init__(num_lines=num_lines, serve=False, _fd=self.fk.take_server_fd(), **kw)
        made.append(self)

@pytest.mark.guse_chip(cls=FakeChip, num_lines=3, label="marked")
def test_marker_defaults(guse_chip):
    chip = guse_chip()
    assert (chip.num_lines, chip.label) == (3, "marked")
    assert guse_chip(num_lines=6).num_lines == 6

@pytest.mark.guse_chip(cls=FakeChip)
@pytest.mark.parametrize("guse_chip", [{"num_lines": 2}, {"num_lines": 5}], indirect=True)
def test_indirect(guse_chip):
    assert guse_chip().num_lines in (2, 5)

def test_closed_after_each_test():
    assert len(made) == 4 and all(c.closed for c in made)

def test_cls_argument(guse_chip):
    assert isinstance(guse_chip(cls=FakeChip), FakeChip)

@pytest.mark.guse_chip(cls=FakeChip)
def test_callback_error_fails_the_test(guse_chip):
    chip = guse_chip(on_free=lambda line: 1 / 0)
    chip.fk.send(17, 1, bytes(8))
    chip.dispatch()
"""


def test_factory_defaults_cleanup_and_callback_errors(pytester, monkeypatch, tmp_path):
    # the device check passes; the chips live on fake kernels
    dev = tmp_path / "guse"
    dev.write_text("")
    monkeypatch.setenv("GUSE_DEVICE", str(dev))
    pytester.makepyfile(FACTORY)
    res = pytester.runpytest_subprocess(*PLUGIN)
    res.assert_outcomes(passed=6, errors=1)
    res.stdout.fnmatch_lines(["*ERROR at teardown of test_callback_error_fails_the_test*",
                              "*CallbackError*ZeroDivisionError*"])
