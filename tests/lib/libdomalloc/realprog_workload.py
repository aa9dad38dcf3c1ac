#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
#
# realprog_workload.py: the python3 workload of realprog_test.sh.
#
# It owns a deterministic, allocation-heavy Python run (about 1-3 s) whose
# output depends only on the computation, never on addresses, hash seeds or
# the allocator: realprog_test runs it with and without libdomalloc.so
# preloaded (and PYTHONMALLOC=malloc, so every object is a malloc block) and
# requires byte-identical output.  Each phase prints one line with a digest.
#

import hashlib
import json
import re
import sys
import zlib


class Lcg:
    """A small deterministic generator, independent of Python's random."""

    def __init__(self, seed):
        self.state = seed

    def next(self):
        self.state = (self.state * 6364136223846793005 +
                      1442695040888963407) & 0xffffffffffffffff
        return self.state >> 33


class Node:
    """A tree node with an instance dict, as object-heavy programs have."""

    def __init__(self, key, depth):
        self.key = key
        self.depth = depth
        self.children = []
        self.payload = "n%d:%s" % (key, "x" * (key % 23))


def digest(obj):
    return hashlib.sha1(repr(obj).encode()).hexdigest()[:16]


def phase_json(rnd, n):
    docs = []
    for i in range(n):
        docs.append({
            "id": i,
            "name": "user%05d" % rnd.next(),
            "tags": ["t%d" % (rnd.next() % 97) for _ in range(rnd.next() % 8)],
            "nested": {"a": [rnd.next() % 1000 for _ in range(5)],
                       "b": {"c": str(rnd.next())}},
        })
    text = json.dumps(docs, sort_keys=True)
    back = json.loads(text)
    return len(text), digest(back[:: 97])


def phase_strings(rnd, n):
    words = ["w%x" % rnd.next() for _ in range(n)]
    text = " ".join(words)
    upper = text.upper()
    parts = re.findall(r"W[0-9A-F]{3,5}\b", upper)
    counts = {}
    for w in words:
        counts[w[:3]] = counts.get(w[:3], 0) + 1
    top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:10]
    packed = zlib.compress(text.encode(), 6)
    return len(parts), len(packed), digest(top)


def phase_tree(rnd, n):
    root = Node(0, 0)
    nodes = [root]
    for i in range(1, n):
        parent = nodes[rnd.next() % len(nodes)]
        child = Node(i, parent.depth + 1)
        parent.children.append(child)
        nodes.append(child)
    total = 0
    stack = [root]
    while stack:
        node = stack.pop()
        total += len(node.payload) * (node.depth + 1)
        stack.extend(node.children)
    # Drop half the tree and rebuild part of it, so memory is reused.
    for node in nodes[::2]:
        node.children = []
    again = [Node(i, 0) for i in range(n // 2)]
    return total, max(x.depth for x in nodes), len(again)


def phase_containers(rnd, n):
    big = [(rnd.next() % 100000, "v%d" % i) for i in range(n)]
    big.sort()
    s = set(k for k, _ in big)
    d = {k: v for k, v in big}
    growing = bytearray()
    for i in range(n // 4):
        growing += d.get(big[i][0], "?").encode()
    lists = [[i] * (i % 300) for i in range(n // 20)]
    return (len(s), len(d), len(growing), sum(map(len, lists)),
            digest(big[::1000]))


def main():
    scale = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    rnd = Lcg(20240601)
    print("json", *phase_json(rnd, 15000 * scale))
    print("strings", *phase_strings(rnd, 200000 * scale))
    print("tree", *phase_tree(rnd, 150000 * scale))
    print("containers", *phase_containers(rnd, 300000 * scale))


if __name__ == "__main__":
    main()
