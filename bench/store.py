"""Benchmark of the embedded store against brute-force numpy and Chroma, in one run.

    .venv/bin/python bench/store.py --sizes 100000 1000000 [--chroma-python .venv-chroma/bin/python]  (make it with scripts/bench-chroma-venv.sh)

Synthetic clustered 384-d unit vectors; metadata gives filters at 50 % (``half``), 5 %
(``category``) and 0.1 % (``bucket``) selectivity, independent of the clusters. For each store:
ingest time, on-disk size, p50/p99 latency of top-10 search (>= 200 queries per condition) and
recall@10 against exact numpy over the same filter. Chroma runs in its own interpreter (its
dependencies conflict with pymilvus' grpcio pin), fed the same arrays through .npy files; it is
skipped above ``--chroma-max`` rows. The table is printed and written to bench/results/store.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# One BLAS/OpenMP thread per query for every store (2 shared cores); the index build uses 2.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402

DIM = 384
K = 10
CONDITIONS = {
    "none": None,
    "50%": {"half": True},
    "5%": {"category": "c7"},
    "0.1%": {"bucket": {"$lt": 1}},
}


def make_data(n: int, n_queries: int, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    centers = rng.normal(size=(max(16, n // 1000), DIM)).astype(np.float32)

    def sample(m: int) -> np.ndarray:
        x = centers[rng.integers(0, centers.shape[0], m)] + 0.6 * rng.normal(size=(m, DIM)).astype(np.float32)
        return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)

    vecs = np.concatenate([sample(min(100_000, n - i)) for i in range(0, n, 100_000)])
    return {
        "vecs": vecs,
        "queries": sample(n_queries),
        "half": rng.random(n) < 0.5,
        "category": rng.integers(0, 20, n),
        "bucket": rng.integers(0, 1000, n),
    }


def masks(data: dict[str, np.ndarray]) -> dict[str, np.ndarray | None]:
    return {"none": None, "50%": data["half"], "5%": data["category"] == 7, "0.1%": data["bucket"] < 1}


def exact(vecs: np.ndarray, q: np.ndarray, mask: np.ndarray | None) -> np.ndarray:
    idx = np.arange(vecs.shape[0]) if mask is None else np.flatnonzero(mask)
    s = vecs[idx] @ q
    top = np.argpartition(-s, K - 1)[:K]
    return idx[top[np.argsort(-s[top])]]


def exact_batch(vecs: np.ndarray, queries: np.ndarray, mask: np.ndarray | None) -> list[np.ndarray]:
    """Ground truth for all queries at once (blocked matrix products)."""
    idx = np.arange(vecs.shape[0]) if mask is None else np.flatnonzero(mask)
    best_s = np.full((queries.shape[0], 0), -np.inf, np.float32)
    best_i = np.zeros((queries.shape[0], 0), np.int64)
    for b in range(0, idx.shape[0], 100_000):
        blk = idx[b : b + 100_000]
        s = queries @ vecs[blk].T
        cand_s = np.concatenate([best_s, s], axis=1)
        cand_i = np.concatenate([best_i, np.broadcast_to(blk, s.shape)], axis=1)
        top = np.argpartition(-cand_s, K - 1, axis=1)[:, :K]
        best_s = np.take_along_axis(cand_s, top, 1)
        best_i = np.take_along_axis(cand_i, top, 1)
    order = np.argsort(-best_s, axis=1)
    return list(np.take_along_axis(best_i, order, 1))


def pct(lat: list[float]) -> tuple[float, float]:
    a = np.asarray(lat) * 1000
    return float(np.percentile(a, 50)), float(np.percentile(a, 99))


def dir_size(p: Path) -> int:
    if p.is_file():
        return p.stat().st_size
    return sum(f.stat().st_size for f in p.rglob("*") if f.is_file())


def run_numpy(data: dict[str, np.ndarray], truth: dict[str, list[np.ndarray]]) -> dict:
    out: dict = {"ingest_s": None, "disk_mb": None, "conds": {}}
    cols = {"half": data["half"], "category": data["category"], "bucket": data["bucket"]}
    exprs = {
        "none": lambda: None,
        "50%": lambda: cols["half"],
        "5%": lambda: cols["category"] == 7,
        "0.1%": lambda: cols["bucket"] < 1,
    }
    for cond, f in exprs.items():
        lat = []
        for q in data["queries"]:
            t = time.perf_counter()
            exact(data["vecs"], q, f())
            lat.append(time.perf_counter() - t)
        out["conds"][cond] = (*pct(lat), 1.0)
    return out


def run_embedded(data: dict[str, np.ndarray], truth: dict[str, list[np.ndarray]], tmp: Path) -> dict:
    from adlens.store import EmbeddedStore, Record

    path = tmp / "adlens.sqlite"
    store = EmbeddedStore(path)
    store.create_collection("bench", {"text": DIM})
    n = data["vecs"].shape[0]
    t0 = time.perf_counter()
    for i in range(0, n, 5000):
        recs = [
            Record(
                str(j),
                {"text": data["vecs"][j]},
                {
                    "half": bool(data["half"][j]),
                    "category": f"c{data['category'][j]}",
                    "bucket": int(data["bucket"][j]),
                },
                f"ad {j} brand c{data['category'][j]} summer sale",
            )
            for j in range(i, min(n, i + 5000))
        ]
        store.upsert("bench", recs)
    t_rows = time.perf_counter() - t0
    import faiss

    faiss.omp_set_num_threads(2)
    store.build_index("bench")  # indexes are otherwise built on first need
    store.checkpoint("bench")  # persists it
    faiss.omp_set_num_threads(1)
    t_all = time.perf_counter() - t0
    store.close()
    wal = Path(str(path) + "-wal")
    disk = dir_size(path) + (dir_size(wal) if wal.exists() else 0) + dir_size(store.index_dir)
    t1 = time.perf_counter()
    store = EmbeddedStore(path)
    store.count("bench")
    t_open = time.perf_counter() - t1
    out: dict = {"ingest_s": t_all, "rows_s": t_rows, "open_s": t_open, "disk_mb": disk / 2**20, "conds": {}}
    out["conds"] = query_embedded(store, data, truth, CONDITIONS)
    store.close()
    return out


def query_embedded(store: object, data: dict, truth: dict, conditions: dict) -> dict:
    conds = {}
    for cond, where in conditions.items():
        lat, rec, plans = [], [], set()
        for qi, q in enumerate(data["queries"]):
            t = time.perf_counter()
            hits = store.search("bench", q, field="text", k=K, where=where)  # type: ignore[attr-defined]
            lat.append(time.perf_counter() - t)
            plan = store.last_plan  # type: ignore[attr-defined]
            plans.add(f"{plan.kind} ({plan.matches:,} match)" if plan else "?")
            got = {int(h.id) for h in hits}
            rec.append(len(got & set(truth[cond][qi].tolist())) / K)
        conds[cond] = (*pct(lat), float(np.mean(rec)), "/".join(sorted(plans)))
    return conds


def rerun_threshold(path: Path, data: dict, truth: dict, threshold: int) -> dict:
    """Reopen the same store with another exact_scan_threshold; filtered conditions only."""
    from adlens.store import EmbeddedStore

    with EmbeddedStore(path, exact_scan_threshold=threshold) as store:
        store.count("bench")  # load before timing
        conds = query_embedded(store, data, truth, {c: w for c, w in CONDITIONS.items() if w})
    return {"ingest_s": None, "disk_mb": 0, "conds": conds}


def chroma_worker(folder: Path) -> None:
    """Runs inside the Chroma interpreter: ingest, query, write results.json."""
    import chromadb

    vecs = np.load(folder / "vecs.npy")
    queries = np.load(folder / "queries.npy")
    half, cat, bucket = (np.load(folder / f"{k}.npy") for k in ("half", "category", "bucket"))
    truth = json.loads((folder / "truth.json").read_text())
    client = chromadb.PersistentClient(path=str(folder / "chroma"))
    col = client.create_collection("bench", metadata={"hnsw:space": "ip"})
    n = vecs.shape[0]
    t0 = time.perf_counter()
    for i in range(0, n, 5000):
        j = range(i, min(n, i + 5000))
        col.add(
            ids=[str(x) for x in j],
            embeddings=vecs[i : i + 5000],
            metadatas=[
                {"half": bool(half[x]), "category": f"c{cat[x]}", "bucket": int(bucket[x])} for x in j
            ],
            documents=[f"ad {x} brand c{cat[x]} summer sale" for x in j],
        )
    ingest = time.perf_counter() - t0
    out: dict = {"ingest_s": ingest, "disk_mb": dir_size(folder / "chroma") / 2**20, "conds": {}}
    wheres = {"none": None, "50%": {"half": True}, "5%": {"category": "c7"}, "0.1%": {"bucket": {"$lt": 1}}}
    for cond, where in wheres.items():
        lat, rec = [], []
        for qi, q in enumerate(queries):
            t = time.perf_counter()
            r = col.query(query_embeddings=[q], n_results=K, where=where)
            lat.append(time.perf_counter() - t)
            got = {int(x) for x in r["ids"][0]}
            rec.append(len(got & set(truth[cond][qi])) / K)
        out["conds"][cond] = (*pct(lat), float(np.mean(rec)), "hnsw")
    (folder / "results.json").write_text(json.dumps(out))


def run_chroma(data: dict, truth: dict, tmp: Path, python: str) -> dict | str:
    folder = tmp / "chroma_in"
    folder.mkdir()
    for k in ("vecs", "queries", "half", "category", "bucket"):
        np.save(folder / f"{k}.npy", data[k])
    (folder / "truth.json").write_text(json.dumps({c: [t.tolist() for t in ts] for c, ts in truth.items()}))
    proc = subprocess.run([python, __file__, "--chroma-worker", str(folder)], capture_output=True, text=True)
    if proc.returncode != 0:
        return f"failed: {proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else proc.returncode}"
    return json.loads((folder / "results.json").read_text())


def fmt_rows(n: int, name: str, res: dict | str) -> list[str]:
    if isinstance(res, str):
        return [f"| {n:,} | {name} | {res} | | | | | | |"]
    rows = []
    ingest = "-" if res["ingest_s"] is None else f"{res['ingest_s']:.1f}"
    if res.get("rows_s") is not None:
        ingest += f" (rows {res['rows_s']:.1f} + index {res['ingest_s'] - res['rows_s']:.1f}; reopen {res['open_s']:.1f})"
    disk = "- (RAM)" if res["disk_mb"] is None else f"{res['disk_mb']:.0f}" if res["disk_mb"] else "same"
    for cond, v in res["conds"].items():
        plan = v[3] if len(v) > 3 else "exact"
        rows.append(
            f"| {n:,} | {name} | {ingest} | {disk} | {cond} | {v[0]:.2f} | {v[1]:.2f} | {v[2]:.3f} | {plan} |"
        )
        ingest, disk = "", ""
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[100_000])
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument(
        "--chroma-python",
        default=str(Path(__file__).resolve().parents[1] / ".venv-chroma" / "bin" / "python"),
    )
    ap.add_argument("--chroma-max", type=int, default=200_000)
    ap.add_argument("--chroma-worker", type=Path)
    ap.add_argument("--extra-thresholds", type=int, nargs="*", default=[])
    ap.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "store.md")
    args = ap.parse_args()
    if args.chroma_worker:
        chroma_worker(args.chroma_worker)
        return
    header = [
        "| N | store | ingest s | disk MiB | filter | p50 ms | p99 ms | recall@10 | plan |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    lines = list(header)
    for n in args.sizes:
        data = make_data(n, args.queries)
        truth = {c: exact_batch(data["vecs"], data["queries"], m) for c, m in masks(data).items()}
        tmp = Path(tempfile.mkdtemp(prefix="adlens-bench-"))
        try:
            results = {"adlens embedded": run_embedded(data, truth, tmp)}
            for th in args.extra_thresholds:
                name = f"adlens embedded, exact_scan_threshold={th:,}"
                results[name] = rerun_threshold(tmp / "adlens.sqlite", data, truth, th)
            results["numpy brute force"] = run_numpy(data, truth)
            if n > args.chroma_max:
                results["chroma 1.5.9"] = (
                    f"skipped above {args.chroma_max:,} rows (ingest too slow on 2 cores)"
                )
            elif not os.path.exists(args.chroma_python):
                results["chroma 1.5.9"] = f"skipped: no interpreter at {args.chroma_python}"
            else:
                results["chroma 1.5.9"] = run_chroma(data, truth, tmp, args.chroma_python)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        for name, res in results.items():
            rows = fmt_rows(n, name, res)
            lines += rows
            print("\n".join(rows), flush=True)
    table = "\n".join(lines)
    print("\n" + table)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    with open(args.out, "a") as f:
        f.write(
            f"\n## Run {stamp}: sizes {args.sizes}, {args.queries} queries per filter, top-{K}\n\n{table}\n"
        )


if __name__ == "__main__":
    sys.exit(main())
