#!/usr/bin/env python3
"""The file system's floor for writing a site of N pages afresh: N directories and N files of
6 KB (a page's size) created one after the other under a new directory in DIR, then removed.
Prints the median milliseconds of RUNS runs (default 3). No program that writes a new tree of N
pages, as a build into an empty output does, can take less on the same file system.

    bench/disk-floor.py N DIR [RUNS]
"""
import os
import shutil
import statistics
import sys
import tempfile
import time


def once(n, where):
    base = tempfile.mkdtemp(prefix="floor-", dir=where)
    page = b"x" * 6000
    started = time.perf_counter()
    for i in range(n):
        d = os.path.join(base, f"page-{i:05}")
        os.mkdir(d)
        with open(os.path.join(d, "index.html"), "wb") as f:
            f.write(page)
    took = time.perf_counter() - started
    shutil.rmtree(base)
    return took * 1000


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__.strip())
    n, where = int(sys.argv[1]), sys.argv[2]
    runs = int(sys.argv[3]) if len(sys.argv) == 4 else 3
    print(f"{statistics.median(once(n, where) for _ in range(runs)):.1f}")


if __name__ == "__main__":
    main()
