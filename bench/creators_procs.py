"""How far more processes would take creator search: in-process searches/s on a built store.

    .venv/bin/python bench/creators_procs.py --home /tmp/creators1m [--seconds 20]

Opens the store that ``bench/creators.py --home`` built (e.g. the 1M one), warms it, then runs
``search_creators`` (the bench's random filters and query texts, k = 10) for ``--seconds`` each as:

* one process, 1 thread — the baseline;
* one process, 2 threads — what ``adlens serve`` does (two search slots): the GIL caps it;
* 2 processes forked after loading, sharing the loaded store copy-on-write and only reading — the
  ceiling of ``adlens serve --workers 2`` on these cores without the HTTP layer.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from creators_http import payloads

from adlens.config import Settings
from adlens.creators.filters import CreatorFilters
from adlens.creators.search import search_creators
from adlens.runtime import Runtime


def loop(rt: Runtime, body: list[dict[str, Any]], offset: int, until: float) -> int:
    n, i = 0, offset
    while time.perf_counter() < until:
        b = body[i % len(body)]
        i += 7
        search_creators(rt, b["query"], filters=CreatorFilters(**b["filters"]), k=10)
        n += 1
    return n


def threads_rate(rt: Runtime, body: list[dict[str, Any]], threads: int, seconds: float) -> float:
    counts: list[int] = []
    until = time.perf_counter() + seconds
    workers = [
        threading.Thread(target=lambda t=t: counts.append(loop(rt, body, 100 + 997 * t, until)))
        for t in range(threads)
    ]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return sum(counts) / seconds


def forked_rate(rt: Runtime, body: list[dict[str, Any]], procs: int, seconds: float) -> float:
    r, w = os.pipe()
    until = time.perf_counter() + seconds
    pids = []
    for k in range(procs):
        pid = os.fork()
        if pid == 0:  # child: search, report the count, leave without running any cleanup
            os.write(w, f"{loop(rt, body, 200 + 1499 * k, until)}\n".encode())
            os._exit(0)
        pids.append(pid)
    for pid in pids:
        os.waitpid(pid, 0)
    os.close(w)
    counts = [int(x) for x in os.read(r, 1 << 12).decode().split()]
    return sum(counts) / seconds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--home", type=Path, required=True, help="ADLENS_HOME of a store built by bench/creators.py"
    )
    ap.add_argument("--seconds", type=float, default=20.0)
    args = ap.parse_args()
    rt = Runtime(Settings(home=args.home))
    body = payloads(4000)
    for b in body[:80]:  # load the store and embed every query text once (the server keeps an LRU)
        search_creators(rt, b["query"], filters=CreatorFilters(**b["filters"]), k=10)
    print(f"load average at start: {os.getloadavg()[0]:.2f}\n")
    print("| configuration | searches/s | vs 1 process x 1 thread |\n|---|---|---|")
    base = threads_rate(rt, body, 1, args.seconds)
    print(f"| 1 process x 1 thread (baseline) | {base:.1f} | 1.00 |", flush=True)
    two = threads_rate(rt, body, 2, args.seconds)
    print(f"| 1 process x 2 threads (adlens serve, one worker) | {two:.1f} | {two / base:.2f} |", flush=True)
    forked = forked_rate(rt, body, 2, args.seconds)
    print(f"| 2 forked processes x 1 thread | {forked:.1f} | {forked / base:.2f} |", flush=True)


if __name__ == "__main__":
    main()
