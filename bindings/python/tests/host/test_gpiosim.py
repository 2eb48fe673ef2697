# SPDX-License-Identifier: LGPL-2.1-or-later
"""guse.gpiosim.Chip: libgpiod's test helper's interface on guse."""

import gc
import weakref

import pytest

import _guse_fake_kernel as fkmod
from guse import gpiosim
from guse import Direction

from conftest import expect, OP_SET_INPUTS, Create, bitmap, bound

Pull = gpiosim.Chip.Pull
Value = gpiosim.Chip.Value
HogDir = gpiosim.Chip.Direction


def sim_on_fake(num_lines=None, **kw):
    fk = fkmod.FakeKernel()
    fk.send_ready(num_lines or 1)
    sim = gpiosim.Chip(num_lines=num_lines, _fd=fk.take_server_fd(), **kw)
    msg = fk.recv(int(bound(2) * 1000))
    assert msg[0] == 1
    return fk, sim, Create(msg[4], num_lines or 1)


def test_the_values_are_those_of_libgpiosim():
    # GPIOSIM_PULL_DOWN = 1, _UP = 2; GPIOSIM_VALUE_*; GPIOSIM_DIRECTION_*
    assert [p.value for p in Pull] == [1, 2]
    assert [v.value for v in Value] == [0, 1]
    assert [d.value for d in HogDir] == [1, 2, 3]


def test_defaults_one_line_labelled_gpio_sim():
    fk, sim, create = sim_on_fake()
    assert (create.num_lines, create.label) == (1, "gpio-sim")
    assert sim.dev_path == "/dev/" + sim.name == "/dev/gpiochip7"
    sim.close()
    fk.close()


def test_constructor_as_gpiosim():
    fk, sim, create = sim_on_fake(
        label="foobar",
        num_lines=8,
        line_names={5: "foo", 7: "bar"},
        hogs={3: ("hog3", HogDir.OUTPUT_HIGH), 4: ("hog4", HogDir.OUTPUT_LOW), 6: ("hog6", HogDir.INPUT)},
    )
    assert create.label == "foobar" and create.names[5] == "foo" and create.names[7] == "bar"
    assert create.init[3] == 0xB and create.init[4] == 0x9 and create.init[6] == 0x8
    assert create.hogs == ["hog3", "hog4", "hog6"]
    assert sim.get_value(3) == Value.ACTIVE and sim.get_value(4) == Value.INACTIVE
    assert sim.guse.get_direction(4) == Direction.OUTPUT
    sim.close()
    fk.close()


def test_set_pull_and_get_value():
    fk, sim, _ = sim_on_fake(num_lines=4)
    assert sim.get_value(2) == Value.INACTIVE
    sim.set_pull(2, Pull.UP)
    expect(fk, OP_SET_INPUTS, 0, 0, bitmap(1, [0b100], [0b100]))
    assert sim.get_value(2) == Value.ACTIVE
    sim.set_pull(2, Pull.DOWN)
    expect(fk, OP_SET_INPUTS, 0, 0, bitmap(1, [0b100], [0]))
    assert sim.get_value(2) == Value.INACTIVE
    with pytest.raises(TypeError):
        sim.set_pull(2, 1)  # a Pull, as gpiosim's
    sim.close()
    fk.close()


def test_del_removes_the_chip():
    fk, sim, _ = sim_on_fake(num_lines=2)
    ref = weakref.ref(sim.guse)
    del sim  # as libgpiod's tests do in tearDown
    gc.collect()
    assert ref() is None
    assert fk.recv(int(bound(2) * 1000)) == b""
    fk.close()
