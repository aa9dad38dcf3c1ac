#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
#
# demo.py: the default program of `make run`.
#
# An allocation-heavy Python workload that exercises the allocator the way
# real interpreted programs do: it builds and drops dictionaries of records,
# lists of tuples, many short strings, a few multi-megabyte buffers and
# growing byte strings, several hundred megabytes of allocation churn in a few
# seconds.  Run it with PYTHONMALLOC=malloc so that every Python object goes
# through malloc(3) rather than pymalloc's private arenas.  It prints one line
# with the work done and a checksum that does not depend on the allocator.
#

import hashlib
import sys
import time


def records(rnd, n):
    """A dict of n small records keyed by short strings."""
    table = {}
    for i in range(n):
        key = "k%06d-%x" % (i, rnd & 0xffff)
        rnd = (rnd * 6364136223846793005 + 1442695040888963407) & (2**64 - 1)
        table[key] = {
            "id": i,
            "name": "item-" + str(rnd % 100003),
            "tags": [str(rnd >> s & 0xff) for s in range(0, 40, 8)],
            "score": (rnd >> 20) / float(1 << 44),
        }
    return table, rnd


def churn(rounds, scale):
    rnd = 0x9e3779b97f4a7c15
    digest = hashlib.sha256()
    churned = 0
    objects = 0
    keep = []
    for r in range(rounds):
        table, rnd = records(rnd, scale)
        objects += len(table) * 9
        churned += len(table) * 600
        # Sort records by score, join some of them into one long string.
        best = sorted(table.values(), key=lambda d: (d["score"], d["id"]))
        text = ",".join(d["name"] for d in best[: scale // 4])
        digest.update(text.encode())
        churned += len(text) * 2
        # Lists of tuples and a growing bytearray.
        pairs = [(d["id"], d["name"][::-1]) for d in best]
        buf = bytearray()
        for i, s in pairs[: scale // 2]:
            buf += s.encode()
            buf += i.to_bytes(4, "little")
        digest.update(bytes(buf))
        churned += len(pairs) * 120 + len(buf) * 3
        # A few large buffers: page-run and superpage-sized allocations.
        big = [bytes([r & 0xff]) * (256 << 10 << (i % 4)) for i in range(6)]
        churned += sum(len(b) for b in big)
        digest.update(b"".join(b[:64] for b in big))
        # Keep a fraction alive across rounds so the heap has history.
        keep.append(best[:: 50])
        if len(keep) > 4:
            keep.pop(0)
        del table, best, pairs, buf, big, text
    return objects, churned, digest.hexdigest()[:16]


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    scale = int(sys.argv[2]) if len(sys.argv) > 2 else 40000
    t0 = time.monotonic()
    objects, churned, check = churn(rounds, scale)
    dt = time.monotonic() - t0
    print("demo.py: %d rounds, %.1f M objects, ~%d MB churned in %.2f s, "
          "checksum %s" % (rounds, objects / 1e6, churned >> 20, dt, check))


if __name__ == "__main__":
    main()
