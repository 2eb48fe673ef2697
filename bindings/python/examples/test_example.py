# SPDX-License-Identifier: LGPL-2.1-or-later
"""A complete pytest example: the software under test is a tiny "blinker"
that a button starts, written against libgpiod; guse plays the board.

Run it with the plugin (installed: automatically; from a build tree:
``pytest -p guse.pytest_plugin``).  Without /dev/guse it is skipped.
"""

import errno
import threading
from datetime import timedelta

import gpiod
import pytest
from gpiod.line import Direction, Edge, Value

import guse
from guse import EventKind


# --- the software under test -------------------------------------------------

def blink_on_button(path, button, led, times):
    """Wait for a press of ``button``, then blink ``led`` ``times`` times."""
    with gpiod.request_lines(
        path,
        consumer="blinker",
        config={
            button: gpiod.LineSettings(edge_detection=Edge.RISING),
            led: gpiod.LineSettings(direction=Direction.OUTPUT),
        },
    ) as req:
        if not req.wait_edge_events(timedelta(seconds=10)):
            raise TimeoutError("nobody pressed the button")
        req.read_edge_events()
        for _ in range(times):
            req.set_value(led, Value.ACTIVE)
            req.set_value(led, Value.INACTIVE)


# --- the tests ---------------------------------------------------------------

@pytest.mark.guse_chip(label="board", num_lines=4, line_names={0: "button", 3: "led"})
def test_the_button_starts_three_blinks(guse_chip):
    board = guse_chip()  # a real /dev/gpiochipN, served in the background
    sut = threading.Thread(target=blink_on_button, args=(board.dev_path, "button", "led", 3))
    with gpiod.Chip(board.dev_path) as watcher:
        watcher.watch_line_info(0)
        sut.start()
        # the program waits for the button once it holds the line: gpiolib
        # says so when the request is complete (an edge before that, even
        # after the interrupt is enabled, can be lost, as on any hardware)
        assert watcher.wait_info_event(timedelta(seconds=10))
        assert watcher.read_info_event().event_type == gpiod.InfoEvent.Type.LINE_REQUESTED
    board.set_pull("button", 1)  # press
    sut.join(10)
    assert not sut.is_alive()
    drives = [ev.value for ev in board.trace() if ev.kind == EventKind.SET_VALUES and ev.line == 3]
    assert drives == [1, 0] * 3
    assert board.get_value("led") == 0


def test_a_busy_led_line_fails_the_program(guse_chip):
    def on_request(line, consumer):
        if line == 3:
            raise guse.Error(errno.EBUSY)  # somebody else has the LED

    board = guse_chip(num_lines=4, on_request=on_request)
    with pytest.raises(OSError) as e:
        blink_on_button(board.dev_path, 0, 3, 1)
    assert e.value.errno == errno.EBUSY
