"""Seed robustness of the final MovieLens-100k test figures: the same models, several training seeds.

    .venv/bin/python eval/recommend_seeds.py --seeds 2020 7 13 1 42 --out /tmp/rec_seeds.md

Nothing is chosen here. The splits are exactly the protocols' (``msr``: Microsoft Recommenders split,
seed 42; ``recbole``: RecBole's split, :func:`adlens.recommend.benchmark.tasks`); the two-tower model is
the shipped ``configs/two_tower.yaml`` and BPR-MF / ItemKNN keep the settings ``eval/recommend.py`` chose
on validation at seed 2020 (``CHOSEN``). Only the training seed changes. Training follows
``eval/recommend.py`` step by step: early stopping on the validation task, then (``msr``) a refit on the
whole train split for ``best_epoch + 1`` epochs; each model is scored once on test per seed. Prints, per
protocol, nDCG@10 and HR@10 as mean ± sample sd, min and max over seeds, next to the published BPR.
ItemKNN and popularity have no randomness: one fit each.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import statistics
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

from recommend import log

from adlens.recommend.baselines import BPRMF, BPRConfig, ItemKNN, Popularity
from adlens.recommend.benchmark import PUBLISHED, tasks
from adlens.recommend.data import load_movielens_100k
from adlens.recommend.evaluation import evaluate
from adlens.recommend.features import item_content, title_embeddings
from adlens.recommend.train import TwoTowerConfig, train_two_tower

SEEDS = (2020, 7, 13, 1, 42)
CHOSEN: dict[str, dict[str, dict[str, Any]]] = {
    # what eval/recommend.py chose on the validation split (seed 2020; docs/recommend.md, "Results")
    "msr": {"itemknn": {"neighbours": 200, "shrink": 50.0}, "bpr": {"lr": 1e-3, "dim": 200}},
    "recbole": {"itemknn": {"neighbours": 400, "shrink": 10.0}, "bpr": {"lr": 1e-3, "dim": 200}},
}
MODELS = ("Popularity", "ItemKNN", "BPR-MF", "Two-tower (adlens)")
TITLES = {
    "msr": "Microsoft Recommenders protocol (75/25 item-stratified, split seed 42, seen removed)",
    "recbole": "RecBole protocol (RO, RS 0.8/0.1/0.1 per user, full ranking)",
}


def run_protocol_seeds(
    protocol: str, seeds: list[int], data: str, cache_dir: str, partial: str
) -> list[dict[str, Any]]:
    """Train and score every model of ``protocol`` at each seed; append each row to ``partial`` (JSONL)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    ds = load_movielens_100k(data)
    cfg = TwoTowerConfig.from_yaml()
    text, space = title_embeddings(ds.item_titles, cache_dir) if cfg.use_text else (None, None)
    content = item_content(
        ds, text=text, text_space=space, use_categories=cfg.use_categories, text_dim=cfg.text_dim
    ).matrix
    valid, test, refit = tasks(ds, protocol)
    metric = "mrr@10" if protocol == "recbole" else "ndcg@10"  # as in benchmark.run_protocol
    rows: list[dict[str, Any]] = []

    def record(name: str, seed: int | None, model: Any, fit_s: float, notes: str) -> None:
        res: dict[str, Any] = dict(evaluate(model, test, ks=(10, 20)))
        res.update(protocol=protocol, model=name, seed=seed, train_s=round(fit_s, 1), notes=notes)
        rows.append(res)
        with open(partial, "a", encoding="utf-8") as f:
            f.write(json.dumps(res) + "\n")
        log(f"{protocol} seed {seed} {name}: ndcg@10={res['ndcg@10']:.4f} hit@10={res['hit@10']:.4f} {notes}")

    pop = Popularity().fit(test.history)
    record("Popularity", None, pop, pop.fit_seconds, "no randomness")
    knn = ItemKNN(**CHOSEN[protocol]["itemknn"]).fit(test.history)
    record("ItemKNN", None, knn, knn.fit_seconds, f"{CHOSEN[protocol]['itemknn']}, no randomness")
    for seed in seeds:
        base = BPRConfig(valid_metric=metric, max_epochs=300, seed=seed, **CHOSEN[protocol]["bpr"])
        bpr = BPRMF(base).fit(valid.history, valid)
        if refit:
            bpr = BPRMF(base).fit(test.history, None, epochs=bpr.best_epoch + 1)
        record("BPR-MF", seed, bpr, bpr.fit_seconds, f"epochs {bpr.epochs_run}")
        c = replace(cfg, valid_metric=metric, seed=seed)
        res = train_two_tower(ds, valid.history, content, c, valid)
        note = f"valid {metric}={max(res.valid_history):.4f} best epoch {res.best_epoch}"
        if refit:
            res = train_two_tower(ds, test.history, content, c, None, epochs=res.best_epoch + 1)
        record("Two-tower (adlens)", seed, res.model, res.fit_seconds, f"{note}, epochs {res.epochs_run}")
    return rows


def _stats(values: list[float]) -> str:
    sd = statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{statistics.fmean(values):.4f} ± {sd:.4f}"


def markdown(rows: list[dict[str, Any]], protocols: list[str]) -> str:
    """Per protocol: the summary table over seeds, then nDCG@10 seed by seed."""
    out: list[str] = []
    for protocol in protocols:
        prow = [r for r in rows if r["protocol"] == protocol]
        if not prow:
            continue
        pub_name, pub = next(iter(PUBLISHED[protocol].items()))
        seeds = list(dict.fromkeys(r["seed"] for r in prow if r["seed"] is not None))
        out += [f"\n### {TITLES[protocol]}\n", f"Training seeds: {', '.join(map(str, seeds))}.\n"]
        out.append(
            "| model | runs | nDCG@10 mean ± sd | nDCG@10 min | nDCG@10 max | HR@10 mean ± sd | HR@10 min "
            f"| seeds with nDCG@10 > {pub['ndcg@10']:.4f} |"
        )
        out.append("|---|---|---|---|---|---|---|---|")
        for name in MODELS:
            mrows = [r for r in prow if r["model"] == name]
            if not mrows:
                continue
            nd, hr = [r["ndcg@10"] for r in mrows], [r["hit@10"] for r in mrows]
            runs = "1 (deterministic)" if mrows[0]["seed"] is None else str(len(mrows))
            wins = "-" if mrows[0]["seed"] is None else f"{sum(v > pub['ndcg@10'] for v in nd)}/{len(nd)}"
            out.append(
                f"| {name} | {runs} | {_stats(nd)} | {min(nd):.4f} | {max(nd):.4f} | {_stats(hr)} "
                f"| {min(hr):.4f} | {wins} |"
            )
        hit = f"{pub['hit@10']:.4f}" if "hit@10" in pub else ""
        out.append(f"| *published* {pub_name} | 1 | {pub['ndcg@10']:.4f} | | | {hit} | | |")
        out.append("\nnDCG@10 / HR@10 seed by seed:\n")
        out.append("| model | " + " | ".join(str(s) for s in seeds) + " |")
        out.append("|---|" + "---|" * len(seeds))
        for name in ("BPR-MF", "Two-tower (adlens)"):
            by_seed = {r["seed"]: r for r in prow if r["model"] == name}
            cells = [
                f"{by_seed[s]['ndcg@10']:.4f} / {by_seed[s]['hit@10']:.4f}" if s in by_seed else ""
                for s in seeds
            ]
            out.append(f"| {name} | " + " | ".join(cells) + " |")
        out.append("")
        for r in prow:
            if r["seed"] is not None:
                out.append(f"- {r['model']} seed {r['seed']}: {r['notes']} ({r['train_s']} s)")
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--protocols", nargs="+", choices=sorted(CHOSEN), default=["msr", "recbole"])
    ap.add_argument("--seeds", nargs="+", type=int, default=list(SEEDS))
    ap.add_argument(
        "--data", default=str(Path(__file__).resolve().parents[2] / "shared" / "data" / "movielens-100k")
    )
    ap.add_argument("--cache-dir", default=os.path.join(tempfile.gettempdir(), "adlens-recommend-cache"))
    ap.add_argument("--out", help="also write the markdown here")
    ap.add_argument("--partial", default="/tmp/rec_seeds_rows.jsonl", help="every finished row, as JSONL")
    ap.add_argument("--workers", type=int, default=2, help="protocols trained in parallel (1 thread each)")
    ap.add_argument("--from-partial", action="store_true", help="only print the table of --partial rows")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    if args.from_partial:
        rows = [json.loads(line) for line in Path(args.partial).read_text().splitlines() if line.strip()]
    else:
        Path(args.partial).write_text("")
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=args.workers, mp_context=ctx) as pool:
            futures = [
                pool.submit(run_protocol_seeds, p, args.seeds, args.data, args.cache_dir, args.partial)
                for p in args.protocols
            ]
            rows = [row for f in futures for row in f.result()]
    text = markdown(rows, args.protocols)
    text += f"\nwall time {time.perf_counter() - t0:.0f} s; sd = sample standard deviation over seeds.\n"
    print(text)
    if args.out:
        Path(args.out).write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
