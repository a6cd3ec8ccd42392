"""Does all-mpnet-base-v2 lift the theme head? MiniLM vs mpnet vs both, on dev only (issue #8).

    .venv/bin/python eval/adclass_theme_mpnet.py [--data ../shared/data] [--train3]

Same data, splits, training sets and models as ``eval/adclass_theme_models.py`` (imported from it):
logistic regression on the text embedding, alone or stacked with the shipped TF-IDF view, fitted on
the train split (+ theme examples + our written examples) and scored on dev; plus repeated
5-fold cross-validation on train+dev (3 seeds, paired with the MiniLM head on the same folds) for
the best of each encoder. Encoders: MiniLM (the product's text
space), all-mpnet-base-v2 (768-d, ``adlens.embed.mpnet``, ``./scripts/install.sh --mpnet``) and both concatenated. The test split is dropped as soon as the labels are
loaded: this script never embeds, fits or scores it. mpnet vectors are cached under
``<cache_dir>/adclass-eval/mpnet.npz``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "eval"))
import adclass as ev  # noqa: E402
import adclass_theme_models as tm  # noqa: E402
from contextual_data import CachedEmbedder  # noqa: E402

from adlens.adclass.classifiers import ThemeSet  # noqa: E402
from adlens.adclass.classifiers.head import head_themes  # noqa: E402
from adlens.adclass.classifiers.written import written_examples  # noqa: E402
from adlens.embed.mpnet import MpnetEmbedder  # noqa: E402

ENCODERS = ("minilm", "mpnet", "minilm+mpnet")
KINDS = ("emb", "emb+tfidf")
CS = (0.5, 2.0, 8.0, 32.0)
CV_SEEDS = (13, 14, 15)


def view(by_encoder: dict[str, tm.Features], encoder: str) -> tm.Features:
    """The Features whose embedding (and masked view) is ``encoder``'s (both concatenated for "a+b")."""
    parts = [by_encoder[e] for e in encoder.split("+")]
    g = tm.Features.__new__(tm.Features)
    g.texts, g.s = parts[0].texts, parts[0].s
    g.e = np.hstack([p.e for p in parts])
    g.m = np.hstack([p.m for p in parts])
    return g


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--train3", action="store_true", help="add the third, training-only label batch to train")
    args = ap.parse_args()
    from adlens.config import get_settings
    from adlens.runtime import Runtime

    started = time.perf_counter()
    settings = get_settings()
    rt = Runtime(settings)
    mpnet = CachedEmbedder(
        MpnetEmbedder(settings.models_dir, max_seq_length=384),
        settings.cache_dir / "adclass-eval" / "mpnet.npz",
    )
    embs: dict[str, Any] = {"minilm": ev.CachedEmbedder(rt.text_embedder), "mpnet": mpnet}
    themes = ThemeSet.default()
    classes = head_themes(themes)
    items = (args.data, ev.load_ads(args.data), ev.all_tweets(args.data))
    labels = ev.theme_items(*items, extra_train=True) if args.train3 else ev.theme_items(*items)
    labels = labels[labels["split"] != "test"]  # never used here
    parts = {s: labels[labels["split"] == s] for s in ("train", "dev")}
    extra_note = " + train3 batch" if args.train3 else ""
    print(f"# theme head: MiniLM vs all-mpnet-base-v2 (dev only{extra_note}, seed {tm.SEED})\n")
    print(f"items: { {s: len(p) for s, p in parts.items()} }")
    ex = [(e, n) for n in classes for e in themes.get(n).examples]
    written = written_examples(classes)
    extra_texts = [t for t, _ in ex + written]
    y_extra = np.array([n for _, n in ex + written])
    feats: dict[str, dict[str, tm.Features]] = {}
    for name, emb in embs.items():
        t0 = time.perf_counter()
        feats[name] = {s: tm.Features(emb, list(p["text"]), list(p["keyword"])) for s, p in parts.items()}
        feats[name]["extra"] = tm.Features(emb, extra_texts, ["" for _ in extra_texts])
        print(f"embedded with {name}: {time.perf_counter() - t0:.0f} s")
    mpnet.save()
    ys = {s: p["theme"].to_numpy() for s, p in parts.items()}
    ads_tr = np.where(np.array(parts["train"]["source"] == "ads"))[0]
    dev_ads = np.array(parts["dev"]["source"] == "ads")
    print(f"written examples: {len(written)}; theme examples: {len(ex)}; dev ads {int(dev_ads.sum())}\n")

    def train_set(encoder: str, set_name: str) -> tuple[tm.Features, np.ndarray]:
        by = {s: view({e: feats[e][s] for e in encoder.split("+")}, encoder) for s in ("train", "extra")}
        if set_name == "labels":
            return tm.cat(by["train"], by["extra"]), np.concatenate([ys["train"], y_extra])
        return tm.cat(tm.sub(by["train"], ads_tr), by["extra"]), np.concatenate(
            [ys["train"][ads_tr], y_extra]
        )

    print("| training set | encoder | model | C | dev accuracy | dev ads |\n|---|---|---|---|---|---|")
    best: dict[tuple[str, str], tuple[float, str, float]] = {}
    for set_name in ("labels", "shippable"):
        for encoder in ENCODERS:
            f_tr, y_tr = train_set(encoder, set_name)
            f_dev = view({e: feats[e]["dev"] for e in encoder.split("+")}, encoder)
            for kind in KINDS:
                for c in CS:
                    pred = tm.fit_predict(kind, c, f_tr, y_tr, f_dev)
                    acc = float(np.mean(pred == ys["dev"]))
                    acc_ads = float(np.mean(pred[dev_ads] == ys["dev"][dev_ads]))
                    print(
                        f"| {set_name} | {encoder} | {kind} | {c:g} | {acc:.3f} | {acc_ads:.3f} |", flush=True
                    )
                    score = acc if set_name == "labels" else acc_ads  # the shipped head is chosen on dev ads
                    if (set_name, encoder) not in best or score > best[(set_name, encoder)][0]:
                        best[(set_name, encoder)] = (score, kind, c)
    print("\nbest on dev (labels: whole dev; shippable: dev ads):")
    for (set_name, encoder), (acc, kind, c) in best.items():
        print(f"  {set_name:<10} {encoder:<13} {kind} C={c:g}: {acc:.3f}")
    # repeated 5-fold CV on train+dev (+ all examples in every training fold), paired on the same folds
    y_trdv = np.concatenate([ys["train"], ys["dev"]])
    configs = {(e, *best[("labels", e)][1:]) for e in ENCODERS} | {(e, "emb+tfidf", 2.0) for e in ENCODERS}
    per_fold: dict[tuple[str, str, float], list[float]] = {}
    for encoder, kind, c in sorted(configs):
        trdv = view({e: tm.cat(feats[e]["train"], feats[e]["dev"]) for e in encoder.split("+")}, encoder)
        extra = view({e: feats[e]["extra"] for e in encoder.split("+")}, encoder)
        scores = []
        for seed in CV_SEEDS:
            order = np.random.default_rng(seed).permutation(len(y_trdv))
            for f in range(5):
                te_idx = order[f::5]
                tr_idx = np.setdiff1d(order, te_idx)
                f_tr = tm.cat(tm.sub(trdv, tr_idx), extra)
                pred = tm.fit_predict(
                    kind, c, f_tr, np.concatenate([y_trdv[tr_idx], y_extra]), tm.sub(trdv, te_idx)
                )
                scores.append(float(np.mean(pred == y_trdv[te_idx])))
        per_fold[(encoder, kind, c)] = scores
    ref = per_fold[("minilm", "emb+tfidf", 2.0)]
    print(
        f"\nrepeated 5-fold CV on train+dev ({len(CV_SEEDS)} seeds x 5 folds; paired vs minilm emb+tfidf C=2):"
    )
    print(
        "| encoder | model | C | CV accuracy | diff vs MiniLM | folds better / worse |\n|---|---|---|---|---|---|"
    )
    for (encoder, kind, c), scores in per_fold.items():
        d = np.array(scores) - np.array(ref)
        print(
            f"| {encoder} | {kind} | {c:g} | {np.mean(scores):.3f} | {np.mean(d):+.3f} (sd {np.std(d):.3f}) "
            f"| {int((d > 0).sum())} / {int((d < 0).sum())} |",
            flush=True,
        )
    print(f"\n{time.perf_counter() - started:.0f} s")
    rt.close()


if __name__ == "__main__":
    main()
