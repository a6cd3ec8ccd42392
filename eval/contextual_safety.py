"""Brand safety on labelled texts: per-flag precision/recall and the false-positive rate on safe texts.

    .venv/bin/python eval/contextual_safety.py [--split dev|test|all] [--json]

The labelled set (``src/adlens/contextual/data/dev/brand-safety-labelled.jsonl``, 170 short texts
written for adlens, CC0) gives each text the brand-safety categories it should raise. Labelling
rule: a category is labelled when the text sells, promotes, depicts or reports a real instance of
the harmful thing itself (a stabbing reported by the police, a vape shop's offer, a torrent link,
slurs or profanity used in the text); figurative, historical, fictional, educational, prevention
and everyday uses of risky words are *safe* ("a killer deal", "shoot a video", a history of the war,
cooking with wine, a quit-smoking programme, a film review of a heist movie). Each text is in the
``dev`` half (choose fixes) or the ``test`` half (report) by a CRC32 hash of its text.

A flag counts as raised at risk ≥ low ("any") and, separately, at risk ≥ medium (what the product
turns into IAB Sensitive-Topics categories and what buyers block by default).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from adlens.config import get_settings
from adlens.contextual.brand_safety import CATEGORIES, RISK_LEVELS, BrandSafety
from adlens.runtime import Runtime

__all__ = ["LABELLED", "evaluate", "load_labelled"]

LABELLED = Path(__file__).resolve().parents[1] / "src/adlens/contextual/data/dev/brand-safety-labelled.jsonl"
_KEY_OF = {c.name: c.key for c in CATEGORIES}


def load_labelled(split: str = "all") -> list[dict[str, Any]]:
    rows = [json.loads(line) for line in LABELLED.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [r for r in rows if split == "all" or r["split"] == split]


def evaluate(safety: BrandSafety, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Per-category precision/recall at two thresholds and the safe-text false-positive rates."""
    results = safety.assess_many_texts([r["text"] for r in rows])
    out: dict[str, Any] = {"n": len(rows), "safe_n": sum(not r["flags"] for r in rows)}
    errors: list[dict[str, Any]] = []
    for name, min_level in (("any", "low"), ("medium+", "medium")):
        floor = RISK_LEVELS.index(min_level)
        pred = [
            {_KEY_OF[f.category] for f in res["flags"] if RISK_LEVELS.index(f.risk) >= floor}
            for res in results
        ]
        per: dict[str, dict[str, float]] = {}
        tp_all = fp_all = fn_all = 0
        for c in CATEGORIES:
            tp = sum(c.key in p and c.key in r["flags"] for p, r in zip(pred, rows, strict=True))
            fp = sum(c.key in p and c.key not in r["flags"] for p, r in zip(pred, rows, strict=True))
            fn = sum(c.key not in p and c.key in r["flags"] for p, r in zip(pred, rows, strict=True))
            tp_all, fp_all, fn_all = tp_all + tp, fp_all + fp, fn_all + fn
            per[c.key] = {
                "support": tp + fn,
                "precision": tp / (tp + fp) if tp + fp else float("nan"),
                "recall": tp / (tp + fn) if tp + fn else float("nan"),
                "fp": fp,
            }
        safe = [p for p, r in zip(pred, rows, strict=True) if not r["flags"]]
        out[name] = {
            "per_flag": per,
            "micro_precision": tp_all / (tp_all + fp_all) if tp_all + fp_all else float("nan"),
            "micro_recall": tp_all / (tp_all + fn_all) if tp_all + fn_all else float("nan"),
            "safe_fp_rate": sum(bool(p) for p in safe) / max(1, len(safe)),
        }
        if name == "any":
            for p, r in zip(pred, rows, strict=True):
                if p != set(r["flags"]):
                    errors.append({"text": r["text"][:90], "gold": r["flags"], "pred": sorted(p)})
    out["errors_any"] = errors
    return out


def print_report(label: str, res: dict[str, Any]) -> None:
    print(f"\nBrand safety, {label}: {res['n']} texts ({res['safe_n']} safe)")
    print(f"{'flag':<26}{'support':>8}{'P any':>8}{'R any':>8}{'P med+':>8}{'R med+':>8}")
    for key in res["any"]["per_flag"]:
        a, m = res["any"]["per_flag"][key], res["medium+"]["per_flag"][key]
        print(
            f"{key:<26}{a['support']:>8}{a['precision']:>8.2f}{a['recall']:>8.2f}"
            f"{m['precision']:>8.2f}{m['recall']:>8.2f}"
        )
    for name in ("any", "medium+"):
        r = res[name]
        print(
            f"{name:<8} micro P {r['micro_precision']:.3f}  micro R {r['micro_recall']:.3f}  "
            f"safe texts flagged {r['safe_fp_rate']:.3f}"
        )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--split", choices=("dev", "test", "all"), default="dev")
    ap.add_argument("--json", action="store_true")
    ap.add_argument(
        "--errors", action="store_true", help="List the texts whose flags differ from the labels."
    )
    args = ap.parse_args(argv)
    runtime = Runtime(get_settings())
    try:
        safety = BrandSafety(runtime.text_embedder)
        res = evaluate(safety, load_labelled(args.split))
        if args.json:
            print(json.dumps(res, indent=1, default=float))
        else:
            print_report(args.split, res)
            if args.errors:
                for e in res["errors_any"]:
                    print(f"  gold {e['gold']} pred {e['pred']}: {e['text']}")
    finally:
        runtime.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
