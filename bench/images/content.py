#!/usr/bin/env python3
"""Fill DIR with about MB megabytes of files for one layer of the bench image.

  content.py DIR SEED MB

Like a distribution's layer: many small files and a few large ones (99 in
100 log-uniform from 256 B to 64 KiB, the rest from 64 KiB to 4 MiB), in
nested directories, three quarters of the
bytes text-like (gzip takes them to about a third) and a quarter random
(incompressible, like already-compressed data).  The same SEED gives the
same files, so every run pulls the same image.
"""
import math
import os
import random
import sys


def main():
    root, seed, mb = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    rng = random.Random(seed)
    words = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz_") for _ in range(rng.randint(2, 12)))
             for _ in range(4096)]
    budget = mb << 20
    n = 0
    while budget > 0:
        lo, hi = (256, 64 << 10) if rng.random() < 0.99 else (64 << 10, 4 << 20)
        size = min(budget, int(math.exp(rng.uniform(math.log(lo), math.log(hi)))))
        d = os.path.join(root, "d%02d" % rng.randrange(40), "s%02d" % rng.randrange(25))
        os.makedirs(d, exist_ok=True)
        if rng.random() < 0.25:
            data = rng.randbytes(size)
        else:
            out, have = [], 0
            while have < size:
                line = " ".join(rng.choices(words, k=rng.randint(4, 16))) + "\n"
                out.append(line)
                have += len(line)
            data = "".join(out).encode()[:size]
        with open(os.path.join(d, "f%05d" % n), "wb") as f:
            f.write(data)
        n += 1
        budget -= size


main()
