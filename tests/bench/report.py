#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Turn the SAMPLE/INFO/NOTE lines of guse-bench (collected by run-bench.sh)
into the benchmark table (text, on stdout) and JSON (on stdout between
"--- json ---" and "--- end json ---", and into --json PATH if given).

Every figure is the median over the repetitions of the run; every ratio is
taken between medians of the same run."""
import json
import statistics
import sys


def load(path):
    samples, notes = {}, {}
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) < 3:
                continue
            kind, key, value = parts[0], parts[1], " ".join(parts[2:])
            if kind == "SAMPLE":
                samples.setdefault(key, []).append(float(value))
            elif kind == "INFO":
                notes[key] = float(value)
            elif kind == "NOTE":
                notes[key] = value
    return samples, notes


def main():
    args = sys.argv[1:]
    json_path = None
    if "--json" in args:
        i = args.index("--json")
        json_path = args[i + 1]
        del args[i:i + 2]
    samples, notes = load(args[0])
    med = {k: statistics.median(v) for k, v in samples.items()}

    def m(key):
        return med.get(key)

    def us(key):  # ns/op -> us/op
        v = m(key)
        return None if v is None else v / 1000.0

    def ratio(a, b):
        if a is None or b is None or b == 0:
            return None
        return a / b

    rows = []      # (section, name, value, unit, reference, ratio, target, met)
    targets = []

    def row(section, name, value, unit, ref=None, r=None, target=None, met=None):
        rows.append(dict(section=section, name=name, value=value, unit=unit,
                         reference=ref, ratio=r, target=target, met=met))

    def target(name, value, limit, op, why):
        if value is None or limit is None:
            met = None
        else:
            met = value <= limit if op == "<=" else (value >= limit if op == ">=" else value < limit)
        targets.append(dict(target=name, value=value, limit=limit, op=op,
                            met=met, what=why))
        return met

    # --- 1. round trip --------------------------------------------------
    S = "1. round trip (us/op, 1 line)"
    pipe, gout, gin = us("rt.pipe"), us("guse.get.1"), us("guse.get_in.1")
    sim_out, sim_in, cuse = us("sim.get.1"), us("sim.get_in.1"), us("rt.cuse")
    row(S, "pipe ping-pong, 2 processes (floor)", pipe, "us")
    row(S, "guse get (output line, server round trip)", gout, "us", "pipe", ratio(gout, pipe))
    row(S, "guse get (input line, kernel-answered)", gin, "us", "pipe", ratio(gin, pipe))
    row(S, "gpio-sim get (output line, in kernel)", sim_out, "us", "guse out", ratio(gout, sim_out))
    row(S, "gpio-sim get (input line, in kernel)", sim_in, "us", "guse in", ratio(gin, sim_in))
    row(S, "CUSE ioctl, libfuse3 low-level server", cuse, "us", "guse out", ratio(gout, cuse))
    target("T1a guse out get <= 1.5x pipe ping-pong", ratio(gout, pipe), 1.5, "<=",
           "guse output-line get / pipe ping-pong")
    target("T1b guse out get <= 0.5x CUSE ioctl", ratio(gout, cuse), 0.5, "<=",
           "guse output-line get / CUSE ioctl")

    # --- 2. width --------------------------------------------------------
    S = "2. width (us/op)"
    for op in ("get", "set"):
        for dev in ("guse", "sim"):
            one = us(f"{dev}.{op}.1")
            for w in (1, 8, 64):
                v = us(f"{dev}.{op}.{w}")
                name = f"{'guse' if dev == 'guse' else 'gpio-sim'} {op.upper()}_VALUES {w} line{'s' if w > 1 else ''}"
                row(S, name, v, "us", "1 line" if w > 1 else None,
                    ratio(v, one) if w > 1 else None)
    target("T2a guse GET 64 lines <= 1.2x 1 line", ratio(us("guse.get.64"), us("guse.get.1")),
           1.2, "<=", "GET_VALUES 64 lines / 1 line")
    target("T2b guse SET 64 lines <= 1.2x 1 line", ratio(us("guse.set.64"), us("guse.set.1")),
           1.2, "<=", "SET_VALUES 64 lines / 1 line")

    # --- 3. events -------------------------------------------------------
    S = "3. edge events (1 line, both edges, FIFO %d)" % int(notes.get("ev.fifo_size", 0))
    g_rate, s_rate = m("ev.guse.rate"), m("ev.sim.rate")
    row(S, "guse events/s (concurrent reader)", g_rate, "ev/s", "gpio-sim", ratio(g_rate, s_rate))
    row(S, "gpio-sim events/s (concurrent reader)", s_rate, "ev/s")
    gb, sb = m("ev.guse.burst_rate"), m("ev.sim.burst_rate")
    row(S, "guse events/s (burst, read afterwards)", gb, "ev/s", "gpio-sim", ratio(gb, sb))
    row(S, "gpio-sim events/s (burst, read afterwards)", sb, "ev/s")
    g8 = m("ev.guse8.rate")
    row(S, "guse events/s, 8 lines per injection (set_inputs)", g8, "ev/s", "gpio-sim", ratio(g8, s_rate))
    for dev, label in (("guse", "guse"), ("sim", "gpio-sim")):
        row(S, f"{label} inject-to-read latency p50", m(f"ev.{dev}.lat_p50_us"), "us")
        row(S, f"{label} inject-to-read latency p99", m(f"ev.{dev}.lat_p99_us"), "us")
    for dev, label in (("guse", "guse"), ("guse8", "guse 8 lines"), ("sim", "gpio-sim")):
        for k, what in (("rate_lost", "lost, concurrent reader (max)"),
                        ("rate_seqno_gaps", "seqno gaps, concurrent reader (max)"),
                        ("burst_lost", "lost, burst of %d (max)" % int(notes.get("ev.burst_size", 0))),
                        ("burst_seqno_gaps", "seqno gaps, burst (max)"),
                        ("lat_lost", "lost, latency loop (max)")):
            v = samples.get(f"ev.{dev}.{k}")
            row(S, f"{label} {what}", max(v) if v else None, "events")
    target("T3a guse events/s >= gpio-sim", ratio(g_rate, s_rate), 1.0, ">=",
           "guse / gpio-sim events per second (concurrent reader)")
    lost = None
    if "ev.guse.burst_lost" in samples:
        lost = sum(max(samples.get(f"ev.{d}.{k}", [0])) for d in ("guse", "guse8") for k in
                   ("burst_lost", "burst_seqno_gaps", "rate_lost", "rate_seqno_gaps", "lat_lost"))
    target("T3b guse: no event lost below the FIFO size", lost, 0, "<=",
           "events lost or seqno gaps (all repetitions, guse)")

    # --- 4. scale --------------------------------------------------------
    S = "4. scale (%d chips x %d lines, one process)" % (
        int(notes.get("scale.chips", 1024)), int(notes.get("scale.lines", 64)))
    for k, name, unit in (("create_s", "create all", "s"),
                          ("destroy_s", "destroy all (until the chips are gone)", "s"),
                          ("total_s", "create + destroy", "s"),
                          ("kernel_kib", "kernel memory per chip (Slab+Percpu+Vmalloc)", "KiB"),
                          ("slab_kib", "  Slab per chip", "KiB"),
                          ("sunreclaim_kib", "  SUnreclaim per chip", "KiB"),
                          ("percpu_kib", "  Percpu per chip", "KiB"),
                          ("vmalloc_kib", "  VmallocUsed per chip", "KiB"),
                          ("nonuser_kib", "all non-user memory per chip (MemFree delta)", "KiB"),
                          ("leftover_kib", "left after destroying, per chip", "KiB")):
        row(S, name, m(f"scale.{k}"), unit)
    for k in sorted((k for k in notes if k.startswith("scale.slab.")),
                    key=lambda k: -notes[k]):
        row(S, "  slab cache " + k[len("scale.slab."):], notes[k] / 1024.0, "KiB")
    if "scale.growth_kib_per_chip_and_rep" in notes:
        row(S, "Slab+Percpu growth across repetitions, per chip",
            notes["scale.growth_kib_per_chip_and_rep"], "KiB")
    target("T4a 1024 chips created+destroyed < 10 s", m("scale.total_s"), 10.0, "<",
           "seconds")
    target("T4b kernel memory < 32 KiB per chip", m("scale.kernel_kib"), 32.0, "<",
           "KiB per chip (Slab+Percpu+VmallocUsed)")

    # --- 5. concurrency --------------------------------------------------
    S = "5. concurrency (guse get on an output line, ops/s)"
    for mode, label in (("one", "one chip"), ("sep", "separate chips")):
        base = m(f"conc.{mode}.1")
        for t in (1, 2, 4, 8):
            v = m(f"conc.{mode}.{t}")
            row(S, f"{label}, {t} thread{'s' if t > 1 else ''}", v, "ops/s",
                "1 thread" if t > 1 else None, ratio(v, base) if t > 1 else None)

    # --- print -----------------------------------------------------------
    def fmt(v, unit=""):
        if v is None:
            return "n/a"
        if unit == "ev/s" or unit == "ops/s":
            return f"{v:,.0f}"
        if abs(v) >= 100:
            return f"{v:.0f}"
        if abs(v) >= 10:
            return f"{v:.1f}"
        return f"{v:.2f}"

    print(f"guse benchmarks: kernel {notes.get('kernel', '?')}, "
          f"{notes.get('cpus', '?')} CPUs ({notes.get('virt', '?')}), "
          f"medians of {notes.get('reps', '?')} repetitions "
          f"({notes.get('n', '?')} operations each)")
    print(f"references: gpio-sim {notes.get('gpio_sim', 'n/a')}, CUSE {notes.get('cuse', 'n/a')}")
    section = None
    for r in rows:
        if r["section"] != section:
            section = r["section"]
            print()
            print(section)
            print(f"  {'':<52} {'median':>12} {'unit':<6} {'ratio':>7}  vs")
        ratio_s = f"{r['ratio']:.2f}x" if r["ratio"] is not None else ""
        print(f"  {r['name']:<52} {fmt(r['value'], r['unit']):>12} {r['unit']:<6} "
              f"{ratio_s:>7}  {r['reference'] or ''}")
    print()
    print("targets")
    for t in targets:
        state = "n/a" if t["met"] is None else ("met" if t["met"] else "MISSED")
        print(f"  {t['target']:<48} {fmt(t['value']):>8} {t['op']} {t['limit']:<5} {state}")
    errors = {k: v for k, v in notes.items() if k.startswith("error.")}
    if errors:
        print()
        print("errors: " + ", ".join(f"{k[6:]}: {v}" for k, v in errors.items()))

    doc = dict(notes=notes, medians=med, samples=samples, rows=rows, targets=targets)
    text = json.dumps(doc, indent=1, sort_keys=True)
    print("--- json ---")
    print(text)
    print("--- end json ---")
    if json_path:
        with open(json_path, "w") as f:
            f.write(text + "\n")


if __name__ == "__main__":
    main()
