"""MovieLens-100k: popularity, ItemKNN, BPR-MF and the adlens two-tower model under two published protocols.

    .venv/bin/python eval/recommend.py --protocol both

For each protocol (``msr``: Microsoft Recommenders 75/25 stratified split, top-10 with seen items
removed; ``recbole``: RecBole 80/10/10 per-user random split, full ranking) every model is tuned on a
validation split that never touches the test rows, then evaluated once on test. Prints one table per
protocol next to the published numbers, and writes a bar chart to ``eval/results/recommend.png``.
MovieLens is research-only: it is read from ``--data`` at run time and nothing trained on it is kept.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from adlens.recommend.baselines import BPRMF, BPRConfig, ItemKNN, Popularity
from adlens.recommend.data import load_movielens_100k
from adlens.recommend.evaluation import RankingTask, evaluate, holdout_task, validation_task
from adlens.recommend.features import item_content, title_embeddings
from adlens.recommend.splits import carve_validation, make_split
from adlens.recommend.train import TwoTowerConfig, train_two_tower
from adlens.recommend.tuning import grid_search

PUBLISHED = {
    "msr": {  # Microsoft Recommenders README, MovieLens 100k, k=10
        "BPR (cornac)": {
            "ndcg@10": 0.441997,
            "precision@10": 0.388229,
            "recall@10": 0.212522,
            "map": 0.132478,
        },
        "BiVAE": {"ndcg@10": 0.475077, "precision@10": 0.411771, "recall@10": 0.219145, "map": 0.146126},
        "LightGCN": {"ndcg@10": 0.419846, "precision@10": 0.379626, "recall@10": 0.144336, "map": 0.088526},
        "NCF": {"ndcg@10": 0.396118, "precision@10": 0.347296, "recall@10": 0.180775, "map": 0.107720},
        "SAR": {"ndcg@10": 0.382461, "precision@10": 0.330753, "recall@10": 0.176385, "map": 0.110591},
    },
    "recbole": {  # RecBole README quick-start, BPR, test result
        "BPR (RecBole)": {
            "ndcg@10": 0.2768,
            "hit@10": 0.7614,
            "mrr@10": 0.4519,
            "precision@10": 0.1901,
            "recall@10": 0.2368,
        },
    },
}
VARIANTS: dict[str, list[dict[str, Any]]] = {}  # two-tower loss variants, validation only
COLUMNS = [
    ("nDCG@10", "ndcg@10"),
    ("HR@10", "hit@10"),
    ("HR@20", "hit@20"),
    ("MRR@10", "mrr@10"),
    ("P@10", "precision@10"),
    ("R@10", "recall@10"),
    ("MAP", "map"),
    ("Cov@10", "coverage@10"),
]


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def tasks(ds: Any, protocol: str) -> tuple[RankingTask, RankingTask, bool]:
    """(validation task, test task, refit_on_full_train)."""
    split = make_split(ds, protocol)
    if protocol == "msr":  # two-part protocol: carve validation out of the 75 % train
        return validation_task(ds, carve_validation(ds, split, 0.1, seed=7)), holdout_task(ds, split), True
    return validation_task(ds, split), holdout_task(ds, split), False


def run_protocol(ds: Any, protocol: str, content: Any, quick: bool) -> list[dict[str, Any]]:
    valid, test, refit = tasks(ds, protocol)
    metric = "ndcg@10" if protocol == "msr" else "mrr@10"  # RecBole early-stops on MRR@10
    rows: list[dict[str, Any]] = []

    def record(name: str, model: Any, fit_s: float, epoch_s: float | None, notes: str) -> None:
        res = evaluate(model, test, ks=(10, 20))
        res.update(model=name, train_s=fit_s, epoch_s=epoch_s, notes=notes)
        rows.append(res)
        log(f"{protocol} {name}: ndcg@10={res['ndcg@10']:.4f} hit@10={res['hit@10']:.4f} ({notes})")

    pop = Popularity().fit(test.history)
    record("Popularity", pop, pop.fit_seconds, None, "no parameters")

    knn_grid = {"neighbours": [50, 100, 200, 400], "shrink": [0.0, 10.0, 50.0]}
    if quick:
        knn_grid = {"neighbours": [100], "shrink": [10.0]}
    g = grid_search(lambda p: ItemKNN(**p).fit(valid.history), knn_grid, valid, metric)
    knn = ItemKNN(**g.best_params).fit(test.history)
    record("ItemKNN", knn, knn.fit_seconds, None, f"{g.best_params} valid {metric}={g.best_value:.4f}")

    bpr_grid = {"lr": [1e-3, 5e-3], "dim": [64, 200]}
    if quick:
        bpr_grid = {"lr": [5e-3], "weight_decay": [0.0]}
    base = BPRConfig(valid_metric=metric, max_epochs=20 if quick else 300)
    g = grid_search(lambda p: BPRMF(replace(base, **p)).fit(valid.history, valid), bpr_grid, valid, metric)
    bpr = g.best_model
    if refit:
        bpr = BPRMF(replace(base, **g.best_params)).fit(test.history, None, epochs=bpr.best_epoch + 1)
    record(
        "BPR-MF",
        bpr,
        bpr.fit_seconds,
        float(np.mean(bpr.epoch_seconds)),
        f"{g.best_params} epochs {bpr.epochs_run}",
    )

    cfg = TwoTowerConfig.from_yaml()
    tt_grid: list[dict[str, Any]] = [{"loss": cfg.loss}]
    if not quick:  # the loss choice (and the logQ correction) is justified on validation numbers
        tt_grid = [{"loss": "inbatch"}, {"loss": "inbatch", "logq": False}, {"loss": "bpr"}, {"loss": "full"}]
    best: tuple[float, Any, TwoTowerConfig] | None = None
    for params in tt_grid:
        c = replace(cfg, valid_metric=metric, max_epochs=5 if quick else cfg.max_epochs, **params)
        res = train_two_tower(ds, valid.history, content, c, valid)
        value = evaluate(res.model, valid, ks=(10,))[metric]
        log(
            f"{protocol} two-tower {params}: valid {metric}={value:.4f} best epoch {res.best_epoch} "
            f"({np.mean(res.epoch_seconds):.2f} s/epoch)"
        )
        VARIANTS.setdefault(protocol, []).append(
            {
                "params": params,
                metric: value,
                "best_epoch": res.best_epoch,
                "epoch_s": float(np.mean(res.epoch_seconds)),
            }
        )
        if best is None or value > best[0]:
            best = (value, res, c)
    assert best is not None
    _, res, c = best
    if refit:
        res = train_two_tower(ds, test.history, content, c, None, epochs=res.best_epoch + 1)
    record(
        "Two-tower (adlens)",
        res.model,
        res.fit_seconds,
        float(np.mean(res.epoch_seconds)),
        f"loss={c.loss} epochs {res.epochs_run}",
    )
    return rows


def print_table(protocol: str, rows: list[dict[str, Any]]) -> None:
    title = {
        "msr": "Microsoft Recommenders protocol (75/25 item-stratified, seed 42, seen removed)",
        "recbole": "RecBole protocol (RO, RS 0.8/0.1/0.1 per user, full ranking)",
    }[protocol]
    print(f"\n## {title}\n")
    head = "| model | " + " | ".join(c for c, _ in COLUMNS) + " | train s | s/epoch |"
    print(head)
    print("|" + "---|" * (len(COLUMNS) + 3))
    for r in rows:
        cells = [f"{r[k]:.4f}" for _, k in COLUMNS]
        ep = f"{r['epoch_s']:.2f}" if r.get("epoch_s") else "-"
        print(f"| {r['model']} | " + " | ".join(cells) + f" | {r['train_s']:.1f} | {ep} |")
    for name, pub in PUBLISHED[protocol].items():
        cells = [f"{pub[k]:.4f}" if k in pub else "" for _, k in COLUMNS]
        print(f"| *published* {name} | " + " | ".join(cells) + " | | |")
    print()
    for r in rows:
        print(f"- {r['model']}: {r['notes']}")
    if VARIANTS.get(protocol):
        print("\nTwo-tower variants on the validation split (selection by this number only):\n")
        for v in VARIANTS[protocol]:
            vals = ", ".join(f"{k}={x:.4f}" for k, x in v.items() if "@" in k)
            print(f"- {v['params']}: {vals}, best epoch {v['best_epoch']}, {v['epoch_s']:.2f} s/epoch")


def plot(all_rows: dict[str, list[dict[str, Any]]], out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(all_rows), figsize=(6 * len(all_rows), 4), squeeze=False)
    for ax, (protocol, rows) in zip(axes[0], all_rows.items(), strict=True):
        names = [r["model"] for r in rows] + [f"pub. {n}" for n in PUBLISHED[protocol]]
        vals = [r["ndcg@10"] for r in rows] + [p["ndcg@10"] for p in PUBLISHED[protocol].values()]
        colours = ["tab:blue"] * len(rows) + ["tab:grey"] * len(PUBLISHED[protocol])
        ax.barh(names, vals, color=colours)
        ax.set_title(f"{protocol}: nDCG@10 on MovieLens-100k")
        ax.invert_yaxis()
        for i, v in enumerate(vals):
            ax.text(v, i, f" {v:.3f}", va="center", fontsize=8)
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=120)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--protocol", choices=["msr", "recbole", "both"], default="both")
    ap.add_argument("--data", default="/work/shared/data/movielens-100k")
    ap.add_argument("--cache-dir", default=os.path.join(tempfile.gettempdir(), "adlens-recommend-cache"))
    ap.add_argument("--out", default=str(Path(__file__).parent / "results"))
    ap.add_argument("--quick", action="store_true", help="tiny grids and few epochs (smoke run)")
    args = ap.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    ds = load_movielens_100k(args.data)
    cfg = TwoTowerConfig.from_yaml()
    text, space = title_embeddings(ds.item_titles, args.cache_dir) if cfg.use_text else (None, None)
    content = item_content(
        ds, text=text, text_space=space, use_categories=cfg.use_categories, text_dim=cfg.text_dim
    )
    log(f"content features {content.parts} -> {content.matrix.shape}")
    protocols = ["msr", "recbole"] if args.protocol == "both" else [args.protocol]
    all_rows = {p: run_protocol(ds, p, content.matrix, args.quick) for p in protocols}
    for p, rows in all_rows.items():
        print_table(p, rows)
    out = Path(args.out)
    plot(all_rows, out / "recommend.png")
    (out / "recommend.json").write_text(json.dumps({"test": all_rows, "two_tower_valid": VARIANTS}, indent=1))
    print(f"\nchart: {out / 'recommend.png'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
