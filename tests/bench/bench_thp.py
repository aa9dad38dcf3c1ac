# SPDX-License-Identifier: BSD-2-Clause
#
# bench_thp.py: the huge page and memory return suite of run-bench
# (run-bench --thp, make bench-thp).  It owns the table of the bigheap
# workloads (heap, bursty, random; see bigheap.c), the cells they run in
# (every allocator with default options, plus explicit MALLOC_CONF
# variants: domalloc thp:never and jemalloc thp:always), the parsing of
# bigheap's output and the report, obj/bench/thp.md, with one table per
# workload and the targets of issue 5.  The runner's Bench object does the
# rest (finding and checking the allocators, copying the programs, runone,
# the logs).  Imported by run-bench; Debian's python3 standard library
# only.  See tests/bench/README.md.

import datetime
import os
import re
import statistics
import time

# Sizes per mode.  A full heap run takes its build (1-5 s for 1 GiB, the
# longer with huge pages), the 20 s hold and the 20 s of sampling after
# the free; a bursty run its bursts plus 6 x 2 s of idle gaps; a random
# run its build, a 25 s hold and 2-3 s of each kind of accesses.
# "variants": whether the MALLOC_CONF variant cells run this workload too.
# "reps": repetitions per cell in full mode (--reps overrides).
WORKLOADS = [
    {"name": "heap", "kind": "thp", "prog": "bigheap", "variants": True,
     "reps": 1,
     "what": "{mib} MiB of 16 B-64 KiB objects (9 in 10 up to 1 KiB) "
             "built and touched: huge page backing right after the build "
             "and after holding the heap {hold} s without allocator calls, "
             "and peak RSS; then everything is freed and RSS sampled for {idle} s while the "
             "process sleeps (the freeall table)",
     "full": "mode=heap mib=1024 hold=20 idle=20",
     "quick": "mode=heap mib=256 hold=10 idle=5",
     "smoke": "mode=heap mib=8 hold=0 idle=1"},
    {"name": "bursty", "kind": "thp", "prog": "bigheap", "variants": False,
     "reps": 1,
     "what": "A live set of {base} MiB of 16 B-64 KiB objects jumps to "
             "{factor}x and back {bursts} times, with {gap} ms of idle (no "
             "allocator calls) after each burst",
     "full": "mode=bursty base=40 factor=10 bursts=6 gap=2000",
     "quick": "mode=bursty base=16 factor=10 bursts=3 gap=1000",
     "smoke": "mode=bursty base=1 factor=4 bursts=2 gap=50"},
    {"name": "random", "kind": "thp", "prog": "bigheap", "variants": True,
     "reps": 3,
     "what": "{mib} MiB of 64 B-4 KiB objects in a pointer array, held "
             "{hold} s without allocator calls, then "
             "{accesses} independent and {chase} serially dependent "
             "random reads and increments through random pointers (only "
             "the accesses are timed, each kind apart)",
     "full": "mode=random mib=1024 hold=25 accesses=30000000 "
             "chase=10000000",
     "quick": "mode=random mib=256 hold=10 accesses=6000000 "
              "chase=2000000",
     "smoke": "mode=random mib=8 hold=0 accesses=100000 chase=20000"},
]

# Extra cells: (base allocator, MALLOC_CONF).  Both allocators read
# MALLOC_CONF; run-bench removes it from the environment of every other
# cell, so those run with default options.
VARIANTS = [("domalloc", "thp:never"), ("jemalloc", "thp:always")]

# The numbers (targets to report, not to assert).
HUGE_TARGET = 90.0
RETURN_TARGET = 0.10
BURST_TARGET = 1.10


def describe(w, argv):
    """The workload's description with the sizes in argv (k=v words)."""
    return w["what"].format(**dict(a.split("=", 1) for a in argv))


def note(msg):
    print("run-bench: " + msg, flush=True)


def mib(kib):
    return "-" if kib is None or kib < 0 else "%.1f" % (kib / 1024)


def med(v):
    v = [x for x in v if x is not None]
    return statistics.median(v) if v else None


def sysfs(path):
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return "-"


def parse_lines(text):
    """bigheap's lines: [(WORD, {key: value})]."""
    out = []
    for line in text.splitlines():
        m = re.match(r"^([A-Z]+) (.*)$", line)
        if m:
            out.append((m.group(1), dict(re.findall(r"(\w+)=(\S+)",
                                                    m.group(2)))))
    return out


def first(lines, word, **match):
    for w, kv in lines:
        if w == word and all(kv.get(k) == v for k, v in match.items()):
            return kv
    return None


def num(kv, key, conv=int):
    try:
        return conv(kv[key])
    except (KeyError, TypeError, ValueError):
        return None


class Cell:
    def __init__(self, alloc, conf):
        self.alloc = alloc
        self.conf = conf
        self.name = alloc["name"] + (" " + conf if conf else "")
        self.tag = re.sub(r"[^A-Za-z0-9]+", "-", self.name)


class ThpSuite:
    def __init__(self, b):
        self.b = b
        self.cells = []
        for a in b.allocs:
            self.cells.append(Cell(a, None))
            for base, conf in VARIANTS:
                if base == a["name"]:
                    self.cells.append(Cell(a, conf))
        self.runs = []
        self.elapsed = 0

    def reps(self, w):
        if self.b.args.reps:
            return self.b.args.reps
        return w["reps"] if self.b.mode == "full" else 1

    def cells_for(self, w):
        return [c for c in self.cells if c.conf is None or w["variants"]]

    # ---- running ------------------------------------------------------

    def run_all(self):
        b = self.b
        note("thp suite, mode %s, workloads: %s; cells: %s" % (
            b.mode, " ".join("%s (x%d)" % (w["name"], self.reps(w))
                             for w in b.workloads),
            ", ".join(c.name for c in self.cells)))
        t0 = time.monotonic()
        for rep in range(1, max(self.reps(w) for w in b.workloads) + 1):
            for w in b.workloads:
                if rep > self.reps(w):
                    continue
                cells = self.cells_for(w)
                k = (rep - 1) % len(cells)
                for c in cells[k:] + cells[:k]:
                    self.run_one(w, c, rep)
        self.elapsed = time.monotonic() - t0

    def run_one(self, w, c, rep):
        b = self.b
        log = os.path.join(b.logdir, "thp-%s.%s.%d" % (w["name"], c.tag,
                                                       rep))
        res = log + ".runone"
        argv = [os.path.join(b.bindir, w["prog"])] + b.args_for(w)
        if c.conf:
            argv = ["-e", "MALLOC_CONF=" + c.conf] + argv
        rc, text = b.run_cmd(b.runone_cmd(c.alloc["lib"], res, argv), log)
        r = b.parse_runone(res)
        err = b.check_output(text, r, rc)
        lines = parse_lines(text)
        conf = first(lines, "CONF", at="start") or {}
        conf_end = first(lines, "CONF", at="end") or {}
        if err is None and c.conf:
            # The variant must have reached the allocator.
            want = dict(kv.split(":", 1) for kv in c.conf.split(","))
            if "thp" in want and conf.get("thp") != want["thp"]:
                err = "MALLOC_CONF=%s not in force (opt.thp is %s)" % (
                    c.conf, conf.get("thp", "unknown"))
        m = None
        if err is None:
            m = getattr(self, "metrics_" + w["name"])(lines)
            if m is None:
                err = "bigheap's output lacks lines the report needs"
            else:
                m["maxrss"] = r["rss_kib"]
                m["conf"] = conf
                m["bg_end"] = conf_end.get("background_thread", "-")
        run = {"workload": w["name"], "cell": c.name,
               "allocator": c.alloc["name"], "rep": rep, "ok": err is None,
               "error": err, "log": log, "m": m}
        self.runs.append(run)
        if err is None:
            note("%-7s %-20s rep %d: %s" % (w["name"], c.name, rep,
                                            m["summary"]))
        else:
            b.failures.append("%s %s rep %d: %s (log %s)" % (
                w["name"], c.name, rep, err, log))
            note("%-7s %-20s rep %d: FAILED: %s" % (w["name"], c.name, rep,
                                                    err))
        if b.mode == "smoke":
            for line in text.splitlines():
                if line.startswith("RESULT "):
                    print(line)
        return run

    # ---- bigheap's output -----------------------------------------------

    @staticmethod
    def metrics_heap(lines):
        heap = first(lines, "HEAP")
        built = first(lines, "MEM", at="built")
        peak = first(lines, "MEM", at="peak")
        samples = {}
        for w, kv in lines:
            if w == "SAMPLE" and num(kv, "t") is not None:
                samples[num(kv, "t")] = (num(kv, "rss_kib"),
                                         num(kv, "lazy_kib"),
                                         num(kv, "ahp_kib"))
        if heap is None or peak is None or 0 not in samples:
            return None
        end = samples[max(samples)]
        return {"build_s": num(heap, "build_secs", float),
                "rss": num(peak, "rss_kib"), "anon": num(peak, "anon_kib"),
                "ahp": num(peak, "ahp_kib"),
                "huge_pct": num(peak, "huge_pct", float),
                "huge_built": num(built, "huge_pct", float)
                if built is not None else None,
                "samples": {t: v[0] for t, v in samples.items()},
                "lazy_end": end[1], "ahp_end": end[2],
                "summary": "build %.3f s, huge %s%%, RSS %s MiB, %s MiB "
                           "%d s after the free" % (
                               num(heap, "build_secs", float),
                               peak.get("huge_pct"),
                               mib(num(peak, "rss_kib")), mib(end[0]),
                               max(samples))}

    @staticmethod
    def metrics_bursty(lines):
        res = first(lines, "RESULT")
        bursts = [kv for w, kv in lines if w == "BURST"]
        if not bursts or res is None:
            return None
        return {"burst_ms": num(res, "burst_ms", float),
                "worst_pct": num(res, "worst_after_pct", float),
                "before1": num(bursts[0], "before_kib"),
                "peak": med(num(x, "peak_kib") for x in bursts),
                "free": med(num(x, "free_kib") for x in bursts),
                "after": [num(x, "idle_kib") for x in bursts],
                "lazy_end": num(bursts[-1], "idle_lazy_kib"),
                "summary": "burst %s ms (median), RSS before %s MiB, after "
                           "the gaps %s MiB (worst %s%%)" % (
                               res.get("burst_ms"),
                               mib(num(bursts[0], "before_kib")),
                               " ".join(mib(num(x, "idle_kib"))
                                        for x in bursts),
                               res.get("worst_after_pct"))}

    @staticmethod
    def metrics_random(lines):
        res = first(lines, "RESULT")
        built = first(lines, "MEM", at="built")
        rnd = first(lines, "RANDOM")
        if res is None or built is None or rnd is None:
            return None
        return {"secs": num(res, "secs", float),
                "mops": num(res, "mops", float),
                "csecs": num(res, "chase_secs", float),
                "cmops": num(res, "chase_mops", float),
                "huge_pct": num(built, "huge_pct", float),
                "rss": num(built, "rss_kib"),
                "build_s": num(rnd, "build_secs", float),
                "sum": res.get("sum"),
                "summary": "accesses %s s (%s M/s), dependent %s s "
                           "(%s M/s), huge %s%%" % (
                               res.get("secs"), res.get("mops"),
                               res.get("chase_secs"),
                               res.get("chase_mops"),
                               built.get("huge_pct"))}

    def cell(self, wl, cname):
        """Median over the cell's good runs of each metric."""
        ok = [r["m"] for r in self.runs if r["workload"] == wl and
              r["cell"] == cname and r["ok"]]
        n = len([r for r in self.runs if r["workload"] == wl and
                 r["cell"] == cname])
        if not ok:
            return {"n": n, "ok": 0}
        c = {"n": n, "ok": len(ok), "conf": ok[0]["conf"],
             "bg_end": ok[0]["bg_end"]}
        for k, v in ok[0].items():
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                c[k] = med(x.get(k) for x in ok)
        if "samples" in ok[0]:
            c["samples"] = {t: med(x["samples"].get(t) for x in ok)
                            for t in ok[0]["samples"]}
        if "after" in ok[0]:
            c["after"] = [med(x["after"][i] if i < len(x["after"]) else
                              None for x in ok)
                          for i in range(len(ok[0]["after"]))]
        if "sum" in ok[0]:
            c["sums"] = sorted(set(x["sum"] for x in ok))
        return c

    # ---- report ---------------------------------------------------------

    def report(self, info):
        b = self.b
        wls = [w["name"] for w in b.workloads]
        now = datetime.datetime.now(datetime.timezone.utc)
        thp = "/sys/kernel/mm/transparent_hugepage/"
        md = ["# domalloc huge page and memory return results (%s)" %
              b.mode, ""]
        md.append("- Date: %s" % now.strftime("%Y-%m-%d %H:%M UTC"))
        md.append("- Machine: %d CPUs (nproc), %s, %s RAM; %s; Linux %s; "
                  "glibc %s" % (info["nproc"], info["cpu"], info["mem"],
                                info["os"], info["kernel"],
                                info["glibc"].replace("glibc ", "")))
        md.append("- THP: enabled %s; defrag %s; khugepaged defrag %s, "
                  "max_ptes_none %s; PMD size %s KiB" % (
                      info["thp"], sysfs(thp + "defrag"),
                      sysfs(thp + "khugepaged/defrag"),
                      sysfs(thp + "khugepaged/max_ptes_none"),
                      (lambda v: str(int(v) // 1024) if v.isdigit() else v)(
                          sysfs(thp + "hpage_pmd_size"))))
        md.append("- Runs: %s; repetitions interleaved across cells in "
                  "rotated order; cells show the median; run time %.0f s" % (
                      ", ".join("%s x%d" % (w["name"], self.reps(w))
                                for w in b.workloads), self.elapsed))
        md.append("- Allocators: " + "; ".join(
            "%s %s (%s)" % (a["name"], a["version"],
                            a["shown"] or "no preload") for a in b.allocs))
        md.append("- Cells: every allocator with default options "
                  "(MALLOC_CONF and the other tuning variables removed), "
                  "plus %s for heap and random (MALLOC_CONF set for that "
                  "cell only; the run fails if the allocator's opt.thp "
                  "does not show it)" % ", ".join(
                      "%s MALLOC_CONF=%s" % v for v in VARIANTS))
        md.append("- Memory figures come from the program itself: Rss, "
                  "AnonHugePages and LazyFree summed over "
                  "/proc/self/smaps_rollup, read with open/read (no "
                  "allocation); huge % = AnonHugePages / Rss; peak RSS "
                  "is ru_maxrss from runone.  Options shown (opt.thp, "
                  "background_thread, decay) are read with mallctl where "
                  "the allocator has it")
        for n in b.notes:
            md.append("- Note: " + n)
        md.append("")
        if "heap" in wls:
            self.md_heap(md)
            self.md_freeall(md)
        if "bursty" in wls:
            self.md_bursty(md)
        if "random" in wls:
            self.md_random(md)
        self.md_targets(md, wls)
        md.append("## Workloads")
        md.append("")
        for w in b.workloads:
            md.append("- **%s**: %s (`bigheap %s`)" % (
                w["name"], self.desc(w["name"]), " ".join(b.args_for(w))))
        md.append("")
        if b.failures:
            md.append("## Failures")
            md.append("")
            for f in b.failures:
                md.append("- " + f)
            md.append("")
        text = "\n".join(md)
        with open(os.path.join(b.outdir, "thp.md"), "w") as f:
            f.write(text)
        return text

    def workload(self, wl):
        return [x for x in self.b.workloads if x["name"] == wl][0]

    def desc(self, wl):
        w = self.workload(wl)
        return describe(w, self.b.args_for(w))

    def rows(self, wl, md, fn):
        """One row per cell of workload wl; fn(cell) gives its columns."""
        for c in self.cells_for(self.workload(wl)):
            x = self.cell(wl, c.name)
            if not x["ok"]:
                md.append("| %s | %s |" % (c.name, "FAIL" if x["n"]
                                            else "-"))
                continue
            cols = fn(c, x)
            if x["ok"] < x["n"]:
                cols[-1] += " (%d/%d ok)" % (x["ok"], x["n"])
            md.append("| " + " | ".join([c.name] + cols) + " |")

    @staticmethod
    def f(v, fmt="%.1f"):
        return "-" if v is None or v < 0 else fmt % v

    def md_heap(self, md):
        md.append("## heap: huge page backing after the heap is built")
        md.append("")
        md.append(self.desc("heap") + ".")
        md.append("")
        md.append("| cell | opt.thp | build (s) | huge % right after "
                  "the build | RSS after the hold (MiB) | AnonHugePages "
                  "(MiB) | huge % of RSS after the hold | peak RSS (MiB) |")
        md.append("|---|---|---:|---:|---:|---:|---:|---:|")
        self.rows("heap", md, lambda c, x: [
            x["conf"].get("thp", "-"), self.f(x.get("build_s"), "%.3f"),
            self.f(x.get("huge_built")),
            mib(x.get("rss")), mib(x.get("ahp")),
            self.f(x.get("huge_pct")), mib(x.get("maxrss"))])
        md.append("")

    def md_freeall(self, md):
        w = self.workload("heap")
        times = sorted({t for c in self.cells_for(w)
                        for t in self.cell("heap", c.name).get("samples",
                                                              {})})
        md.append("## freeall: RSS (MiB) after freeing the whole heap, "
                  "while the process sleeps without allocator calls")
        md.append("")
        md.append("Columns: whether the allocator's background thread ran "
                  "at the start and at the end of the run (mallctl "
                  "background_thread); RSS at the peak (after the build), "
                  "right after the last free (0 s), then seconds after "
                  "it; the end as a share of the peak; the first sample "
                  "at or below "
                  "%d%% of the peak; how much of the final RSS is "
                  "LazyFree (MADV_FREE'd but not yet reclaimed) and "
                  "AnonHugePages (a rise while the process sleeps is "
                  "khugepaged collapsing ranges still advised "
                  "MADV_HUGEPAGE)." % (RETURN_TARGET * 100))
        md.append("")
        md.append("| cell | background thread (start/end) | "
                  "decay ms (dirty/muzzy) | "
                  "peak | " + " | ".join("%d s" % t for t in times) +
                  " | end / peak | <= %d%% at | LazyFree at end | "
                  "AnonHugePages at end |" % (RETURN_TARGET * 100))
        md.append("|---|---|---|" + "---:|" * (len(times) + 5))

        def cols(c, x):
            s = x["samples"]
            pk = x.get("rss")
            end = s.get(max(s)) if s else None
            hit = [t for t in times if s.get(t) is not None and pk and
                   s[t] <= RETURN_TARGET * pk]
            cf = x["conf"]
            return ["%s/%s" % (cf.get("background_thread", "-"),
                               x["bg_end"]),
                    "%s/%s" % (cf.get("dirty_decay_ms", "-"),
                               cf.get("muzzy_decay_ms", "-"))
                    if cf.get("dirty_decay_ms", "-") != "-" else "-",
                    mib(pk)] + [mib(s.get(t)) for t in times] + [
                    "%.0f%%" % (100 * end / pk) if pk and end is not None
                    else "-",
                    "%d s" % hit[0] if hit else "not within %d s" % max(
                        times or [0]), mib(x.get("lazy_end")),
                    mib(x.get("ahp_end"))]
        self.rows("heap", md, cols)
        md.append("")

    def md_bursty(self, md):
        n = max([len(self.cell("bursty", c.name).get("after", []))
                 for c in self.cells] + [0])
        jem = self.cell("bursty", "jemalloc").get("burst_ms")
        md.append("## bursty: the live set jumps up and back, idle gaps "
                  "without allocator calls")
        md.append("")
        md.append(self.desc("bursty") + ".  "
                  "Time per burst: allocate, write, free in random order "
                  "and check its objects (median over the bursts).  RSS "
                  "(MiB) before the first burst, the median over the "
                  "bursts at their peak and right after their free, and "
                  "after each idle gap (which is also the RSS just before "
                  "the next burst).  Returns: every after-gap RSS within "
                  "%d%% of the RSS before the first burst." %
                  round((BURST_TARGET - 1) * 100))
        md.append("")
        md.append("| cell | burst (ms) | / jemalloc | before | peak | "
                  "after free | " + " | ".join(
                      "after gap %d" % (i + 1) for i in range(n)) +
                  " | worst after / before | returns |")
        md.append("|---|" + "---:|" * (n + 7))
        self.rows("bursty", md, lambda c, x: [
            self.f(x.get("burst_ms")),
            "%.2f" % (x["burst_ms"] / jem) if jem and x.get("burst_ms")
            else "-", mib(x.get("before1")), mib(x.get("peak")),
            mib(x.get("free"))] + [mib(v) for v in x["after"]] +
            [""] * (n - len(x["after"])) + [
            self.f(x.get("worst_pct"), "%.0f%%"),
            "yes" if x.get("worst_pct") is not None and
            x["worst_pct"] <= BURST_TARGET * 100 else "no"])
        md.append("")

    def md_random(self, md):
        never = self.cell("random", "domalloc thp:never")
        md.append("## random: random accesses over a large heap")
        md.append("")
        md.append(self.desc("random") + "; median over the repetitions.  "
                  "Independent accesses overlap as far as the CPU allows; "
                  "dependent ones each wait for the previous one (the next "
                  "pointer depends on the word it read), so the cost of a "
                  "TLB miss is not hidden.  Speed-up: the time of "
                  "domalloc thp:never divided by the cell's (computed "
                  "from the rates).")
        md.append("")
        md.append("| cell | opt.thp | huge % of RSS | RSS (MiB) | "
                  "build (s) | independent (s) | M/s | speed-up | "
                  "dependent (s) | M/s | speed-up |")
        md.append("|---|---|" + "---:|" * 9)

        # From the rates, which keep more digits than the times.
        def up(x, key):
            return "%.2f" % (x[key] / never[key]) if never.get(key) and \
                x.get(key) else "-"
        self.rows("random", md, lambda c, x: [
            x["conf"].get("thp", "-"), self.f(x.get("huge_pct")),
            mib(x.get("rss")), self.f(x.get("build_s"), "%.3f"),
            self.f(x.get("secs"), "%.3f"), self.f(x.get("mops"), "%.2f"),
            up(x, "mops"), self.f(x.get("csecs"), "%.3f"),
            self.f(x.get("cmops"), "%.2f"), up(x, "cmops")])
        md.append("")
        for line in self.random_speedups():
            md.append("- " + line)
        sums = {c.name: self.cell("random", c.name).get("sums")
                for c in self.cells}
        seen = {s for v in sums.values() if v for s in v}
        if len(seen) > 1:
            self.b.failures.append(
                "random: the access checksums differ between cells (the "
                "same accesses must read the same values): %s" % ", ".join(
                    "%s %s" % (k, "/".join(v)) for k, v in sums.items()
                    if v))
        md.append("")

    def random_speedups(self):
        """Huge page speed-ups of domalloc and jemalloc, as sentences."""
        out = []
        pairs = [("domalloc", "domalloc thp:never", "domalloc"),
                 ("jemalloc", "jemalloc", "jemalloc thp:always")]
        for name, slow, fast in pairs:
            s = self.cell("random", slow)
            t = self.cell("random", fast)
            part = []
            for key, rate, kind in (("secs", "mops", "independent"),
                                    ("csecs", "cmops", "dependent")):
                if s.get(rate) and t.get(rate):
                    part.append("%s %.3f s vs %.3f s: **%.2fx**" % (
                        kind, s[key], t[key], t[rate] / s[rate]))
            if part:
                out.append("Huge page speed-up of %s (%s vs %s): %s" % (
                    name, slow, fast, "; ".join(part)))
        return out

    def md_targets(self, md, wls):
        out = []

        def verdict(ok):
            return "met" if ok else "**not met**"

        dh = self.cell("heap", "domalloc") if "heap" in wls else {}
        jh = self.cell("heap", "jemalloc") if "heap" in wls else {}
        if dh.get("huge_pct") is not None:
            out.append("heap: domalloc huge-page backed %.1f%% of RSS "
                       "(target >= %.0f%%): %s" % (
                           dh["huge_pct"], HUGE_TARGET,
                           verdict(dh["huge_pct"] >= HUGE_TARGET)))
        if dh.get("maxrss") and jh.get("maxrss"):
            out.append("heap: domalloc peak RSS %s MiB vs jemalloc %s MiB "
                       "(target: no higher): %s" % (
                           mib(dh["maxrss"]), mib(jh["maxrss"]),
                           verdict(dh["maxrss"] <= jh["maxrss"])))
        if dh.get("samples") and dh.get("rss"):
            s = dh["samples"]
            last = max(s)
            out.append("freeall: domalloc RSS %d s after the free %s MiB "
                       "= %.1f%% of the peak %s MiB (target <= %d%% "
                       "within 20 s): %s" % (
                           last, mib(s[last]), 100 * s[last] / dh["rss"],
                           mib(dh["rss"]), RETURN_TARGET * 100,
                           verdict(s[last] <= RETURN_TARGET * dh["rss"])))
        db = self.cell("bursty", "domalloc") if "bursty" in wls else {}
        jb = self.cell("bursty", "jemalloc") if "bursty" in wls else {}
        if db.get("worst_pct") is not None:
            out.append("bursty: domalloc's worst RSS after a gap is %.0f%% "
                       "of the RSS before the first burst (target <= "
                       "%.0f%%): %s" % (
                           db["worst_pct"], BURST_TARGET * 100,
                           verdict(db["worst_pct"] <= BURST_TARGET * 100)))
        if db.get("burst_ms") and jb.get("burst_ms"):
            out.append("bursty: domalloc %.1f ms per burst vs jemalloc "
                       "%.1f ms (target: no worse): %s" % (
                           db["burst_ms"], jb["burst_ms"],
                           verdict(db["burst_ms"] <= jb["burst_ms"])))
        if "random" in wls:
            for line in self.random_speedups():
                out.append("random: " + line[0].lower() + line[1:] +
                           " (reported, no target)")
        if not out:
            return
        md.append("## Targets (issue 5)")
        md.append("")
        if self.b.mode != "full":
            md.append("Sizes of the %s mode, not the issue's: indicative "
                      "only." % self.b.mode)
            md.append("")
        for o in out:
            md.append("- " + o)
        md.append("")


def run(b, info):
    """run-bench --thp: run the suite with Bench b set up; exit status."""
    suite = ThpSuite(b)
    suite.run_all()
    text = suite.report(info)
    if b.mode != "smoke":
        print()
        print(text)
        print("run-bench: results in %s (thp.md, logs/thp-*)" % b.outdir)
    for f in b.failures:
        note("FAILED: " + f)
    dom_failed = b.dom_broken or any(
        r["allocator"] == "domalloc" and not r["ok"] for r in suite.runs)
    if dom_failed or (b.mode == "smoke" and b.failures):
        return 1
    return 0
