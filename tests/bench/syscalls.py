#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""System calls per round trip, counted with strace (load-independent).

usage: syscalls.py GUSE-BENCH MODE [--attach PID] [-d DEV]

Runs `guse-bench sc -k MODE -n N` under `strace -f -ff` for two N and
takes the difference, so that start-up and tear-down cancel out.  The
client is the thread guse-bench runs in; every other traced thread (the
forked server and its threads, or with --attach the threads of PID, a
server started elsewhere) is the server side.  Prints NOTE lines for
report.py: sc.MODE.client, sc.MODE.server (calls per round trip) and
sc.MODE.client.calls, sc.MODE.server.calls (the calls by name)."""
import collections
import glob
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

N1, N2 = 100, 400
CALL = re.compile(r"^([a-z_0-9]+)\(")


def count(files):
    c = collections.Counter()
    for path in files:
        with open(path, errors="replace") as f:
            for line in f:
                m = CALL.match(line)
                if m:
                    c[m.group(1)] += 1
    return c


def run(bench, mode, n, attach, dev):
    work = tempfile.mkdtemp(prefix="guse-sc-")
    tracer = None
    try:
        if attach:
            tracer = subprocess.Popen(["strace", "-f", "-ff", "-qq", "-o", f"{work}/s", "-p", str(attach)],
                                      stderr=subprocess.PIPE, stdout=subprocess.DEVNULL)
            # attached once the server's threads have trace files
            for _ in range(100):
                if glob.glob(f"{work}/s.*"):
                    break
                time.sleep(0.05)
            time.sleep(0.3)
        cmd = ["strace", "-f", "-ff", "-qq", "-o", f"{work}/c", bench, "sc", "-k", mode, "-n", str(n)]
        if dev:
            cmd += ["-d", dev]
        out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True).stdout
        pid = re.search(r"INFO sc.pid (\d+)", out).group(1)
        if tracer:
            tracer.send_signal(signal.SIGINT)
            tracer.wait(timeout=30)
        client = count([f"{work}/c.{pid}"])
        server = count([f for f in glob.glob(f"{work}/c.*") if f != f"{work}/c.{pid}"] +
                       glob.glob(f"{work}/s.*"))
        return client, server
    finally:
        if tracer and tracer.poll() is None:
            tracer.kill()
        shutil.rmtree(work, ignore_errors=True)


def main():
    args = sys.argv[1:]
    attach = dev = None
    if "--attach" in args:
        i = args.index("--attach")
        attach = int(args[i + 1])
        del args[i:i + 2]
    if "-d" in args:
        i = args.index("-d")
        dev = args[i + 1]
        del args[i:i + 2]
    bench, mode = args
    c1, s1 = run(bench, mode, N1, attach, dev)
    c2, s2 = run(bench, mode, N2, attach, dev)
    for side, a, b in (("client", c1, c2), ("server", s1, s2)):
        per = {k: (b[k] - a[k]) / (N2 - N1) for k in set(a) | set(b)}
        per = {k: v for k, v in per.items() if v >= 0.005}
        total = sum(per.values())
        calls = " ".join(f"{k}:{v:.2f}" for k, v in sorted(per.items(), key=lambda kv: -kv[1]))
        print(f"NOTE sc.{mode}.{side} {total:.2f}")
        print(f"NOTE sc.{mode}.{side}.calls {calls}")


if __name__ == "__main__":
    main()
