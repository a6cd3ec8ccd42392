"""Throughput of the adclass classifiers (ads per second) on this machine, each against a baseline.

    .venv/bin/python bench/adclass.py [--fast-n 1024] [--llm-n 8] [--batch 64]

Ads are generated here from templates (brand, product, filler sentences; ~250 characters each), so the
benchmark needs no data set. Rows:

* ``fast`` batched (``--batch`` ads per ``classify`` call, as the service calls it) vs the baseline
  ``fast`` per ad (one ``classify`` call per ad: no batching of the embedder).
* ``llm`` batched (``generate_json_many`` over llama.cpp's parallel slots, shared cached prompt prefix)
  vs the baseline ``llm`` per ad (one call per ad), on ``--llm-n`` ads each.
* ``fast, minilm+mpnet head`` (only with the mpnet wheels installed): the same batched run with a theme
  head trained on the MiniLM + mpnet view (adlens.adclass.classifiers.views), i.e. the added cost of
  the second encoder.
* ``ensemble`` batched on the fast ads: its speed depends on the share routed to the llm (printed).

The goal for ``fast`` is >= 14 ads/s (50k ads/hour); the seed asked for 50k ads/day (0.6 ads/s).
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from adlens.adclass.classifiers import Ad, Classifier, ThemeSet, get_classifier, train_head
from adlens.embed.mpnet import mpnet_available

BRANDS = {
    "Pepsi": ["Pepsi Max", "Diet Pepsi", "Mountain Dew"],
    "Apple": ["iPhone", "MacBook", "AirPods"],
    "Ford": ["F-150", "Mustang", "Bronco"],
    "Nike": ["Air Max", "Air Jordan", "running shoes"],
}
OPENERS = [
    "This summer, try the new {p} from {b}.",
    "Just got my {p} and honestly I love it!!",
    "{b} announced today that the {p} will ship next month, reports say.",
    "We believe in moving forward together. {b}.",
    "Save 25% on {p} this weekend only, order online now.",
    "me trying to look cool with my {p} lol",
    "Weekend plans: beach, friends, and a long drive with the family.",
    "Fresh apple pie recipe with cinnamon and a buttery crust.",
]
FILLERS = [
    "Available in stores and online while supplies last.",
    "Free shipping on orders over $50.",
    "Tag a friend who needs to see this.",
    "Terms and conditions apply, see website for details.",
    "Follow us for more updates and behind the scenes.",
    "What do you think? Let us know in the comments.",
]


def make_ads(n: int, seed: int = 7) -> list[tuple[str, Ad]]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        brand = rng.choice(list(BRANDS))
        text = rng.choice(OPENERS).format(b=brand, p=rng.choice(BRANDS[brand]))
        text += " " + " ".join(rng.sample(FILLERS, 3))
        out.append((brand, Ad(f"b{i}", text, page_name=rng.choice([brand, "Daily Deals", ""]))))
    return out


def run(clf: Classifier, items: list[tuple[str, Ad]], batch: int) -> tuple[float, list[Any]]:
    """Classify ``items`` in calls of ``batch`` ads (grouped by keyword); return seconds and predictions."""
    by_kw: dict[str, list[Ad]] = {}
    for kw, ad in items:
        by_kw.setdefault(kw, []).append(ad)
    preds: list[Any] = []
    started = time.perf_counter()
    for kw, ads in by_kw.items():
        for i in range(0, len(ads), batch):
            preds.extend(clf.classify(kw, ads[i : i + batch]))
    return time.perf_counter() - started, preds


def row(name: str, mode: str, n: int, secs: float, note: str = "") -> str:
    rate = n / secs if secs else float("inf")
    return f"| {name} | {mode} | {n} | {secs:.2f} | {rate:.2f} | {rate * 3600:,.0f} | {note} |"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--fast-n", type=int, default=1024)
    ap.add_argument("--llm-n", type=int, default=6)
    ap.add_argument("--batch", type=int, default=64)
    args = ap.parse_args()
    from adlens.config import get_settings
    from adlens.runtime import Runtime

    settings = get_settings()
    rt = Runtime(settings)
    themes = ThemeSet.default()
    fast = get_classifier("fast", rt, themes)
    warm = make_ads(16, seed=1)
    run(fast, warm, 16)  # load and warm the embedder (not timed)
    items = make_ads(args.fast_n)
    lines = [
        f"cpus: {os.cpu_count()}, load average at start: {os.getloadavg()[0]:.1f}, threads setting: {settings.threads}",
        "",
        "| backend | mode | ads | seconds | ads/s | ads/hour | note |",
        "|---|---|---|---|---|---|---|",
    ]
    secs, _ = run(fast, items, args.batch)
    lines.append(row("fast", f"batched ({args.batch}/call)", len(items), secs))
    per_ad = items[: max(64, args.fast_n // 8)]
    secs1, _ = run(fast, per_ad, 1)
    lines.append(row("fast", "per ad (baseline)", len(per_ad), secs1))
    log("\n".join(lines[-2:]))
    if mpnet_available():  # a head trained on the MiniLM + mpnet view (install.sh --mpnet): its added cost
        head_path = Path(tempfile.mkdtemp(prefix="adlens-bench-head-")) / "head.json"
        train_head([], rt, themes, head_path, view="minilm+mpnet")  # the theme and written examples
        big = get_classifier("fast", rt, themes, head_path=head_path)
        run(big, warm, 16)  # assemble and load mpnet (not timed)
        secs_m, _ = run(big, items, args.batch)
        lines.append(row("fast, minilm+mpnet head", f"batched ({args.batch}/call)", len(items), secs_m))
        log(lines[-1])
    if args.llm_n > 0:
        llm = get_classifier("llm", rt, themes)
        llm_items = make_ads(args.llm_n, seed=3)
        run(llm, make_ads(2, seed=5), 2)  # load the model and fill the prompt-prefix cache (not timed)
        secs_b, preds_b = run(llm, llm_items, 8)
        timeouts = sum(any("timed out" in n for n in p.notes) for p in preds_b)
        lines.append(
            row("llm", "batched (8/call, parallel slots)", len(llm_items), secs_b, f"{timeouts} timeouts")
        )
        log(lines[-1])
        secs_1, preds_1 = run(llm, llm_items, 1)
        timeouts = sum(any("timed out" in n for n in p.notes) for p in preds_1)
        lines.append(row("llm", "per ad (baseline)", len(llm_items), secs_1, f"{timeouts} timeouts"))
        log(lines[-1])
        ens = get_classifier("ensemble", rt, themes)
        ens_items = items[: max(16, args.llm_n * 4)]
        secs_e, preds_e = run(ens, ens_items, args.batch)
        routed = sum(p.backend == "ensemble:llm" for p in preds_e) / len(preds_e)
        lines.append(
            row(
                "ensemble",
                f"batched ({args.batch}/call)",
                len(ens_items),
                secs_e,
                f"{routed:.1%} routed to llm",
            )
        )
    rt.close()
    print("\n".join(lines))


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


_: Callable[..., Any] = main

if __name__ == "__main__":
    main()
