"""Benchmark the local LLM backend: sequential calls vs batched parallel slots, in one run.

Run: .venv/bin/python bench/llm.py [--threads 1] [--model PATH] [--cache-dir DIR]

Twelve short ad-classification prompts sharing one few-shot head, JSON-Schema constrained
(category enum + is_ad boolean). Baseline: ``generate_json`` one prompt after another with one slot
and prompt-prefix reuse. Compared: the same without prefix reuse (``swa_full=False``: Gemma 3's
sliding-window layers then cannot reuse the cached head), ``generate_json_many`` with 2 and 4 parallel
slots, 2 concurrent callers of ``generate_json`` (per-prompt latency under batching), and one more
llama.cpp thread.
Each variant loads its own model and is warmed up with one call first (not timed).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from adlens.llm import LlamaCppModel, packaged_model_path

CATEGORIES = ["food", "tech", "fashion", "travel", "finance", "other"]
SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"category": {"type": "string", "enum": CATEGORIES}, "is_ad": {"type": "boolean"}},
    "required": ["category", "is_ad"],
    "additionalProperties": False,
}
FEW_SHOT = """Classify each text: its category and whether it is an advertisement. Answer in JSON.
Text: Get 50% off running shoes this weekend only!
JSON: {"category": "fashion", "is_ad": true}
Text: The weather in Paris was mild yesterday.
JSON: {"category": "travel", "is_ad": false}
Text: New smartphone with 5G, buy now at $499.
JSON: {"category": "tech", "is_ad": true}
Text: Open a savings account with 4% interest today.
JSON: {"category": "finance", "is_ad": true}
"""
CASES = [
    ("Order pizza tonight, free delivery on all orders!", "food", True),
    ("Fly to Rome from $99 with our summer fares.", "travel", True),
    ("The new X200 laptop: 16 GB RAM, now only $799.", "tech", True),
    ("Designer dresses 30% off, this week only.", "fashion", True),
    ("Zero-fee credit card, apply in two minutes.", "finance", True),
    ("Fresh sushi boxes delivered to your office.", "food", True),
    ("Book a beach hotel in Bali, breakfast included.", "travel", True),
    ("Wireless earbuds with 30-hour battery, buy now.", "tech", True),
    ("The city council met on Tuesday to discuss parking.", "other", False),
    ("Scientists found a new species of frog in Peru.", "other", False),
    ("Leather handbags: buy one, get one half price.", "fashion", True),
    ("Stock markets closed slightly lower on Friday.", "finance", False),
]
WARMUP = "Summer sale on garden furniture, up to 40% off."


def prompt(text: str) -> str:
    return FEW_SHOT + f"Text: {text}\nJSON:"


def run_sequential(
    model: LlamaCppModel, prompts: list[str], max_tokens: int
) -> tuple[float, list[float], list]:
    latencies, answers = [], []
    start = time.perf_counter()
    for p in prompts:
        t = time.perf_counter()
        answers.append(model.generate_json(p, SCHEMA, max_tokens=max_tokens))
        latencies.append(time.perf_counter() - t)
    return time.perf_counter() - start, latencies, answers


def run_many(model: LlamaCppModel, prompts: list[str], max_tokens: int) -> tuple[float, list[float], list]:
    start = time.perf_counter()
    answers = model.generate_json_many(prompts, SCHEMA, max_tokens=max_tokens)
    return time.perf_counter() - start, [], answers


def run_concurrent(
    model: LlamaCppModel, prompts: list[str], max_tokens: int, workers: int
) -> tuple[float, list[float], list]:
    start = time.perf_counter()

    def one(p: str) -> tuple[float, dict[str, Any]]:
        t = time.perf_counter()
        answer = model.generate_json(p, SCHEMA, max_tokens=max_tokens)
        return time.perf_counter() - t, answer

    with ThreadPoolExecutor(workers) as pool:
        results = list(pool.map(one, prompts))
    return time.perf_counter() - start, [r[0] for r in results], [r[1] for r in results]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=1, help="llama.cpp threads (a +1 variant runs too)")
    ap.add_argument("--max-tokens", type=int, default=48)
    ap.add_argument("--model", type=Path, default=None, help="GGUF path (default: packaged Gemma 3 270M)")
    ap.add_argument("--cache-dir", type=Path, default=Path(os.path.expanduser("~/.adlens/models")))
    args = ap.parse_args()
    path = args.model or packaged_model_path(args.cache_dir)
    prompts = [prompt(c[0]) for c in CASES]

    t = args.threads
    variants = [
        (f"sequential, 1 slot, prefix reuse, {t} thr (baseline)", 1, True, "seq", 0, t),
        (f"sequential, 1 slot, no prefix reuse, {t} thr", 1, False, "seq", 0, t),
        (f"sequential, 1 slot, prefix reuse, {t + 1} thr", 1, True, "seq", 0, t + 1),
        (f"generate_json_many, 2 slots, {t} thr", 2, True, "many", 0, t),
        (f"generate_json_many, 4 slots, {t} thr", 4, True, "many", 0, t),
        (f"2 concurrent generate_json callers, 2 slots, {t} thr", 2, True, "conc", 2, t),
    ]
    rows = []
    for name, slots, reuse, kind, workers, threads in variants:
        with LlamaCppModel(path, n_ctx=512 * slots, threads=threads, parallel=slots, swa_full=reuse) as m:
            m.generate_json(prompt(WARMUP), SCHEMA, max_tokens=args.max_tokens)
            if kind == "seq":
                wall, lat, answers = run_sequential(m, prompts, args.max_tokens)
            elif kind == "many":
                wall, lat, answers = run_many(m, prompts, args.max_tokens)
            else:
                wall, lat, answers = run_concurrent(m, prompts, args.max_tokens, workers)
        cat_ok = sum(a["category"] == c[1] for a, c in zip(answers, CASES, strict=True))
        ad_ok = sum(a["is_ad"] == c[2] for a, c in zip(answers, CASES, strict=True))
        rows.append((name, len(prompts) / wall, statistics.median(lat) if lat else None, cat_ok, ad_ok))
        print(f"done: {name} ({wall:.1f} s)", flush=True)

    base = rows[0][1]
    n = len(CASES)
    print(f"\nLocal LLM ({path.name}), {n} prompts, max_tokens={args.max_tokens}\n")
    print("| variant | prompts/s | vs baseline | p50 latency (s) | category ok | is_ad ok |")
    print("|---|---|---|---|---|---|")
    for name, rate, p50, cat_ok, ad_ok in rows:
        p50s = f"{p50:.2f}" if p50 is not None else "n/a (one call)"
        print(f"| {name} | {rate:.2f} | {rate / base:.2f}x | {p50s} | {cat_ok}/{n} | {ad_ok}/{n} |")


if __name__ == "__main__":
    main()
