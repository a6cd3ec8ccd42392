"""Creators benchmark: store ingest, CSV import rate, filtered recall, and HTTP search under load.

    .venv/bin/python bench/creators.py --n 100000 --clients 100 --requests 3000
    # 1M, built once and reused (see docs/creators.md, Performance):
    .venv/bin/python bench/creators.py --n 1000000 --home /tmp/creators1m --ingest-only
    .venv/bin/python bench/creators.py --n 1000000 --home /tmp/creators1m --reuse --no-http
    .venv/bin/python bench/creators.py --n 1000000 --home /tmp/creators1m --reuse --http-only

1. **Store ingest**: ``n`` synthetic creators (text vectors = real MiniLM embeddings of category bios plus
   noise; random photo vectors; metadata for every filter; 1 % with a photo record) upserted through the
   store seam in batches, then the HNSW index of the ``text`` field is built and persisted (the photo
   fields are only searched over photo records, by exact scan: the store builds no index for them).
2. **CSV import** (``import_table``, the real path: parse, validate, embed bios, upsert) of 2,000 rows,
   vs the named baseline "MiniLM embedding of the same texts alone" (the floor of any import).
3. **Filtered recall**: 300 queries with random filter combinations (followers/engagement ranges,
   category, country, platform, language; from 50 % down to < 0.1 % selectivity): store top-10 vs the
   named baseline **brute-force numpy** (exact, same filters evaluated independently on numpy columns),
   recall@10 and latency of both; then ``search_creators`` in-process, one thread.
4. **HTTP**: a real ``adlens serve`` on loopback; ``POST /api/v1/creators/search`` with filters in the
   JSON body (random per request) and in the query text (32 distinct texts, embedded once in a warm-up;
   mode auto = hybrid). Load generator: raw asyncio streams over keep-alive connections (uvloop), so it
   costs ~1-3 % of a core; its CPU share and the server's are reported, with the load average.
   Phases: closed loop (each client sends its next request as soon as the previous answers) at 10 and
   ``--clients``; baseline ``GET /static/adlens.css`` closed loop at ``--clients`` (the server's floor
   for any request); then ``--clients`` users with think time (each waits 0.5-1.5 s between requests,
   ~``clients`` req/s offered) for ``--duration`` s. The load generator shares the cores with the server.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from creators_data import (
    CATS,
    COUNTRIES,
    LANGS,
    PLATFORMS,
    generate,
    numpy_mask,
    random_filters,
    text_vectors,
)
from creators_http import payloads, serve_and_load
from http_load import pct

from adlens.config import Settings
from adlens.creators.filters import CreatorFilters, to_where
from adlens.creators.ingest import import_table, quality_path
from adlens.creators.quality import fit
from adlens.creators.schema import PHOTO_FIELDS, PHOTOS, PROFILE_FIELDS, PROFILES, ensure_collections
from adlens.creators.sources import read_path
from adlens.runtime import Runtime
from adlens.store import Record


def ingest(
    rt: Runtime, n: int, batch: int = 2000, *, write: bool = True, index: bool = True
) -> dict[str, Any]:
    """Generate (deterministically) and, with ``write``, upsert the synthetic creators
    (``index``: then build and persist the ANN indexes with ``checkpoint``)."""
    rng = np.random.default_rng(0)
    templates = rt.text_embedder.embed(
        [f"{c} creator sharing {c} content, tips and daily life" for c in CATS]
    )
    meta = generate(n, templates, rng)
    store = rt.store
    ensure_collections(store)
    text_all = np.zeros((n, 384), np.float32)
    t0 = time.perf_counter()
    for start in range(0, n, batch):
        sl = slice(start, min(n, start + batch))
        tv = text_vectors(meta, sl, templates, rng)
        text_all[sl] = tv
        pv = rng.normal(size=(tv.shape[0], 384)).astype(np.float32)
        vv = rng.normal(size=(tv.shape[0], 1280)).astype(np.float32)
        if not write:
            continue
        recs, photo_recs = [], []
        for j, i in enumerate(range(sl.start, sl.stop)):
            m = {
                "platform": PLATFORMS[meta["platform"][i]],
                "handle": f"c{i:07d}",
                "followers": int(meta["followers"][i]),
                "engagement_rate": float(meta["er"][i]),
                "category": CATS[meta["cat"][i]],
                "country": COUNTRIES[meta["country"][i]],
                "language": LANGS[meta["lang"][i]],
                "location_terms": [COUNTRIES[meta["country"][i]].lower()],
                "photo_count": int(meta["photo"][i]),
                "photos": [],
            }
            cid = f"{m['platform']}:{m['handle']}"
            recs.append(Record(cid, {"text": tv[j]}, m, f"{m['category']} creator"))
            if meta["photo"][i]:
                pm = {
                    k: m[k]
                    for k in (
                        "platform",
                        "handle",
                        "followers",
                        "engagement_rate",
                        "category",
                        "country",
                        "language",
                        "location_terms",
                    )
                }
                pm.update(creator_id=cid, photo_index=0, file="", source="synthetic")
                photo_recs.append(Record(f"{cid}#photo0", {"photo_text": pv[j], "photo_visual": vv[j]}, pm))
        store.upsert(PROFILES, recs)
        if photo_recs:
            store.upsert(PHOTOS, photo_recs)
        if (start // batch) % 10 == 0:
            print(
                f"  upserted {sl.stop:,}/{n:,} ({sl.stop / (time.perf_counter() - t0):,.0f} rows/s)",
                flush=True,
            )
    t_upsert = time.perf_counter() - t0
    t1 = time.perf_counter()
    if write and index:
        # the text field is searched under broad filters (ANN); photo fields only over photo records
        # (1 %): exact scans below exact_scan_threshold, so no index is built for them (lazy)
        store.build_index(PROFILES, ["text"])
        store.checkpoint(PROFILES)
        store.checkpoint(PHOTOS)
    t_index = time.perf_counter() - t1
    fit(meta["followers"].astype(float), meta["er"]).save(quality_path(rt.settings))
    return {"meta": meta, "text": text_all, "templates": templates, "upsert_s": t_upsert, "index_s": t_index}


def recall(rt: Runtime, data: dict[str, Any], n_queries: int = 300) -> dict[str, Any]:
    rng = random.Random(1)
    nrng = np.random.default_rng(1)
    store, meta, mat = rt.store, data["meta"], data["text"]
    rec, t_store, t_np, sels = [], [], [], []
    for _ in range(n_queries):
        f = random_filters(rng)
        q = data["templates"][nrng.integers(0, len(CATS))] + 0.5 * nrng.normal(size=384).astype(
            np.float32
        ) / np.sqrt(384)
        q = (q / np.linalg.norm(q)).astype(np.float32)
        t0 = time.perf_counter()
        hits = store.search(PROFILES, q, field="text", k=10, where=to_where(f))
        t_store.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        mask = numpy_mask(meta, f)
        pos = np.flatnonzero(mask)
        scores = mat[pos] @ q
        top = pos[np.argsort(-scores)[:10]]
        t_np.append((time.perf_counter() - t0) * 1000)
        want = {f"{PLATFORMS[meta['platform'][i]]}:c{i:07d}" for i in top}
        got = {h.id for h in hits}
        sels.append(mask.mean())
        if want:
            rec.append(len(want & got) / len(want))
        assert len(got) == len(want), "filtered search returned too few results"
    svc = service_latency(rt)
    return {
        **svc,
        "recall": float(np.mean(rec)),
        "store_p50": pct(t_store, 50),
        "store_p99": pct(t_store, 99),
        "numpy_p50": pct(t_np, 50),
        "numpy_p99": pct(t_np, 99),
        "sel_min": min(sels),
        "sel_median": float(np.median(sels)),
    }


def service_latency(rt: Runtime, n: int = 200) -> dict[str, float]:
    """``search_creators`` in-process, one thread: hybrid mode, filters in the text and in ``filters``."""
    from adlens.creators.search import search_creators

    body = payloads(n)
    for b in body[:60]:  # embed every query text once (the server keeps the same LRU)
        search_creators(rt, b["query"], filters=CreatorFilters(**b["filters"]), k=10)
    t_svc = []
    for b in body:
        t0 = time.perf_counter()
        search_creators(rt, b["query"], filters=CreatorFilters(**b["filters"]), k=10)
        t_svc.append((time.perf_counter() - t0) * 1000)
    return {"svc_p50": pct(t_svc, 50), "svc_p99": pct(t_svc, 99)}


def csv_rate(rows: int = 2000) -> dict[str, Any]:
    home = Path(tempfile.mkdtemp(prefix="adlens-bench-csv-"))
    rt = Runtime(Settings(home=home))
    rng = random.Random(2)
    path = home / "creators.csv"
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["username", "followers", "engagement rate", "country", "category", "bio"])
        for i in range(rows):
            c = rng.choice(CATS)
            w.writerow(
                [
                    f"user_{i}",
                    f"{rng.uniform(1, 900):.1f}k",
                    f"{rng.uniform(0.5, 9):.2f}%",
                    rng.choice(COUNTRIES),
                    c,
                    f"{c} creator #{i}: daily {c} tips, reviews and stories from {rng.choice(COUNTRIES)}",
                ]
            )
    rt.text_embedder.embed(["warm up"])
    t0 = time.perf_counter()
    rep = import_table(rt, read_path(path))
    t_import = time.perf_counter() - t0
    texts = [
        f"user_{i} creator text of similar length for the baseline, {CATS[i % len(CATS)]} tips and stories"
        for i in range(rows)
    ]
    t0 = time.perf_counter()
    rt.text_embedder.embed(texts)
    t_embed = time.perf_counter() - t0
    rt.close()
    shutil.rmtree(home, ignore_errors=True)
    return {
        "rows": rows,
        "imported": rep["imported"],
        "import_rows_s": rows / t_import,
        "embed_rows_s": rows / t_embed,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--clients", type=int, default=100)
    ap.add_argument("--requests", type=int, default=3000)
    ap.add_argument(
        "--home", type=Path, default=None, help="Keep the data here (default: a temp dir, removed)."
    )
    ap.add_argument("--skip-csv", action="store_true")
    ap.add_argument(
        "--reuse", action="store_true", help="--home already holds the same --n creators: skip the ingest."
    )
    ap.add_argument(
        "--ingest-only",
        action="store_true",
        help="Only write the creators into --home (no index build, no measurements); reuse with --reuse.",
    )
    ap.add_argument("--http-only", action="store_true", help="With --reuse: only the HTTP measurements.")
    ap.add_argument("--no-http", action="store_true", help="Skip the HTTP measurements.")
    ap.add_argument(
        "--exact-scan-threshold",
        type=int,
        default=None,
        help="ADLENS_EXACT_SCAN_THRESHOLD for the store (in-process and server); default: the setting's.",
    )
    ap.add_argument("--duration", type=float, default=60.0, help="Seconds of the think-time load phase.")
    ap.add_argument("--workers", type=int, default=1, help="`adlens serve --workers` (processes).")
    args = ap.parse_args()
    home = args.home or Path(tempfile.mkdtemp(prefix="adlens-bench-creators-"))
    env = {"ADLENS_WORKERS": str(args.workers)}
    if args.exact_scan_threshold is not None:
        env["ADLENS_EXACT_SCAN_THRESHOLD"] = str(args.exact_scan_threshold)
    settings = Settings(home=home)
    if args.exact_scan_threshold is not None:
        settings.exact_scan_threshold = args.exact_scan_threshold
    th = settings.exact_scan_threshold
    shown = "size-aware default" if th is None else f"{th:,}"
    print(f"home {home}; n = {args.n:,}; exact_scan_threshold {shown}", flush=True)
    rt = Runtime(settings)
    if args.ingest_only:
        data = ingest(rt, args.n, index=False)
        print(
            f"ingest only: {args.n / data['upsert_s']:,.0f} creators/s ({data['upsert_s']:.0f} s)", flush=True
        )
        rt.close()
        return
    rc: dict[str, Any] = {}
    up_s = ix_s = float("nan")
    if args.http_only:
        rt.close()
        n_records = 0
    else:
        data = ingest(rt, args.n, write=not args.reuse)
        t0 = time.perf_counter()
        n_records = rt.store.count(PROFILES) + rt.store.count(PHOTOS)
        print(f"  store open (load rows + persisted index): {time.perf_counter() - t0:.1f} s", flush=True)
        up_s, ix_s = data["upsert_s"], data["index_s"]
        rc = recall(rt, data)
        print(f"  recall: {rc}", flush=True)
        rt.close()
        del data
    csv_r = None if args.skip_csv or args.http_only else csv_rate()
    http = [] if args.no_http else serve_and_load(home, args.clients, args.requests, args.duration, env)
    print()
    print(
        f"## Creators benchmark (n = {args.n:,} creators, {n_records:,} records; fields {PROFILE_FIELDS} + photos {PHOTO_FIELDS})\n"
    )
    print("| measure | adlens | baseline |")
    print("|---|---|---|")
    if rc:
        if args.reuse:
            print(f"| store ingest | reused {n_records:,} records from a previous run | |")
        else:
            print(
                f"| store ingest through the seam (upsert, {n_records:,} records) | {args.n / up_s:,.0f} creators/s"
                f" ({up_s:.0f} s) + HNSW build of the text field {ix_s:.0f} s | |"
            )
        print(
            f"| filtered top-10 recall (300 random filter combos) | {rc['recall']:.4f} | brute-force numpy 1.0 |"
        )
        print(
            f"| filtered top-10 latency p50 / p99 ms (in-process) | {rc['store_p50']:.2f} / {rc['store_p99']:.2f} "
            f"| numpy {rc['numpy_p50']:.2f} / {rc['numpy_p99']:.2f} |"
        )
        print(
            f"| search_creators in-process, one thread (hybrid, NL + explicit filters) p50 / p99 ms "
            f"| {rc['svc_p50']:.1f} / {rc['svc_p99']:.1f} | |"
        )
        print(f"| filter selectivity min / median | {rc['sel_min']:.5f} / {rc['sel_median']:.3f} | |")
    if csv_r:
        print(
            f"| CSV import rows/s ({csv_r['rows']} rows, parse+validate+embed+upsert) | {csv_r['import_rows_s']:.0f} "
            f"| MiniLM embedding alone {csv_r['embed_rows_s']:.0f} |"
        )
    print()
    print(f"load average at the end: {Path('/proc/loadavg').read_text().strip()}\n")
    print(
        "| HTTP load (loopback) | clients | requests | p50 / p90 / p99 / max ms | req/s | errors | CPU % client / server | load avg |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for label, r in http:
        what = "POST /creators/search" if label == "search" else "baseline GET /static/adlens.css"
        print(
            f"| {what}, {r['mode']} | {r['clients']} | {r['requests']} | {r['p50']:.0f} / {r['p90']:.0f} / "
            f"{r['p99']:.0f} / {r['max']:.0f} | {r['rps']:.0f} | {r['errors']} {r['error_kinds'] or ''} | "
            f"{r['client_cpu_pct']:.0f} / {r['server_cpu_pct']:.0f} | {' '.join(r['loadavg'])} |"
        )
    print()
    print(
        json.dumps(
            {
                "n": args.n,
                "records": n_records,
                "upsert_s": up_s,
                "index_s": ix_s,
                "recall": rc,
                "csv": csv_r,
                "http": http,
            },
            default=float,
        )
    )
    if args.home is None:
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
