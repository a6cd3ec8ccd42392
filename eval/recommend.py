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
from pathlib import Path
from typing import Any

from adlens.recommend.benchmark import COLUMNS, PUBLISHED, ProtocolResult, run_benchmark


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def print_table(result: ProtocolResult) -> None:
    protocol, rows = result.protocol, result.rows
    title = {
        "msr": "Microsoft Recommenders protocol (75/25 item-stratified, seed 42, seen removed)",
        "msr_user": "Microsoft Recommenders split stratified per user instead (75/25, seed 42, seen removed)",
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
    if result.variants:
        print("\nTwo-tower variants on the validation split (selection by this number only):\n")
        for v in result.variants:
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


REFERENCE = (
    Path(__file__).resolve().parents[1] / "src" / "adlens" / "recommend" / "configs" / "reference_eval.yaml"
)
KEEP = [key for _, key in COLUMNS] + ["train_s", "epoch_s", "model", "notes"]


def reference_doc(results: list[ProtocolResult], when: str) -> dict[str, Any]:
    """The stored-evaluation document (what ``GET /api/v1/recommend/eval`` serves): figures only."""
    protocols = {}
    for r in results:
        rows = [
            {
                k: (round(v, 4) if isinstance(v, float) else v)
                for k in KEEP
                if (v := row.get(k)) is not None or k in row
            }
            for row in r.rows
        ]
        protocols[r.protocol] = {"rows": rows, "published": r.published, "validation_variants": r.variants}
    return {
        "dataset": "movielens-100k",
        "source": f"eval/recommend.py --protocol both ({when}; reference figures, no MovieLens data is shipped)",
        "protocols": protocols,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument(
        "--protocol",
        choices=["msr", "msr_user", "recbole", "both"],
        default="both",
        help="both = msr (item-stratified, the published variant), msr_user (per user) and recbole",
    )
    ap.add_argument(
        "--data", default=str(Path(__file__).resolve().parents[2] / "shared" / "data" / "movielens-100k")
    )
    ap.add_argument("--cache-dir", default=os.path.join(tempfile.gettempdir(), "adlens-recommend-cache"))
    ap.add_argument("--out", default=str(Path(__file__).parent / "results"))
    ap.add_argument("--quick", action="store_true", help="tiny grids and few epochs (smoke run)")
    ap.add_argument(
        "--write-reference",
        action="store_true",
        help=f"also write the demo's reference table {REFERENCE.name}",
    )
    args = ap.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    protocols = ["msr", "msr_user", "recbole"] if args.protocol == "both" else [args.protocol]
    results = run_benchmark(args.data, protocols, cache_dir=args.cache_dir, quick=args.quick, log=log)
    for result in results:
        print_table(result)
    all_rows = {r.protocol: r.rows for r in results}
    out = Path(args.out)
    plot(all_rows, out / "recommend.png")
    valid = {r.protocol: r.variants for r in results}
    (out / "recommend.json").write_text(json.dumps({"test": all_rows, "two_tower_valid": valid}, indent=1))
    print(f"\nchart: {out / 'recommend.png'}")
    if args.write_reference and not args.quick:
        import yaml

        head = "# Reference evaluation table shown by the demo (figures measured by eval/recommend.py).\n"
        doc = reference_doc(results, time.strftime("%Y-%m-%d"))
        REFERENCE.write_text(head + yaml.safe_dump(json.loads(json.dumps(doc)), sort_keys=False))
        print(f"reference table: {REFERENCE}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
