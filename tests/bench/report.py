#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Turn the SAMPLE/INFO/NOTE lines of guse-bench (collected by run-bench.sh)
into the benchmark table (text, on stdout) and JSON (on stdout between
"--- json ---" and "--- end json ---", and into --json PATH if given).

usage: report.py SAMPLES [--json OUT] [--note KEY=VALUE]...
       report.py --from-json IN [--json OUT] [--note KEY=VALUE]...

--from-json renders a JSON document written before (scripts/bench.sh adds
what the host measured after the VM run that way).

Every figure is shown as min / median / max over the rounds of the run
(the warm-up rounds, "ROUND warmup" in the samples, are left out and only
counted); the ratio column is taken between medians of the same run.

A timing target that compares two quantities measured in every round is
judged on its paired ratios, one per round (guse and its reference ran
within seconds of each other, so a disturbance of the host hits both): met
when the upper quartile of the ratios is within the limit, MISSED when the
lower quartile is beyond it, "undecided" when the limit lies between the
quartiles (the host cannot resolve the difference).  The pipe ping-pong is
the noise check: when its spread over the rounds, (max - min) / median,
exceeds NOISE_BOUND, the run is noisy and every timing target is marked
"noisy" instead of met or missed (counts -- system calls, memory, lost
events -- are judged all the same)."""
import json
import statistics
import sys

# (max - min) / median of the pipe ping-pong over the rounds (warm-up left
# out) above which a run is too noisy to judge timing targets.  The paired
# verdicts carry the round-to-round noise themselves (wide quartiles give
# "undecided"); the bound catches a run whose host changed under it (on
# this project's 2-CPU hosts a quiet run spreads 5-15 %, one with another
# VM starting 30 % and more).
NOISE_BOUND = 0.20
# fewer rounds than this cannot show the spread
NOISE_MIN_ROUNDS = 3


def load(path):
    """samples: key -> [value]; rounds: key -> [round of each value, None
    outside the rounds]; warmup: key -> [value] of the warm-up rounds."""
    samples, rounds, warmup, notes = {}, {}, {}, {}
    current = None
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) == 2 and parts[0] == "ROUND":
                current = None if parts[1] == "none" else parts[1]
                continue
            if len(parts) < 3:
                continue
            kind, key, value = parts[0], parts[1], " ".join(parts[2:])
            if kind == "SAMPLE" and current == "warmup":
                warmup.setdefault(key, []).append(float(value))
            elif kind == "SAMPLE":
                samples.setdefault(key, []).append(float(value))
                rounds.setdefault(key, []).append(current)
            elif kind == "INFO":
                notes[key] = float(value)
            elif kind == "NOTE":
                notes[key] = value
    return samples, rounds, warmup, notes


def quartiles(values):
    """(lower quartile, median, upper quartile) of @values."""
    if len(values) == 1:
        return values[0], values[0], values[0]
    q1, q2, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return q1, q2, q3


def paired(samples, rounds, a, b):
    """Per-round ratios a/b over the rounds that measured both (by index
    when the samples carry no rounds, as JSON written before them)."""
    va, vb = samples.get(a, []), samples.get(b, [])
    ra, rb = rounds.get(a), rounds.get(b)
    if ra and rb and None not in ra and None not in rb:
        bmap = dict(zip(rb, vb))
        pairs = [(x, bmap[r]) for r, x in zip(ra, va) if r in bmap]
    else:
        pairs = list(zip(va, vb))
    return [x / y for x, y in pairs if y]


def parse_args(argv):
    a = dict(samples=None, from_json=None, json=None, notes={})
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg in ("--json", "--from-json", "--note"):
            if i + 1 >= len(argv):
                sys.exit(f"report.py: {arg} needs a value")
            val = argv[i + 1]
            if arg == "--json":
                a["json"] = val
            elif arg == "--from-json":
                a["from_json"] = val
            else:
                k, _, v = val.partition("=")
                a["notes"][k] = v
            i += 2
        else:
            a["samples"] = arg
            i += 1
    if not a["samples"] and not a["from_json"]:
        sys.exit(__doc__.split("\n\n")[1])
    return a


def loads(text):
    """'a b c' -> [a, b, c] floats, None if not parsable."""
    try:
        return [float(x) for x in text.replace(",", " ").split()]
    except (AttributeError, ValueError):
        return None


def steal_pct(before, after):
    """Steal time between two "total steal" jiffies snapshots, in %."""
    b, a = loads(before), loads(after)
    if not b or not a or len(b) < 2 or len(a) < 2 or a[0] <= b[0]:
        return None
    return 100.0 * (a[1] - b[1]) / (a[0] - b[0])


def noise(samples, notes):
    """The noise verdict of a run: dict(spread, bound, rounds, state)."""
    pipe = samples.get("rt.pipe", [])
    n = len(pipe)
    spread = None
    if n:
        med = statistics.median(pipe)
        spread = (max(pipe) - min(pipe)) / med if med else None
    if n < NOISE_MIN_ROUNDS or spread is None:
        state = "unknown"
    elif spread > NOISE_BOUND:
        state = "noisy"
    else:
        state = "quiet"
    return dict(spread=spread, bound=NOISE_BOUND, rounds=n, state=state)


def build(samples, rounds, notes):
    med = {k: statistics.median(v) for k, v in samples.items()}
    nz = noise(samples, notes)

    def m(key):
        return med.get(key)

    def stats(key, scale=1.0):
        v = samples.get(key)
        if not v:
            return None
        return (min(v) * scale, statistics.median(v) * scale, max(v) * scale)

    def ratio(a, b):
        if a is None or b is None or b == 0:
            return None
        return a / b

    def us(key):  # ns/op -> us/op
        v = m(key)
        return None if v is None else v / 1000.0

    rows = []      # section, name, value (median), min, max, unit, reference, ratio
    targets = []

    def row(section, name, key, unit, ref=None, r=None, scale=1.0, value=None):
        st = stats(key, scale) if key else None
        if st is None and value is not None:
            st = (None, value, None)
        lo, mid, hi = st if st else (None, None, None)
        rows.append(dict(section=section, name=name, key=key, value=mid,
                         min=lo, max=hi, unit=unit, reference=ref, ratio=r))

    def within(value, limit, op):
        return value <= limit if op == "<=" else (value >= limit if op == ">=" else value < limit)

    def add_target(name, value, limit, op, why, timing, state, **extra):
        if timing and state in ("met", "MISSED", "undecided") and nz["state"] != "quiet":
            state = "noisy" if nz["state"] == "noisy" else "unjudged"
        targets.append(dict(target=name, value=value, limit=limit, op=op,
                            state=state, met=(state == "met") if state in ("met", "MISSED") else None,
                            timing=timing, what=why, **extra))

    def target(name, value, limit, op, why, timing=True):
        state = "n/a" if value is None else ("met" if within(value, limit, op) else "MISSED")
        add_target(name, value, limit, op, why, timing, state)

    def paired_target(name, a, b, limit, op, why):
        """A timing target on the per-round ratios a/b."""
        ratios = paired(samples, rounds, a, b)
        if not ratios:
            add_target(name, None, limit, op, why, True, "n/a")
            return
        q1, q2, q3 = quartiles(ratios)
        worst, best = (q3, q1) if op != ">=" else (q1, q3)
        state = ("met" if within(worst, limit, op) else
                 "MISSED" if not within(best, limit, op) else "undecided")
        if len(ratios) < NOISE_MIN_ROUNDS:
            state = "unjudged"
        add_target(name, q2, limit, op, why, True, state,
                   paired=dict(rounds=len(ratios), q1=q1, median=q2, q3=q3,
                               min=min(ratios), max=max(ratios)))

    # --- 1. round trip --------------------------------------------------
    S = "1. round trip (us/op, 1 line)"
    pipe, gout, gin = us("rt.pipe"), us("guse.get.1"), us("guse.get_in.1")
    gcache = us("guse.get_cached.1")
    sim_out, sim_in, cuse = us("sim.get.1"), us("sim.get_in.1"), us("rt.cuse")
    row(S, "pipe ping-pong, 2 processes (floor)", "rt.pipe", "us", scale=1e-3)
    row(S, "guse get (output line, server round trip)", "guse.get.1", "us", "pipe", ratio(gout, pipe), 1e-3)
    row(S, "guse get (output line, kernel-answered: cached)", "guse.get_cached.1", "us",
        "gpio-sim", ratio(gcache, sim_out), 1e-3)
    row(S, "guse get (input line, kernel-answered)", "guse.get_in.1", "us", "pipe", ratio(gin, pipe), 1e-3)
    row(S, "gpio-sim get (output line, in kernel)", "sim.get.1", "us", "guse out", ratio(gout, sim_out), 1e-3)
    row(S, "gpio-sim get (input line, in kernel)", "sim.get_in.1", "us", "guse in", ratio(gin, sim_in), 1e-3)
    row(S, "CUSE ioctl, libfuse3 low-level server", "rt.cuse", "us", "guse out", ratio(gout, cuse), 1e-3)
    paired_target("T1a guse out get <= 1.05x pipe ping-pong", "guse.get.1", "rt.pipe", 1.05, "<=",
                  "guse output-line get / pipe ping-pong")
    paired_target("T1b guse out get <= 0.9x CUSE ioctl", "guse.get.1", "rt.cuse", 0.9, "<=",
                  "guse output-line get / CUSE ioctl")
    paired_target("T2 guse cached out get <= 1.5x gpio-sim get", "guse.get_cached.1", "sim.get.1",
                  1.5, "<=",
                  "guse output-line get with GUSE_CREATE_F_OUTPUT_CACHE / gpio-sim output-line get")

    # --- 1b. system calls per request (load-independent) -----------------
    S = "1b. system calls per operation (strace -c, load-independent)"
    for mode, label in (("pipe", "pipe ping-pong"), ("guse", "guse get, output line"),
                        ("cached", "guse get, output line, cached"), ("cuse", "CUSE ioctl")):
        for side in ("client", "server"):
            tot = notes.get(f"sc.{mode}.{side}")
            if tot is None:
                continue
            calls = notes.get(f"sc.{mode}.{side}.calls", "")
            row(S, f"{label}: {side}" + (f" ({calls})" if calls else ""), None, "calls",
                value=float(tot))
    sp, sg = notes.get("sc.pipe.server"), notes.get("sc.guse.server")
    target("T1c guse server: syscalls/request - pipe echo's <= 0",
           None if sp is None or sg is None else float(sg) - float(sp), 0, "<=",
           "server-side system calls per request, guse minus pipe", timing=False)

    # --- 2. width --------------------------------------------------------
    S = "2. width (us/op)"
    for op in ("get", "set"):
        for dev in ("guse", "sim"):
            one = us(f"{dev}.{op}.1")
            for w in (1, 8, 64):
                v = us(f"{dev}.{op}.{w}")
                name = f"{'guse' if dev == 'guse' else 'gpio-sim'} {op.upper()}_VALUES {w} line{'s' if w > 1 else ''}"
                row(S, name, f"{dev}.{op}.{w}", "us", "1 line" if w > 1 else None,
                    ratio(v, one) if w > 1 else None, 1e-3)
    paired_target("T5a guse GET 64 lines <= 1.1x 1 line", "guse.get.64", "guse.get.1",
                  1.1, "<=", "GET_VALUES 64 lines / 1 line")
    paired_target("T5b guse SET 64 lines <= 1.1x 1 line", "guse.set.64", "guse.set.1",
                  1.1, "<=", "SET_VALUES 64 lines / 1 line")

    # --- 3. events -------------------------------------------------------
    S = "3. edge events (1 line, both edges, FIFO %d)" % int(float(notes.get("ev.fifo_size", 0)))
    g_rate, s_rate = m("ev.guse.rate"), m("ev.sim.rate")
    row(S, "guse events/s (concurrent reader)", "ev.guse.rate", "ev/s", "gpio-sim", ratio(g_rate, s_rate))
    row(S, "gpio-sim events/s (concurrent reader)", "ev.sim.rate", "ev/s")
    gb, sb = m("ev.guse.burst_rate"), m("ev.sim.burst_rate")
    row(S, "guse events/s (burst, read afterwards)", "ev.guse.burst_rate", "ev/s", "gpio-sim", ratio(gb, sb))
    row(S, "gpio-sim events/s (burst, read afterwards)", "ev.sim.burst_rate", "ev/s")
    g8 = m("ev.guse8.rate")
    row(S, "guse events/s, 8 lines per injection (set_inputs)", "ev.guse8.rate", "ev/s", "gpio-sim",
        ratio(g8, s_rate))
    for dev, label in (("guse", "guse"), ("sim", "gpio-sim")):
        row(S, f"{label} inject-to-read latency p50", f"ev.{dev}.lat_p50_us", "us")
        row(S, f"{label} inject-to-read latency p99", f"ev.{dev}.lat_p99_us", "us")
    for dev, label in (("guse", "guse"), ("guse8", "guse 8 lines"), ("sim", "gpio-sim")):
        for k, what in (("rate_lost", "lost, concurrent reader"),
                        ("rate_seqno_gaps", "seqno gaps, concurrent reader"),
                        ("burst_lost", "lost, burst of %d" % int(float(notes.get("ev.burst_size", 0)))),
                        ("burst_seqno_gaps", "seqno gaps, burst"),
                        ("lat_lost", "lost, latency loop")):
            row(S, f"{label} {what}", f"ev.{dev}.{k}", "events")
    paired_target("T3a guse events/s >= gpio-sim (1 line, both edges)", "ev.guse.rate", "ev.sim.rate",
                  1.0, ">=", "guse / gpio-sim events per second (concurrent reader)")
    lost = None
    if "ev.guse.burst_lost" in samples:
        lost = sum(max(samples.get(f"ev.{d}.{k}", [0])) for d in ("guse", "guse8") for k in
                   ("burst_lost", "burst_seqno_gaps", "rate_lost", "rate_seqno_gaps", "lat_lost"))
    target("T3b guse: no event lost, no seqno gap", lost, 0, "<=",
           "events lost or seqno gaps (all repetitions, guse)", timing=False)

    # --- 4. scale --------------------------------------------------------
    for prefix, default in (("scale", 1024), ("scale4k", 4096)):
        if not any(k.startswith(prefix + ".") for k in samples):
            continue
        reps = len(samples.get(f"{prefix}.total_s", ())) or "?"
        S = "4. scale (%d chips x %d lines, one process; over %s repetitions, not rounds)" % (
            int(float(notes.get(f"{prefix}.chips", default))), int(float(notes.get(f"{prefix}.lines", 64))),
            reps)
        for k, name, unit in (("create_s", "create all", "s"),
                              ("destroy_s", "destroy all, %d threads (until the chips are gone)" % int(float(notes.get(f"{prefix}.free_threads", 1))), "s"),
                              ("total_s", "create + destroy", "s"),
                              ("kernel_kib", "kernel memory per chip (Slab+Percpu+Vmalloc)", "KiB"),
                              ("slab_kib", "  Slab per chip", "KiB"),
                              ("sunreclaim_kib", "  SUnreclaim per chip", "KiB"),
                              ("percpu_kib", "  Percpu per chip", "KiB"),
                              ("vmalloc_kib", "  VmallocUsed per chip", "KiB"),
                              ("nonuser_kib", "all non-user memory per chip (MemFree delta)", "KiB"),
                              ("leftover_kib", "left after destroying, per chip", "KiB"),
                              ("kernfs_nodes", "kernfs nodes per chip", "nodes")):
            row(S, name, f"{prefix}.{k}", unit)
        for k in sorted((k for k in notes if k.startswith(prefix + ".slab.")),
                        key=lambda k: -float(notes[k])):
            row(S, "  slab cache " + k[len(prefix) + 6:], None, "KiB", value=float(notes[k]) / 1024.0)
        for k in sorted((k for k in notes if k.startswith(prefix + ".kernfs.")),
                        key=lambda k: -float(notes[k])):
            label = k[len(prefix) + 8:].replace("_", " ")
            if label == "other device" and f"{prefix}.kernfs_other" in notes:
                label += " (" + notes[f"{prefix}.kernfs_other"].split("/")[-1] + ")"
            row(S, "  kernfs nodes: " + label, None, "nodes", value=float(notes[k]))
        if f"{prefix}.growth_kib_per_chip_and_rep" in notes:
            row(S, "Slab+Percpu growth across repetitions, per chip", None, "KiB",
                value=float(notes[f"{prefix}.growth_kib_per_chip_and_rep"]))
    n4k = "scale4k" if "scale4k.total_s" in samples else "scale"
    nch = int(float(notes.get(f"{n4k}.chips", 1024 if n4k == "scale" else 4096)))
    target(f"T4a {nch} chips x 64 created+destroyed < 10 s", m(f"{n4k}.total_s"), 10.0, "<",
           "seconds")
    target("T4b kernel memory < 16 KiB per chip", m(f"{n4k}.kernel_kib"), 16.0, "<",
           "KiB per chip (Slab+Percpu+VmallocUsed)", timing=False)

    # --- 5. concurrency --------------------------------------------------
    S = "5. concurrency (guse get on an output line, ops/s)"
    for mode, label in (("one", "one chip"), ("sep", "separate chips")):
        base = m(f"conc.{mode}.1")
        for t in (1, 2, 4, 8):
            v = m(f"conc.{mode}.{t}")
            row(S, f"{label}, {t} thread{'s' if t > 1 else ''}", f"conc.{mode}.{t}", "ops/s",
                "1 thread" if t > 1 else None, ratio(v, base) if t > 1 else None)
    return med, nz, rows, targets


def fmt(v, unit=""):
    if v is None:
        return "n/a"
    if unit in ("ev/s", "ops/s"):
        return f"{v:,.0f}"
    if abs(v) >= 100:
        return f"{v:.0f}"
    if abs(v) >= 10:
        return f"{v:.1f}"
    return f"{v:.2f}"


def load_lines(notes):
    """The host's and the VM's load and steal, as text lines."""
    out = []
    for who, label in (("host", "host"), ("vm", "VM")):
        b, a = notes.get(f"{who}.loadavg_before"), notes.get(f"{who}.loadavg_after")
        st = steal_pct(notes.get(f"{who}.stat_before"), notes.get(f"{who}.stat_after"))
        out.append(f"{label} load average (1/5/15 min): before {b or 'n/a'}, after {a or 'n/a'}; "
                   f"steal during the run {'n/a' if st is None else f'{st:.1f} %'}")
    return out


def render(samples, rounds, warmup, notes):
    med, nz, rows, targets = build(samples, rounds, notes)
    lines = []
    p = lines.append
    nw = int(float(notes.get("warmup", 0)))
    warm_s = f"{nw} warm-up round{'s' if nw != 1 else ''}"
    p(f"guse benchmarks: kernel {notes.get('kernel', '?')}, "
      f"{notes.get('cpus', '?')} CPUs ({notes.get('virt', '?')}), "
      f"min / median / max over {notes.get('reps', '?')} rounds "
      f"({notes.get('n', '?')} operations each; {warm_s} before them left out)")
    p(f"references: gpio-sim {notes.get('gpio_sim', 'n/a')}, CUSE {notes.get('cuse', 'n/a')}")
    for ln in load_lines(notes):
        p(ln)
    sp = nz["spread"]
    verdict = {"quiet": "quiet: timing targets judged",
               "noisy": "NOISY: timing targets not judged",
               "unknown": f"unknown (fewer than {NOISE_MIN_ROUNDS} rounds): timing targets not judged"}
    p(f"noise check: pipe ping-pong spread (max - min) / median "
      f"{'n/a' if sp is None else f'{100 * sp:.1f} %'} over {nz['rounds']} rounds, "
      f"bound {100 * nz['bound']:.0f} %: {verdict[nz['state']]}")
    section = None
    w = max([52] + [len(r["name"]) for r in rows])
    for r in rows:
        if r["section"] != section:
            section = r["section"]
            p("")
            p(section)
            p(f"  {'':<{w}} {'min':>9} {'median':>10} {'max':>9} {'unit':<6} {'ratio':>7}  vs")
        ratio_s = f"{r['ratio']:.2f}x" if r["ratio"] is not None else ""
        lo = fmt(r["min"], r["unit"]) if r["min"] is not None else ""
        hi = fmt(r["max"], r["unit"]) if r["max"] is not None else ""
        # no reference named where there is no ratio to it
        ref = r["reference"] if r["ratio"] is not None else ""
        p(f"  {r['name']:<{w}} {lo:>9} {fmt(r['value'], r['unit']):>10} {hi:>9} {r['unit']:<6} "
          f"{ratio_s:>7}  {ref or ''}")
    p("")
    p("targets (timing targets are judged only in a quiet run; a ratio of two quantities")
    p("on its per-round ratios: median [lower quartile .. upper quartile] over the rounds)")
    for t in targets:
        pr = t.get("paired")
        q = f" [{pr['q1']:.2f} .. {pr['q3']:.2f}]" if pr else ""
        p(f"  {t['target']:<56} {fmt(t['value']):>8}{q:<15} {t['op']} {t['limit']:<5} {t['state']}")
    errors = {k: v for k, v in notes.items() if k.startswith("error.")}
    if errors:
        p("")
        p("errors: " + ", ".join(f"{k[6:]}: {v}" for k, v in errors.items()))
    doc = dict(notes=notes, medians=med, samples=samples, rounds=rounds, warmup=warmup,
               rows=rows, targets=targets, noise=nz)
    return "\n".join(lines), doc


def main():
    a = parse_args(sys.argv[1:])
    if a["from_json"]:
        with open(a["from_json"]) as f:
            doc = json.load(f)
        samples, notes = doc["samples"], doc["notes"]
        rounds, warmup = doc.get("rounds", {}), doc.get("warmup", {})
    else:
        samples, rounds, warmup, notes = load(a["samples"])
    notes.update(a["notes"])
    text, doc = render(samples, rounds, warmup, notes)
    print(text)
    out = json.dumps(doc, indent=1, sort_keys=True)
    print("--- json ---")
    print(out)
    print("--- end json ---")
    if a["json"]:
        with open(a["json"], "w") as f:
            f.write(out + "\n")


if __name__ == "__main__":
    main()
