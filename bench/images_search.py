"""Image search latency over 100k indexed images vs a brute-force numpy baseline, in the same run.

    nice -n 19 .venv/bin/python bench/images_search.py [--n 100000] [--queries 100] [--keep DIR]
        [--fields text,visual]

The index is synthetic (random unit vectors, metadata with formats, sizes, people/text flags and alt text
drawn from a 300-word vocabulary) in an embedded store (SQLite + FAISS) under a temporary home, or under
``--keep DIR``: the first run builds it there (records, HNSW index persisted on close, plus
``bench.npz`` with the baseline's matrix) and later runs with the same ``--n``/``--fields`` reuse it.
Records are ingested 10,000 per upsert.

Vector fields: :meth:`ImageSearch.search` runs the vector search on ``text`` only; it reads ``visual``
from the candidate records for near-duplicate removal, and ``content``/``context`` only for the optional
``why.scores`` cosines (0 when absent). The embedded store builds an HNSW index for *every* field of a
collection, and at 100k the 1280-d ``visual`` index costs ~3× the ``text`` one, so the bench collection
holds only ``--fields`` (default ``text,visual``: the ones the search path reads for ranking and dedupe).
Queries are real phrases, embedded once with MiniLM.

Rows (p50 / p99 in ms, one query at a time):

* ``numpy brute force`` — the baseline: ``M @ q`` over the ``text`` vectors + ``argpartition`` top-10
  (with a filter: the boolean mask applied first);
* ``store vector search`` — ``VectorStore.search`` on the ``text`` field (ANN / exact-scan planner);
* ``full search`` — :meth:`ImageSearch.search` end to end: parse, embed the query, vector + BM25
  candidates, exact cosines, keyword matches, fusion, floor, dedupe (query embedding included).
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from adlens.config import Settings
from adlens.images.schema import COLLECTION, VECTOR_FIELDS, build_record
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


VOCAB = [f"w{i}" for i in range(300)] + [
    "shoe", "watch", "team", "banner", "coffee", "mountain", "logo", "city", "dog", "beach",
]  # fmt: skip
FORMATS = np.array(["png", "jpeg", "webp", "svg", "gif"])
NAMESPACE = "bench"
BATCH = 10_000


def build_index(rt: Runtime, n: int, fields: dict[str, int], rng: np.random.Generator) -> dict[str, Any]:
    """Ingest ``n`` synthetic records in batches of :data:`BATCH`; returns the baseline's arrays."""
    rt.store.create_collection(COLLECTION, fields, exist_ok=True)
    text_m = unit_rows(rng, n, 384)
    fmt = FORMATS[rng.integers(0, 5, n)]
    width = rng.integers(16, 4000, n)
    people = rng.random(n) < 0.3
    t0 = time.perf_counter()
    for start in range(0, n, BATCH):
        stop = min(start + BATCH, n)
        other = {f: unit_rows(rng, stop - start, d) for f, d in fields.items() if f != "text"}
        recs = []
        for i in range(start, stop):
            meta = {
                "image_url": f"https://bench.example/img/{i}.{fmt[i]}",
                "page_url": f"https://bench.example/p/{i % 5000}",
                "alt": " ".join(rng.choice(VOCAB, size=int(rng.integers(3, 7)))),
                "format": str(fmt[i]),
                "width": int(width[i]),
                "height": int(width[i] * 0.75),
                "has_people": bool(people[i]),
                "has_text": bool(i % 4 == 0),
                "phash": f"{int(rng.integers(0, 2**63)):016x}",
            }
            vecs = {f: (text_m[i] if f == "text" else other[f][i - start]) for f in fields}
            recs.append(build_record(meta, vecs))
        rt.store.upsert(COLLECTION, recs, NAMESPACE)
        print(f"indexed {stop:,} ({time.perf_counter() - t0:.0f} s)", file=sys.stderr, flush=True)
    return {"text_m": text_m, "fmt": fmt, "ingest_s": time.perf_counter() - t0}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--queries", type=int, default=100)
    ap.add_argument("--keep", type=Path, default=None, help="Build the index here once and reuse it.")
    ap.add_argument("--fields", default="text,visual", help="Vector fields of the bench collection.")
    args = ap.parse_args()
    names = [f.strip() for f in args.fields.split(",") if f.strip()]
    if "text" not in names or any(f not in VECTOR_FIELDS for f in names):
        sys.exit(f"error: --fields must include text and be among {sorted(VECTOR_FIELDS)}")
    fields = {f: VECTOR_FIELDS[f] for f in names}
    rng = np.random.default_rng(0)
    with contextlib.ExitStack() as stack:
        home = args.keep or Path(stack.enter_context(tempfile.TemporaryDirectory()))
        home.mkdir(parents=True, exist_ok=True)
        saved = home / "bench.npz"
        rt = Runtime(Settings(home=home))
        info = {c.name: c.vector_fields for c in rt.store.list_collections()}
        reuse = (
            saved.exists()
            and info.get(COLLECTION) == fields
            and rt.store.count(COLLECTION, namespace=NAMESPACE) == args.n
        )
        if reuse:
            z = np.load(saved)
            base = {"text_m": z["text_m"], "fmt": z["fmt"], "ingest_s": float(z["ingest_s"])}
            print(f"reusing the index in {home}", file=sys.stderr, flush=True)
        else:
            if COLLECTION in info:
                rt.store.drop_collection(COLLECTION)
            base = build_index(rt, args.n, fields, rng)
        t0 = time.perf_counter()
        rt.store.search(COLLECTION, base["text_m"][0], field="text", k=10, namespace=NAMESPACE)  # ANN
        ann_s = time.perf_counter() - t0
        if not reuse:
            base["ann_s"] = ann_s
            rt.store.checkpoint(COLLECTION)
            np.savez(saved, text_m=base["text_m"], fmt=base["fmt"], ingest_s=base["ingest_s"], ann_s=ann_s)
        else:
            base["ann_s"] = float(z["ann_s"])
        print(f"ANN ready ({ann_s:.0f} s)", file=sys.stderr, flush=True)
        text_m, fmt = base["text_m"], base["fmt"]
        engine = ImageSearch(rt.store, rt.text_embedder, rt.image_embedder)
        qs = [QUERIES[i % len(QUERIES)] for i in range(args.queries)]
        qv = rt.text_embedder.embed(QUERIES)
        qvs = [qv[i % len(QUERIES)] for i in range(args.queries)]
        png_mask = fmt == "png"
        rows: dict[str, list[float]] = {
            k: [] for k in ("numpy", "numpy_f", "store", "store_f", "full", "full_f")
        }
        for warm in ["warm up", *(f.format(q="warm up") for f in FILTERED)]:  # lazy first-use work
            engine.search(warm, crawl_id=NAMESPACE)
        rt.store.search(COLLECTION, qvs[0], field="text", k=10, namespace=NAMESPACE)
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
            rt.store.search(COLLECTION, v, field="text", k=10, namespace=NAMESPACE)
            rows["store"].append(time.perf_counter() - t)
            t = time.perf_counter()
            rt.store.search(
                COLLECTION, v, field="text", k=10, namespace=NAMESPACE, where={"format": {"$in": ["png"]}}
            )
            rows["store_f"].append(time.perf_counter() - t)
            t = time.perf_counter()
            engine.search(qs[i], crawl_id=NAMESPACE, k=10)
            rows["full"].append(time.perf_counter() - t)
            t = time.perf_counter()
            engine.search(FILTERED[i % 3].format(q=qs[i]), crawl_id=NAMESPACE, k=10)
            rows["full_f"].append(time.perf_counter() - t)
        rt.close()
    print(
        f"\n## image search over {args.n:,} images ({args.queries} queries, fields {','.join(fields)}; "
        f"ingest {base['ingest_s']:.0f} s + HNSW build {base['ann_s']:.0f} s"
        f"{', index reused' if reuse else ''})\n"
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
    slow = {k: int(np.argmax(v)) for k, v in rows.items()}
    print(
        "\nslowest query per path: "
        + ", ".join(f"{k} #{i} {rows[k][i] * 1000:.0f} ms" for k, i in slow.items())
        + f" (full_f #{slow['full_f']}: {FILTERED[slow['full_f'] % 3].format(q=qs[slow['full_f']])!r})"
    )


if __name__ == "__main__":
    main()
