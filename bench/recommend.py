"""Recommend benchmarks: training time per epoch, recommendation latency through the API, index build time.

    .venv/bin/python bench/recommend.py [--requests 300] [--movielens ../shared/data/movielens-100k]

1. Training seconds per epoch with 2 torch threads, the two-tower model against the BPR-MF baseline on the
   same interactions (the generated catalogue by default; MovieLens-100k read in place with --movielens).
2. ``POST /api/v1/recommend`` latency p50/p99 against a real ``adlens serve`` over HTTP, against the same
   recommendation computed in-process through the service (store search), and against a brute-force
   numpy baseline (user tower + full matrix product + seen mask + argpartition, no store, no HTTP).
3. Index build time: upserting every item vector into the store collection, against stacking the same
   vectors into a numpy matrix.
Prints one table; numbers are from one run on a shared machine.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import httpx
import numpy as np


def _pct(xs: list[float]) -> tuple[float, float]:
    a = np.asarray(xs) * 1000.0
    return float(np.percentile(a, 50)), float(np.percentile(a, 99))


def bench_training(cat, epochs: int) -> list[tuple[str, str, str]]:
    from adlens.recommend.baselines import BPRMF, BPRConfig
    from adlens.recommend.benchmark import PREVIOUS_DEFAULT
    from adlens.recommend.pipeline import catalogue_content
    from adlens.recommend.train import TwoTowerConfig, train_two_tower

    cfg = replace(TwoTowerConfig.from_yaml(), threads=2)
    with tempfile.TemporaryDirectory() as cache:
        _, content = catalogue_content(cat, cfg, cache_dir=cache)
    ds = cat.dataset
    tt = train_two_tower(ds, ds.csr(), content, cfg, None, epochs=epochs)
    old = train_two_tower(ds, ds.csr(), content, replace(cfg, **PREVIOUS_DEFAULT), None, epochs=epochs)
    bpr = BPRMF(BPRConfig(dim=200, lr=1e-3, threads=2)).fit(ds.csr(), None, epochs=epochs)
    tt_s, bpr_s = float(np.median(tt.epoch_seconds)), float(np.median(bpr.epoch_seconds))
    old_s = float(np.median(old.epoch_seconds))
    n = f"{ds.n_interactions} interactions"
    return [
        ("train s/epoch: two-tower (2 threads)", f"{tt_s:.3f}", n),
        (
            "train s/epoch: previous two-tower (no history options)",
            f"{old_s:.3f}",
            f"shipped is {tt_s / old_s:.2f}x",
        ),
        ("train s/epoch: BPR-MF baseline (2 threads)", f"{bpr_s:.3f}", f"two-tower is {tt_s / bpr_s:.1f}x"),
    ]


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def bench_serving(cat, home: Path, n_requests: int) -> list[tuple[str, str, str]]:
    from adlens.config import Settings
    from adlens.recommend.pipeline import train_and_save
    from adlens.recommend.service import RecommendService
    from adlens.recommend.serving import Recommender
    from adlens.recommend.train import TwoTowerConfig
    from adlens.runtime import Runtime

    runtime = Runtime(Settings(home=home))
    svc = RecommendService(runtime)
    cfg = replace(TwoTowerConfig.from_yaml(), max_epochs=4, patience=2, threads=2)
    version, _ = train_and_save(cat, cfg, svc.root, embedder=runtime.text_embedder, cache_dir=svc.cache_dir)
    rec = svc.recommender(version)
    rows: list[tuple[str, str, str]] = []

    # index build: a fresh collection per repetition vs stacking the vectors in numpy
    builds, stacks = [], []
    for r in range(3):
        rec.collection = f"bench_index_{r}"
        t0 = time.perf_counter()
        rec.index(runtime.store)
        builds.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        m = np.stack([v / np.linalg.norm(v) for v in rec.item_vectors])
        stacks.append(time.perf_counter() - t0)
        runtime.store.drop_collection(rec.collection)
    rec.collection = f"recommend_v{version:04d}"
    rows.append(("index build s (store upsert)", f"{np.median(builds):.3f}", f"{len(m)} items"))
    rows.append(("index build s: numpy stack baseline", f"{np.median(stacks):.4f}", ""))

    rng = np.random.default_rng(0)
    users = [cat.dataset.user_map.raw[u] for u in rng.integers(0, cat.dataset.n_users - 5, n_requests)]

    # brute force: user tower + full product + seen mask + argpartition
    hist = rec.bundle.history_matrix().tocsr()
    times = []
    for user in users:
        t0 = time.perf_counter()
        u = rec.user_index(user)
        q = rec.user_vector(u)
        scores = rec.item_vectors @ q
        scores[hist.indices[hist.indptr[u] : hist.indptr[u + 1]]] = -np.inf
        top = np.argpartition(-scores, 10)[:10]
        top[np.argsort(-scores[top])]
        times.append(time.perf_counter() - t0)
    bf = _pct(times)
    times = []
    for user in users:
        t0 = time.perf_counter()
        svc.recommend_for(user, 10)
        times.append(time.perf_counter() - t0)
    inproc = _pct(times)
    assert isinstance(rec, Recommender)
    runtime.close()

    port = _port()
    log = home / "server.log"
    proc = subprocess.Popen(
        [sys.executable, "-m", "adlens.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env={**os.environ, "ADLENS_HOME": str(home)},
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    try:
        url = f"http://127.0.0.1:{port}/api/v1"
        with httpx.Client(timeout=30) as client:
            for _ in range(600):
                try:
                    if client.get(url + "/health").status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.2)
            for user in users[:10]:  # warm-up: loads the model once
                client.post(url + "/recommend", json={"user_id": user, "k": 10}).raise_for_status()
            times = []
            for user in users:
                t0 = time.perf_counter()
                client.post(url + "/recommend", json={"user_id": user, "k": 10}).raise_for_status()
                times.append(time.perf_counter() - t0)
            api = _pct(times)
            items = [cat.items[i].id for i in rng.integers(0, len(cat.items), n_requests)]
            times = []
            for item in items:
                t0 = time.perf_counter()
                client.post(url + "/recommend/similar", json={"item_id": item, "k": 10}).raise_for_status()
                times.append(time.perf_counter() - t0)
            sim = _pct(times)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    for label, (p50, p99) in (
        ("POST /recommend over HTTP", api),
        ("POST /recommend/similar over HTTP", sim),
        ("recommend_for in-process (service + store)", inproc),
        ("brute-force numpy baseline (no store, no HTTP)", bf),
    ):
        rows.append(
            (f"latency ms p50 / p99: {label}", f"{p50:.2f} / {p99:.2f}", f"{n_requests} requests, k=10")
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--requests", type=int, default=300)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--movielens", default=None, help="also time training on MovieLens-100k (read in place)")
    args = ap.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from adlens.recommend.catalogue import load_catalogue
    from adlens.recommend.synthetic import generate

    cat = generate()
    rows = bench_training(cat, args.epochs)
    if args.movielens:
        rows += [
            (f"{a} [MovieLens-100k]", b, c)
            for a, b, c in bench_training(load_catalogue(args.movielens), args.epochs)
        ]
    with tempfile.TemporaryDirectory(prefix="adlens-bench-rec-") as home:
        rows += bench_serving(cat, Path(home), args.requests)
    d = cat.dataset
    print(
        f"\nrecommend benchmark: generated catalogue {d.n_users} users x {d.n_items} items, {os.cpu_count()} cores\n"
    )
    print(f"| {'measure':<62} | {'value':>17} | notes |")
    print(f"|{'-' * 64}|{'-' * 19}|---|")
    for label, value, note in rows:
        print(f"| {label:<62} | {value:>17} | {note} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
