#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""A guse chip served by asyncio, with asynchronous callbacks: a line
whose value comes from a (simulated) slow sensor, and a relay that takes a
while to switch.

    python3 asyncio_server.py     # prints "ready gpiochipN"

SIGTERM or SIGINT end it.
"""

import asyncio
import errno
import signal
import sys

import guse


class Board(guse.Chip):
    SENSOR, RELAY = 0, 1

    def __init__(self):
        self.relay = 0
        super().__init__(label="py-asyncio", num_lines=2, serve=False,
                         serve_input_reads=True,
                         line_names={self.SENSOR: "sensor", self.RELAY: "relay"})

    async def on_get_values(self, lines):
        await asyncio.sleep(0.005)  # ask the sensor
        return {n: 1 if n == self.SENSOR else self.relay for n in lines}

    async def on_direction_output(self, line, value):
        await self.switch(line, value)

    async def on_set_values(self, values):
        for line, value in values.items():
            await self.switch(line, value)

    async def switch(self, line, value):
        if line != self.RELAY:
            raise guse.Error(errno.EINVAL)  # the sensor is no output
        await asyncio.sleep(0.01)  # the relay's coil
        self.relay = value


async def main():
    try:
        board = Board()
    except guse.Error as e:
        print(f"asyncio_server: {e}", file=sys.stderr)
        return 1
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with board:  # attached to this loop; closed and checked at the end
        print(f"ready {board.name}", flush=True)
        await stop.wait()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
