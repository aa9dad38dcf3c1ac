# SPDX-License-Identifier: BSD-2-Clause
# pyalloc.py: the python3 workload of the benchmark suite.  An
# allocation-heavy script in the style of a data-processing job: it builds
# records (dicts of strings, lists, floats and bytes), serialises them to
# JSON and parses them back, sorts and groups them, grows and trims strings
# and drops half the records before the next round.  The runner starts it
# with PYTHONMALLOC=malloc so that every object allocation reaches the
# allocator under test instead of being served by pymalloc's arenas.  The
# script checks its own work (round-trip equality and two independently
# computed totals) and prints the same RESULT line as the C workloads.
#
# usage: python3 pyalloc.py [n=RECORDS] [rounds=N] [seed=N]

import json
import random
import sys
import time


def parse_args(argv):
    opts = {"n": 20000, "rounds": 6, "seed": 1}
    for a in argv:
        key, sep, val = a.partition("=")
        if not sep or key not in opts:
            sys.exit("usage: pyalloc.py [n=N] [rounds=N] [seed=N]")
        opts[key] = int(val, 0)
    return opts


def make_record(rng, i):
    words = ["w%x" % rng.getrandbits(24) for _ in range(rng.randint(1, 12))]
    return {
        "id": i,
        "name": "record-%d-%s" % (i, "-".join(words[:3])),
        "tags": words,
        "score": rng.random() * 1000.0,
        "payload": rng.randbytes(rng.choice((8, 24, 100, 300, 1500))),
        "counts": {w: len(w) * j for j, w in enumerate(words)},
    }


def one_round(rng, records, next_id, n):
    while len(records) < n:
        records.append(make_record(rng, next_id))
        next_id += 1

    # JSON round trip: bytes are not JSON, so carry them as hex strings.
    text = json.dumps([dict(r, payload=r["payload"].hex()) for r in records])
    back = json.loads(text)
    for r, b in zip(records, back):
        b["payload"] = bytes.fromhex(b["payload"])
        if r != b:
            sys.exit("pyalloc: JSON round trip changed record %d" % r["id"])

    # Group by first tag, sort each group, build report strings.
    groups = {}
    for r in records:
        groups.setdefault(r["tags"][0][:3], []).append(r)
    lines = []
    for key in sorted(groups):
        g = sorted(groups[key], key=lambda r: (r["score"], r["id"]))
        lines.append("%s:%d:%s" % (key, len(g),
                                   ",".join(str(r["id"]) for r in g[:50])))
    report = "\n".join(lines)

    # Grow and trim strings in place, as log or text builders do.
    for r in records[::3]:
        r["name"] += "/" + "".join(r["tags"])
        r["name"] = r["name"][: 40 + (r["id"] % 200)]

    total1 = sum(len(r["payload"]) + len(r["tags"]) for r in records)
    total2 = sum(len(b["payload"]) + len(b["tags"]) for b in back)
    if total1 != total2:
        sys.exit("pyalloc: totals differ (%d != %d)" % (total1, total2))

    # Drop a random half; the next round refills the list.
    rng.shuffle(records)
    del records[len(records) // 2:]
    return next_id, len(report) + total1


def main():
    opts = parse_args(sys.argv[1:])
    rng = random.Random(opts["seed"])
    t0 = time.perf_counter()
    records = []
    next_id = 0
    work = 0
    for _ in range(opts["rounds"]):
        next_id, w = one_round(rng, records, next_id, opts["n"])
        work += w
    secs = time.perf_counter() - t0
    print("RESULT workload=python ops=%d secs=%.3f mops=%.3f work=%d "
          "check=ok" % (next_id, secs, next_id / secs / 1e6, work))


if __name__ == "__main__":
    main()
