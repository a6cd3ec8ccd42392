"""The two costs of a filtered exact search at 1M rows, each against its baseline in one run.

    .venv/bin/python bench/store_scan.py [--rows 1000000] [--queries 200]

1. **Exact scan** of m scattered rows of a 1M x 384 float32 matrix, top-10: FAISS inner products by
   index on float32 (the baseline: what the store did before) vs the int8 pre-scan + float32
   rescoring of ``max(128, 4k)`` rows (``adlens.store.planner.exact_topk`` with codes). Recall@10 of
   the pre-scan against the float32 result.
2. **Selection** of ``category = c AND followers >= t`` (category 1/25 of the rows, random t), with
   the alive mask and the category leaf already cached (as in service, where categories repeat and
   thresholds do not): the whole-column masks + positions (the baseline) vs the narrowed path that
   starts from the category's cached positions (``adlens.store.selection``). Both must select the
   same rows as numpy.

Vectors are clustered synthetic unit vectors (25 centres, like sentence embeddings of a few topics);
p50 / p90 in ms over ``--queries`` queries, one thread.
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np

from adlens.store import filters, selection
from adlens.store.memstate import CollectionState, Rows
from adlens.store.planner import exact_topk
from adlens.store.quantized import Int8Codes

DIM, K, TOPICS = 384, 10, 25


def clustered(rng: np.random.Generator, n: int) -> np.ndarray:
    centres = rng.normal(size=(TOPICS, DIM)).astype(np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    out = np.empty((n, DIM), np.float32)
    for s in range(0, n, 100_000):
        m = min(100_000, n - s)
        x = centres[rng.integers(0, TOPICS, m)] + rng.normal(size=(m, DIM)).astype(np.float32) / np.sqrt(DIM)
        out[s : s + m] = x / np.linalg.norm(x, axis=1, keepdims=True)
    return out


def pct(xs: list[float]) -> str:
    a = np.asarray(xs) * 1000
    return f"{np.percentile(a, 50):.2f} / {np.percentile(a, 90):.2f}"


def scans(mat: np.ndarray, rng: np.random.Generator, queries: int) -> None:
    t0 = time.perf_counter()
    codes = Int8Codes(mat)
    print(f"int8 codes of {mat.shape[0]:,} rows built in {time.perf_counter() - t0:.1f} s\n")
    print(
        "| rows scanned | float32 by index (baseline) p50 / p90 ms | int8 pre-scan + rescoring p50 / p90 ms | speed-up (p50) | recall@10 |"
    )
    print("|---|---|---|---|---|")
    for m in (600, 1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000):
        base, ours, hit = [], [], 0
        for _ in range(queries):
            pos = np.sort(rng.choice(mat.shape[0], m, replace=False)).astype(np.int64)
            q = clustered(rng, 1)[0]
            t = time.perf_counter()
            _, want = exact_topk(mat, q, K, pos)
            base.append(time.perf_counter() - t)
            t = time.perf_counter()
            _, got = exact_topk(mat, q, K, pos, lambda: codes)
            ours.append(time.perf_counter() - t)
            hit += len(set(want.tolist()) & set(got.tolist()))
        speed = np.median(base) / np.median(ours)
        print(f"| {m:,} | {pct(base)} | {pct(ours)} | {speed:.1f}x | {hit / (K * queries):.4f} |", flush=True)


def selections(n: int, rng: np.random.Generator, queries: int) -> None:
    cats = rng.integers(0, TOPICS, n)
    followers = np.exp(rng.uniform(np.log(1_000), np.log(50_000_000), n)).round()
    metas = [
        {"category": f"c{c}", "followers": float(f)}
        for c, f in zip(cats.tolist(), followers.tolist(), strict=True)
    ]
    st = CollectionState({})
    st.append(
        Rows(
            np.arange(1, n + 1), ["default"] * n, [str(i) for i in range(n)], metas, {}, ["{}"] * n, [""] * n
        )
    )
    base, ours = [], []
    for _ in range(queries):
        c, t = int(rng.integers(0, TOPICS)), float(np.exp(rng.uniform(np.log(3_000), np.log(10_000_000))))
        node = filters.parse({"category": f"c{c}", "followers": {"$gte": t}})
        want = np.flatnonzero((cats == c) & (followers >= t))
        st.version += 1  # a new state version: nothing cached
        selection.select(st, None, None).positions()  # the alive mask, cached in service
        selection.select(st, None, filters.parse({"category": f"c{c}"})).positions()  # the leaf, popular
        fraction, selection.NARROW_FRACTION = selection.NARROW_FRACTION, 10**12  # never narrow
        try:
            tb = time.perf_counter()
            got_b = selection.select(st, None, node).positions()
            base.append(time.perf_counter() - tb)
        finally:
            selection.NARROW_FRACTION = fraction
        to = time.perf_counter()
        got_o = selection.select(st, None, node).positions()
        ours.append(time.perf_counter() - to)
        assert np.array_equal(got_b, want) and np.array_equal(got_o, want)
    print("\n| selection of category AND followers >= t | p50 / p90 ms |")
    print("|---|---|")
    print(f"| whole-column masks + positions (baseline) | {pct(base)} |")
    print(f"| narrowed from the category's cached positions | {pct(ours)} |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--queries", type=int, default=200)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    print(f"load average at start: {os.getloadavg()[0]:.2f}; {args.rows:,} rows x {DIM}\n")
    scans(clustered(rng, args.rows), rng, args.queries)
    selections(args.rows, rng, args.queries)
    print(f"\nload average at end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
