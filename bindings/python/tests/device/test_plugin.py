# SPDX-License-Identifier: LGPL-2.1-or-later
"""The fixtures on a real guse device: guse_chip (factory, parametrised)
and guse_sim (a guse-sim process)."""

import subprocess

import gpiod
import pytest
from gpiod.line import Direction, Value

from guse import EventKind

from conftest import bound, wait_until


@pytest.mark.parametrize("guse_chip", [{"num_lines": 3}, {"num_lines": 40}], indirect=True)
def test_guse_chip_parametrised(guse_chip):
    chip = guse_chip(label="py-param")
    with gpiod.Chip(chip.dev_path) as g:
        assert g.get_info().num_lines in (3, 40)
        assert g.get_info().label == "py-param"


@pytest.mark.guse_chip(num_lines=2, line_names=["btn", "led"])
def test_guse_chip_marker(guse_chip):
    chip = guse_chip()
    with gpiod.request_lines(chip.dev_path, {"led": gpiod.LineSettings(direction=Direction.OUTPUT)}):
        ev = chip.wait_event(EventKind.DIRECTION_OUTPUT, timeout=bound(5))
        assert ev.line == 1


def test_guse_sim(guse_sim):
    guse_sim.set(1, 1)
    with gpiod.request_lines(guse_sim.dev_path, {1: None}) as req:
        assert req.get_value(1) == Value.ACTIVE
    state = guse_sim.get(1)
    assert state["value"] == 1 and state["input"] == 1
    guse_sim.wait_event("free", line=1, timeout=bound(5))


@pytest.mark.guse_sim(num_lines=4, line_names=["a", "b", "c", "led"], label="py-sim")
def test_guse_sim_marker_and_wait(guse_sim):
    out = subprocess.run(["gpiodetect"], capture_output=True, text=True, check=True).stdout
    assert f"{guse_sim.chip} [py-sim] (4 lines)" in out
    setter = subprocess.Popen(["gpioset", "-c", guse_sim.chip, "led=1"])
    try:
        guse_sim.wait("led", 1, timeout=bound(10))
        ev = guse_sim.wait_event("request", line=3, timeout=bound(5))
        assert ev["consumer"] in ("", "gpioset")
    finally:
        setter.terminate()
        setter.wait(bound(10))
    assert wait_until(lambda: guse_sim.get("led")["requested"] == 0)


def test_without_a_device_the_fixtures_skip_counted(pytester, monkeypatch):
    monkeypatch.setenv("GUSE_DEVICE", "/nonexistent-guse")
    monkeypatch.delenv("GUSE_TAP", raising=False)
    pytester.makepyfile("def test_a(guse_chip):\n    pass\n\ndef test_b(guse_sim):\n    pass\n")
    # in this process: another interpreter costs seconds under TCG
    res = pytester.runpytest_inprocess("-p", "guse.pytest_plugin", "-p", "no:cacheprovider", "-rs")
    res.assert_outcomes(skipped=2)
    assert "guse: 2 test(s) skipped: guse: /nonexistent-guse (GUSE_DEVICE) does not exist" in res.stdout.str()
