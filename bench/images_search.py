"""Image search latency over 100k indexed images vs a brute-force numpy baseline, in the same run.

    .venv/bin/python bench/images_search.py [--n 100000] [--queries 100]

The index is synthetic (random unit vectors for every field of the ``images`` collection, metadata with
formats, sizes, people/text flags and alt text drawn from a 300-word vocabulary) in a temporary
embedded store (SQLite + FAISS). Queries are real phrases, embedded once with MiniLM.

Rows (p50 / p99 in ms, one query at a time):

* ``numpy brute force`` — the baseline: ``M @ q`` over the 100k ``text`` vectors + ``argpartition`` top-10
  (with a filter: the boolean mask applied first);
* ``store vector search`` — ``VectorStore.search`` on the ``text`` field (ANN / exact-scan planner);
* ``full search`` — :meth:`ImageSearch.search` end to end: parse, embed the query, vector + BM25
  candidates, exact cosines, keyword matches, fusion, floor, dedupe (query embedding included).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from adlens.config import Settings
from adlens.images.schema import COLLECTION, VECTOR_FIELDS, build_record, ensure_collection
from adlens.images.search import ImageSearch
from adlens.runtime import Runtime

QUERIES = [
    "red running shoes", "apple watch", "team photo", "summer sale banner", "coffee cup", "mountain landscape",
    "product shot on white background", "logo", "city at night", "dog on the beach",
]  # fmt: skip
FILTERED = ["PNG images of {q}", "{q} without people", "{q} at least 1000px wide"]


def pct(xs: list[float]) -> tuple[float, float]:
    a = np.array(xs) * 1000
    return float(np.percentile(a, 50)), float(np.percentile(a, 99))


def unit_rows(rng: np.random.Generator, n: int, d: int) -> np.ndarray:
    m = rng.standard_normal((n, d), dtype=np.float32)
    return m / np.linalg.norm(m, axis=1, keepdims=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--queries", type=int, default=100)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    vocab = [f"w{i}" for i in range(300)] + [
        "shoe",
        "watch",
        "team",
        "banner",
        "coffee",
        "mountain",
        "logo",
        "city",
        "dog",
        "beach",
    ]
    formats = np.array(["png", "jpeg", "webp", "svg", "gif"])
    with tempfile.TemporaryDirectory() as home:
        rt = Runtime(Settings(home=Path(home)))
        ensure_collection(rt.store)
        text_m = unit_rows(rng, args.n, 384)
        t0 = time.perf_counter()
        fmt = formats[rng.integers(0, 5, args.n)]
        width = rng.integers(16, 4000, args.n)
        people = rng.random(args.n) < 0.3
        for start in range(0, args.n, 2000):
            recs = []
            for i in range(start, min(start + 2000, args.n)):
                meta = {
                    "image_url": f"https://bench.example/img/{i}.{fmt[i]}",
                    "page_url": f"https://bench.example/p/{i % 5000}",
                    "alt": " ".join(rng.choice(vocab, size=int(rng.integers(3, 7)))),
                    "format": str(fmt[i]),
                    "width": int(width[i]),
                    "height": int(width[i] * 0.75),
                    "has_people": bool(people[i]),
                    "has_text": bool(i % 4 == 0),
                    "phash": f"{int(rng.integers(0, 2**63)):016x}",
                }
                vecs = {
                    f: (text_m[i] if f == "text" else unit_rows(rng, 1, d)[0])
                    for f, d in VECTOR_FIELDS.items()
                }
                recs.append(build_record(meta, vecs))
            rt.store.upsert(COLLECTION, recs, "bench")
            print(
                f"indexed {start + len(recs):,} ({time.perf_counter() - t0:.0f} s)",
                file=sys.stderr,
                flush=True,
            )
        rt.store.search(COLLECTION, text_m[0], field="text", k=10, namespace="bench")  # builds the ANN index
        build_s = time.perf_counter() - t0
        print(f"ANN built ({build_s:.0f} s)", file=sys.stderr, flush=True)
        engine = ImageSearch(rt.store, rt.text_embedder, rt.image_embedder)
        qs = [QUERIES[i % len(QUERIES)] for i in range(args.queries)]
        qv = rt.text_embedder.embed(QUERIES)
        qvs = [qv[i % len(QUERIES)] for i in range(args.queries)]
        png_mask = fmt == "png"
        rows: dict[str, list[float]] = {
            k: [] for k in ("numpy", "numpy_f", "store", "store_f", "full", "full_f")
        }
        engine.search("warm up", crawl_id="bench")
        rt.store.search(COLLECTION, qvs[0], field="text", k=10, namespace="bench")
        for i, v in enumerate(qvs):
            t = time.perf_counter()
            s = text_m @ v
            top = np.argpartition(-s, 10)[:10]
            top[np.argsort(-s[top])]
            rows["numpy"].append(time.perf_counter() - t)
            t = time.perf_counter()
            idx = np.flatnonzero(png_mask)
            s = text_m[idx] @ v
            idx[np.argpartition(-s, 10)[:10]]
            rows["numpy_f"].append(time.perf_counter() - t)
            t = time.perf_counter()
            rt.store.search(COLLECTION, v, field="text", k=10, namespace="bench")
            rows["store"].append(time.perf_counter() - t)
            t = time.perf_counter()
            rt.store.search(
                COLLECTION, v, field="text", k=10, namespace="bench", where={"format": {"$in": ["png"]}}
            )
            rows["store_f"].append(time.perf_counter() - t)
            t = time.perf_counter()
            engine.search(qs[i], crawl_id="bench", k=10)
            rows["full"].append(time.perf_counter() - t)
            t = time.perf_counter()
            engine.search(FILTERED[i % 3].format(q=qs[i]), crawl_id="bench", k=10)
            rows["full_f"].append(time.perf_counter() - t)
        rt.close()
    print(
        f"\n## image search over {args.n:,} images ({args.queries} queries, index built in {build_s:.0f} s)\n"
    )
    print("| path | p50 ms | p99 ms |\n|---|---|---|")
    labels = {
        "numpy": "numpy brute force (baseline), text field, top-10",
        "numpy_f": "numpy brute force + format=png mask (baseline)",
        "store": "store vector search, text field, top-10",
        "store_f": "store vector search + where format=png",
        "full": "full ImageSearch.search (embed + hybrid + rank + dedupe)",
        "full_f": "full search with a filter (png / without people / ≥1000px)",
    }
    for key, label in labels.items():
        p50, p99 = pct(rows[key])
        print(f"| {label} | {p50:.2f} | {p99:.2f} |")


if __name__ == "__main__":
    main()
