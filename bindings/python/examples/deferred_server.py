#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""An emulated GPIO controller whose CPU answers every access: the server's
callbacks hand the requests to the CPU thread, which answers them later
(guse.Deferred), as an emulator's device model does.

    python3 deferred_server.py [--lines N]   # prints "ready gpiochipN"

Line 0 is an output whose level the CPU mirrors onto line 1, an input
(a loopback wire); SIGTERM or SIGINT end it.
"""

import argparse
import queue
import signal
import sys
import threading

import guse


class Controller(guse.Chip):
    def __init__(self, **kw):
        self.regs = {"out": 0}
        self.cpu_queue = queue.Queue()
        super().__init__(serve=False, **kw)
        self.cpu = threading.Thread(target=self.run_cpu, name="cpu", daemon=True)
        self.cpu.start()

    # the requests, queued for the CPU
    def later(self, fn):
        d = guse.Deferred()
        self.cpu_queue.put((d, fn))
        return d

    def on_direction_output(self, line, value):
        return self.later(lambda: self.write(line, value))

    def on_set_values(self, values):
        return self.later(lambda: self.write_all(values))

    def on_get_values(self, lines):
        return self.later(lambda: {n: (self.regs["out"] >> n) & 1 for n in lines})

    # the CPU
    def write_all(self, values):
        for line, value in values.items():
            self.write(line, value)

    def write(self, line, value):
        if value:
            self.regs["out"] |= 1 << line
        else:
            self.regs["out"] &= ~(1 << line)
        if line == 0:
            self.set_pull(1, value)  # the loopback wire

    def run_cpu(self):
        while True:
            job = self.cpu_queue.get()
            if job is None:
                return
            d, fn = job
            try:
                d.reply(fn())
            except Exception as e:  # noqa: BLE001 - the access fails, the CPU goes on
                d.fail(e)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lines", type=int, default=8)
    args = ap.parse_args()
    try:
        chip = Controller(label="py-deferred", num_lines=args.lines,
                          line_names={0: "loop-out", 1: "loop-in"})
    except guse.Error as e:
        print(f"deferred_server: {e}", file=sys.stderr)
        return 1
    signal.signal(signal.SIGTERM, lambda *_: chip.stop())
    signal.signal(signal.SIGINT, lambda *_: chip.stop())
    print(f"ready {chip.name}", flush=True)
    chip.run()  # until a signal stops it
    chip.close()  # pending requests fail with ENODEV
    chip.cpu_queue.put(None)
    chip.check()  # a callback error makes the exit status 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
