"""Benchmark the embed seam against named baselines, in one run, on real data.

Run: .venv/bin/python bench/embed.py [--texts 128] [--images 32] [--threads 2]

Text: our MiniLM via ONNX Runtime (batch 32) vs sentence-transformers/PyTorch (same weights, batch 32)
vs ours one text at a time, plus cosine agreement with sentence-transformers. Images: the
EfficientNet-Lite0 backbone via ONNX Runtime vs the same model in PyTorch, and the whole
``ImageEmbedder.analyze`` without and with OCR.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
if not DATA.is_dir():
    DATA = Path("/work/shared/data")


def timed(fn: Callable[[], object], repeat: int = 1) -> float:
    """Best wall time of ``repeat`` runs (first call already warmed up by the caller)."""
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def interleaved(fns: dict[str, Callable[[], object]], rounds: int) -> dict[str, float]:
    """Best wall time of each function over ``rounds`` alternating rounds (A B C A B C ...), so that
    load from other processes on a shared machine hits every contender alike."""
    best = dict.fromkeys(fns, float("inf"))
    for _ in range(rounds):
        for name, fn in fns.items():
            t = time.perf_counter()
            fn()
            best[name] = min(best[name], time.perf_counter() - t)
    return best


def load_texts(n: int) -> list[str]:
    with (DATA / "ag-news-test" / "ag_news_test.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    key_title = next(k for k in rows[0] if k.lower() == "title")
    key_desc = next(k for k in rows[0] if k.lower().startswith("desc"))
    return [f"{r[key_title]}. {r[key_desc]}" for r in rows[:n]]


def load_images(n: int) -> list[bytes]:
    with (DATA / "coco-mini-captions" / "image_captions_labels.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    return [(DATA / "coco-mini-captions" / r["file"]).read_bytes() for r in rows[:n]]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--texts", type=int, default=128)
    ap.add_argument("--images", type=int, default=32)
    ap.add_argument("--ocr-images", type=int, default=8)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=3, help="alternating rounds; the best time of each counts")
    ap.add_argument(
        "--cache-dir", default=os.environ.get("ADLENS_MODEL_DIR") or tempfile.mkdtemp(prefix="adlens-bench-")
    )
    args = ap.parse_args()
    warnings.filterwarnings("ignore")
    os.environ["HF_HUB_OFFLINE"] = "1"

    import torch
    from sentence_transformers import SentenceTransformer

    from adlens.embed import ImageEmbedder, TextEmbedder, decode_image, preprocess
    from adlens.embed.efficientnet import load_pretrained
    from adlens.embed.text import minilm_dir

    torch.set_num_threads(args.threads)
    rows: list[tuple[str, str, str]] = []

    # ---- text ----
    texts = load_texts(args.texts)
    ours = TextEmbedder(args.cache_dir, threads=args.threads)
    ours.embed(texts[:32])
    st = SentenceTransformer(str(minilm_dir()), device="cpu")
    st.encode(texts[:32], batch_size=32)
    few = texts[:64]
    best = interleaved(
        {
            "ours": lambda: ours.embed(texts, batch_size=32),
            "ours8": lambda: ours.embed(texts, batch_size=8),
            "oursb": lambda: ours.embed(texts),
            "st": lambda: st.encode(texts, batch_size=32, normalize_embeddings=True),
            "st8": lambda: st.encode(texts, batch_size=8, normalize_embeddings=True),
            "one": lambda: [ours.embed_one(t) for t in few],
        },
        args.rounds,
    )
    t_ours, t_st, t_one = best["ours"], best["st"], best["one"]
    t_ours8, t_st8, t_oursb = best["ours8"], best["st8"], best["oursb"]
    a = ours.embed(texts)
    b = st.encode(texts, batch_size=32, normalize_embeddings=True, convert_to_numpy=True)
    cos = (a * b).sum(axis=1)
    n = len(texts)
    rows += [
        ("text: sentence-transformers/PyTorch, batch 32 (baseline)", f"{n / t_st:,.0f} texts/s", "1.00x"),
        ("text: ours, ONNX Runtime, batch 32", f"{n / t_ours:,.0f} texts/s", f"{t_st / t_ours:.2f}x"),
        ("text: sentence-transformers/PyTorch, batch 8", f"{n / t_st8:,.0f} texts/s", f"{t_st / t_st8:.2f}x"),
        ("text: ours, ONNX Runtime, batch 8", f"{n / t_ours8:,.0f} texts/s", f"{t_st / t_ours8:.2f}x"),
        (
            "text: ours, token-budget batches (our default)",
            f"{n / t_oursb:,.0f} texts/s",
            f"{t_st / t_oursb:.2f}x",
        ),
        (
            "text: ours, one at a time",
            f"{len(few) / t_one:,.0f} texts/s",
            f"{(len(few) / t_one) / (n / t_st):.2f}x",
        ),
        ("text: cosine ours vs sentence-transformers", f"mean {cos.mean():.5f}", f"min {cos.min():.5f}"),
    ]

    # ---- images ----
    datas = load_images(args.images)
    pixels = np.stack([preprocess(decode_image(d).image) for d in datas])
    emb = ImageEmbedder(args.cache_dir, text=ours, threads=args.threads)
    emb.load()
    emb.backbone.run_arrays(pixels[:16])
    model = load_pretrained()

    def torch_run() -> None:
        with torch.no_grad():
            for s in range(0, len(pixels), 16):
                model(torch.from_numpy(pixels[s : s + 16]))

    torch_run()
    best = interleaved(
        {"onnx": lambda: emb.backbone.run_arrays(pixels, batch_size=16), "torch": torch_run}, args.rounds
    )
    t_onnx, t_torch = best["onnx"], best["torch"]
    m = len(pixels)
    t_an = timed(lambda: emb.analyze_many(datas, ocr=False))
    n_one = min(16, len(datas))
    t_an1 = timed(lambda: [emb.analyze(d, ocr=False) for d in datas[:n_one]])
    ocr_datas = datas[: args.ocr_images]
    emb.analyze(ocr_datas[0], ocr=True)
    t_ocr = timed(lambda: [emb.analyze(d, ocr=True) for d in ocr_datas])
    t_auto = timed(lambda: emb.analyze_many(datas, ocr=None))
    rows += [
        ("images: backbone, PyTorch, batch 16 (baseline)", f"{m / t_torch:,.1f} images/s", "1.00x"),
        (
            "images: backbone, ONNX Runtime, batch 16",
            f"{m / t_onnx:,.1f} images/s",
            f"{t_torch / t_onnx:.2f}x",
        ),
        (
            "images: analyze_many, no OCR (decode+backbone+ConSE+colours+pHash)",
            f"{m / t_an:,.1f} images/s",
            "",
        ),
        ("images: analyze one at a time, no OCR", f"{n_one / t_an1:,.1f} images/s", ""),
        ("images: analyze one at a time, OCR always", f"{len(ocr_datas) / t_ocr:,.2f} images/s", ""),
        ("images: analyze_many, OCR when likely_has_text", f"{m / t_auto:,.1f} images/s", ""),
    ]

    w = max(len(r[0]) for r in rows)
    print(
        f"threads={args.threads}  texts={n} (AG News test)  images={m} (COCO-mini)  python={sys.version.split()[0]}"
    )
    print(f"{'measure'.ljust(w)} | {'result':>22} | vs baseline")
    print("-" * (w + 40))
    for name, val, rel in rows:
        print(f"{name.ljust(w)} | {val:>22} | {rel}")


if __name__ == "__main__":
    main()
