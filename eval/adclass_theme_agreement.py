"""Agreement of a blind second labeller with the first theme labels, on the dev split only.

    .venv/bin/python eval/adclass_theme_agreement.py

The second labeller read the dev items of ``eval/adclass_theme_labels.tsv`` without their theme column and
labelled each by the rule in docs/adclass-classifiers.md; those labels are
``eval/adclass_theme_labels_dev_second.tsv`` (same columns). Prints raw agreement, Cohen's kappa and the
confusion matrix, overall and per source (tweets / ads). Only dev items are used: test items are dropped by
their id before anything else is looked at, and the second file is checked to hold dev items only.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "eval"))
from adclass import split_of  # noqa: E402

FIRST = ROOT / "eval" / "adclass_theme_labels.tsv"
SECOND = ROOT / "eval" / "adclass_theme_labels_dev_second.tsv"
THEMES = ["Product Promotion", "Brand Awareness", "Meme", "News", "Fan Content", "Personal Post"]
SHORT = {"Product Promotion": "P", "Brand Awareness": "B", "Meme": "M", "News": "N", "Fan Content": "F"}
SHORT["Personal Post"] = "S"


def dev_only(df: pd.DataFrame) -> pd.DataFrame:
    split = [split_of(f"theme:{s}:{r}", 0.2, 0.4) for s, r in zip(df["source"], df["row"], strict=True)]
    return df[[s == "dev" for s in split]].reset_index(drop=True)


def cohen_kappa(a: list[str], b: list[str]) -> float:
    """Cohen's kappa of two label sequences over the labels that occur in either."""
    labels = sorted(set(a) | set(b))
    n = len(a)
    po = sum(x == y for x, y in zip(a, b, strict=True)) / n
    pe = sum((a.count(c) / n) * (b.count(c) / n) for c in labels)
    return 1.0 if pe == 1 else (po - pe) / (1 - pe)


def confusion(a: list[str], b: list[str]) -> np.ndarray:
    m = np.zeros((len(THEMES), len(THEMES)), dtype=int)
    for x, y in zip(a, b, strict=True):
        m[THEMES.index(x), THEMES.index(y)] += 1
    return m


def report(name: str, first: list[str], second: list[str]) -> None:
    n = len(first)
    agree = sum(x == y for x, y in zip(first, second, strict=True))
    print(
        f"\n## {name}: n={n}  raw agreement {agree / n:.3f} ({agree}/{n})  Cohen's kappa {cohen_kappa(first, second):.3f}"
    )
    m = confusion(first, second)
    used = [i for i in range(len(THEMES)) if m[i].sum() or m[:, i].sum()]
    head = "first \\ second"
    print(f"{head:>18} " + " ".join(f"{SHORT[THEMES[j]]:>4}" for j in used) + "  total")
    for i in used:
        cells = " ".join(f"{m[i, j]:>4}" for j in used)
        print(f"{THEMES[i]:>18} {cells}  {m[i].sum():>5}")
    print(f"{'total':>18} " + " ".join(f"{m[:, j].sum():>4}" for j in used) + f"  {n:>5}")
    for t in THEMES:
        f, s = first.count(t), second.count(t)
        both = sum(x == y == t for x, y in zip(first, second, strict=True))
        if f or s:
            print(
                f"  {t:<18} first {f:>3}  second {s:>3}  both {both:>3}  (positive agreement {2 * both / (f + s):.2f})"
            )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--second", type=Path, default=SECOND, help="second labeller's file (dev items only)")
    args = ap.parse_args()
    first = dev_only(pd.read_csv(FIRST, sep="\t"))
    second = pd.read_csv(args.second, sep="\t")
    if len(dev_only(second)) != len(second):
        raise SystemExit("the second labels must hold dev items only")
    merged = first.merge(second, on=["source", "row"], suffixes=("_1", "_2"), validate="one_to_one")
    if len(merged) != len(first) or len(merged) != len(second):
        raise SystemExit(f"the second labels cover {len(merged)} of {len(first)} dev items")
    if (merged["text_sha1_1"] != merged["text_sha1_2"]).any():
        raise SystemExit("text hashes differ between the two label files")
    print(f"theme label agreement on the dev split ({FIRST.name} vs {args.second.name})")
    report("all", list(merged["theme_1"]), list(merged["theme_2"]))
    for source in ("tweets", "ads"):
        part = merged[merged["source"] == source]
        report(source, list(part["theme_1"]), list(part["theme_2"]))


if __name__ == "__main__":
    main()
