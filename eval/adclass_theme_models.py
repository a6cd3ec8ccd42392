"""Theme models compared on dev (hand-labelled set, ``eval/adclass_theme_labels.tsv``); the chosen ones on test.

    .venv/bin/python eval/adclass_theme_models.py [--data ../shared/data] [--test]

Every candidate is fitted on the train split and scored on dev (plus 5-fold cross-validation on
train+dev, which is steadier with ~300 items); only with ``--test`` are the models chosen on dev
scored on test. Candidates: logistic regression on the MiniLM embedding (C grid, with and without
class balancing), + the style cues, TF-IDF (words and character n-grams) alone and stacked with the
embedding, kNN on the embedding, and a second view (the embedding of the text with the keyword
replaced by "the brand"). Two training sets: ``labels`` = the train split (tweets + ads; what a
deployment gets from its own labels) and ``shippable`` = the CC0 ad labels of the train split + the
theme examples + our own written examples (``data/theme_examples.yaml``), the only data the packaged
head may be fitted on.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "eval"))
import adclass as ev  # noqa: E402  (eval/adclass.py: the labelled sets, splits and embeddings)

from adlens.adclass.classifiers import ThemeSet  # noqa: E402
from adlens.adclass.classifiers.fast import EMBED_CHARS  # noqa: E402
from adlens.adclass.classifiers.head import head_themes  # noqa: E402
from adlens.adclass.classifiers.lexical import Lexical  # noqa: E402
from adlens.adclass.classifiers.style import style_features  # noqa: E402
from adlens.adclass.classifiers.written import written_examples  # noqa: E402

SEED = 13


def masked(text: str, keyword: str) -> str:
    return re.sub(rf"(?i)\b{re.escape(keyword)}\b", "the brand", text)


class Features:
    """Embeddings (two views), style cues and TF-IDF for a list of (text, keyword)."""

    def __init__(self, emb: Any, texts: list[str], keywords: list[str]) -> None:
        self.texts = texts
        self.e = np.asarray(emb.embed([t[:EMBED_CHARS] for t in texts]), dtype=np.float32)
        self.m = np.asarray(
            emb.embed([masked(t, k)[:EMBED_CHARS] for t, k in zip(texts, keywords, strict=True)]),
            dtype=np.float32,
        )
        self.s = style_features(texts)


def fit_predict(kind: str, c: float, tr: Features, y: np.ndarray, te: Features, k: int = 0) -> np.ndarray:
    from scipy.sparse import csr_matrix, hstack
    from sklearn.linear_model import LogisticRegression

    balanced = kind.endswith("+bal")
    base = kind.removesuffix("+bal")
    if base == "knn":
        sims = te.e @ tr.e.T
        top = np.argsort(-sims, axis=1)[:, :k]
        classes = np.unique(y)
        votes = np.zeros((len(te.texts), len(classes)))
        for i, row in enumerate(top):
            for j in row:
                votes[i, np.searchsorted(classes, y[j])] += max(sims[i, j], 0) ** 2
        return classes[votes.argmax(1)]
    parts_tr: list[Any] = []
    parts_te: list[Any] = []
    if "emb" in base:
        parts_tr.append(tr.e)
        parts_te.append(te.e)
    if "mask" in base:
        parts_tr.append(tr.m)
        parts_te.append(te.m)
    if "style" in base:
        parts_tr.append(tr.s)
        parts_te.append(te.s)
    if "tfidf" in base:  # the shipped implementation (words 1-2 grams + char 3-5 grams, min_df 2)
        lex = Lexical.fit(tr.texts)
        parts_tr.append(lex.transform(tr.texts))
        parts_te.append(lex.transform(te.texts))
    x_tr = hstack([csr_matrix(p) for p in parts_tr]).tocsr()
    x_te = hstack([csr_matrix(p) for p in parts_te]).tocsr()
    model = LogisticRegression(
        C=c, max_iter=3000, random_state=SEED, class_weight="balanced" if balanced else None
    )
    model.fit(x_tr, y)
    return np.asarray(model.predict(x_te))


def candidates() -> list[tuple[str, str, float, int]]:
    out: list[tuple[str, str, float, int]] = []
    for kind in (
        "emb",
        "emb+bal",
        "emb+style",
        "emb+mask",
        "tfidf",
        "emb+tfidf",
        "emb+tfidf+bal",
        "emb+style+tfidf",
    ):
        for c in (0.5, 2.0, 8.0, 32.0):
            out.append((f"{kind} C={c:g}", kind, c, 0))
    for k in (5, 10, 20):
        out.append((f"knn k={k}", "knn", 0.0, k))
    return out


def cv_accuracy(run: Callable[..., np.ndarray], feats: Features, y: np.ndarray, folds: int = 5) -> float:
    rng = np.random.default_rng(SEED)
    order = rng.permutation(len(y))
    scores = []
    for f in range(folds):
        te_idx = order[f::folds]
        tr_idx = np.setdiff1d(order, te_idx)
        pred = run(sub(feats, tr_idx), y[tr_idx], sub(feats, te_idx))
        scores.append(float(np.mean(pred == y[te_idx])))
    return float(np.mean(scores))


def sub(f: Features, idx: np.ndarray) -> Features:
    g = Features.__new__(Features)
    g.texts = [f.texts[i] for i in idx]
    g.e, g.m, g.s = f.e[idx], f.m[idx], f.s[idx]
    return g


def cat(a: Features, b: Features) -> Features:
    g = Features.__new__(Features)
    g.texts = a.texts + b.texts
    g.e, g.m, g.s = np.vstack([a.e, b.e]), np.vstack([a.m, b.m]), np.vstack([a.s, b.s])
    return g


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--test", action="store_true", help="score the dev-chosen models on test (once)")
    ap.add_argument("--train3", action="store_true", help="add the third, training-only label batch to train")
    args = ap.parse_args()
    from adlens.config import get_settings
    from adlens.runtime import Runtime

    started = time.perf_counter()
    rt = Runtime(get_settings())
    emb = ev.CachedEmbedder(rt.text_embedder)
    themes = ThemeSet.default()
    classes = head_themes(themes)
    ads, tweets_all = ev.load_ads(args.data), ev.all_tweets(args.data)
    labels = ev.theme_items(args.data, ads, tweets_all, extra_train=args.train3)
    parts = {s: labels[labels["split"] == s] for s in ("train", "dev", "test")}
    counts = {s: len(p) for s, p in parts.items()}
    print(
        f"# theme models (seed {SEED})\n\nitems: {counts}; labels {labels['theme'].value_counts().to_dict()}\n"
    )
    feats = {s: Features(emb, list(p["text"]), list(p["keyword"])) for s, p in parts.items()}
    ys = {s: p["theme"].to_numpy() for s, p in parts.items()}
    ex = [(e, n) for n in classes for e in themes.get(n).examples]
    written = written_examples(classes)
    extra_texts = [t for t, _ in ex + written]
    extra = Features(emb, extra_texts, ["" for _ in extra_texts])
    y_extra = np.array([n for _, n in ex + written])
    ads_tr = np.array(parts["train"]["source"] == "ads")
    ex_only = (sub(extra, np.arange(len(ex))), y_extra[: len(ex)])
    ads_idx = np.where(ads_tr)[0]
    train_sets = {
        "labels": (cat(feats["train"], extra), np.concatenate([ys["train"], y_extra])),
        "labels, no written examples": (
            cat(feats["train"], ex_only[0]),
            np.concatenate([ys["train"], ex_only[1]]),
        ),
        "shippable": (
            cat(sub(feats["train"], ads_idx), extra),
            np.concatenate([ys["train"][ads_tr], y_extra]),
        ),
        "shippable, no written examples": (
            cat(sub(feats["train"], ads_idx), ex_only[0]),
            np.concatenate([ys["train"][ads_tr], ex_only[1]]),
        ),
    }
    print(f"written examples: {len(written)}; theme examples: {len(ex)}\n")
    print("| training set | model | dev accuracy |\n|---|---|---|")
    best: dict[str, tuple[float, str, str, float, int]] = {}
    for set_name, (f_tr, y_tr) in train_sets.items():
        for name, kind, c, k in candidates():
            if "no written" in set_name and kind not in ("emb", "emb+tfidf", "emb+style"):
                continue
            dev_acc = float(np.mean(fit_predict(kind, c, f_tr, y_tr, feats["dev"], k) == ys["dev"]))
            print(f"| {set_name} | {name} | {dev_acc:.3f} |", flush=True)
            if set_name not in best or dev_acc > best[set_name][0]:
                best[set_name] = (dev_acc, name, kind, c, k)
    print()
    for set_name, (acc, name, *_rest) in best.items():
        print(f"chosen on dev for {set_name}: {name} (dev {acc:.3f})")
    # 5-fold cross-validation on train+dev (+ all examples in every fold's training part) for the chosen ones
    trdv = cat(feats["train"], feats["dev"])
    y_trdv = np.concatenate([ys["train"], ys["dev"]])
    for set_name in ("labels",):
        _, name, kind, c, k = best[set_name]
        for nm, kd, cc in ((name, kind, c), ("emb C=2", "emb", 2.0)):

            def run(
                a: Features, b: np.ndarray, t: Features, kd: str = kd, cc: float = cc, kk: int = k
            ) -> np.ndarray:
                return fit_predict(kd, cc, cat(a, extra), np.concatenate([b, y_extra]), t, kk)

            print(f"5-fold CV on train+dev ({set_name}): {nm}: {cv_accuracy(run, trdv, y_trdv):.3f}")
    if args.test:
        print("\n| training set | model (chosen on dev) | test accuracy |\n|---|---|---|")
        for set_name, (_, name, kind, c, k) in best.items():
            f_tr, y_tr = train_sets[set_name]
            acc = float(np.mean(fit_predict(kind, c, f_tr, y_tr, feats["test"], k) == ys["test"]))
            print(f"| {set_name} | {name} | {acc:.3f} |")
    print(f"\n{time.perf_counter() - started:.0f} s")
    rt.close()


if __name__ == "__main__":
    main()
