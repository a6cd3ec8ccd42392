"""Corpora, label mappings and metrics for eval/contextual.py (imported by it; not run alone).

The AG News → IAB mapping below is frozen: it was written before any AG News result was seen.
"""

from __future__ import annotations

import csv
import hashlib
import json
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from adlens.contextual.calibration import expected_calibration_error
from adlens.contextual.scoring import ContextScorer, Document

__all__ = [
    "ADS_TO_IAB",
    "AG_CLASSES",
    "AG_NEWS_TO_IAB",
    "DEV_DIR",
    "CachedEmbedder",
    "Corpus",
    "load_ads",
    "load_ag_news",
    "load_news_dev",
    "merge",
    "metrics",
    "names_to_cols",
    "per_class",
    "root_columns",
    "tier1_matrix",
]

DEV_DIR = Path(__file__).resolve().parents[1] / "src/adlens/contextual/data/dev"

# AG News class → acceptable IAB Content 3.1 tier-1 categories (decided before looking at results).
# World: AG's "World" is international hard news: politics and diplomacy, wars and insurgencies,
#   terrorism, crime and trials, natural disasters. IAB 3.x removed "News and Politics" and made its
#   children (Politics, Crime, Disasters, Law) tier-1, plus "War and Conflicts"; terrorism and
#   military violence also live under "Sensitive Topics" (Terrorism; Death, Injury, or Military Conflict).
# Sports: Sports.
# Business: companies, markets, oil, the economy → Business and Finance; stock/investing stories are
#   equally "Personal Finance > Personal Investing".
# Sci/Tech: computing, internet, telecoms, space and science, and the games industry →
#   Technology & Computing, Science, Communication (3.x tier-1 for telecoms), Video Gaming.
AG_NEWS_TO_IAB: dict[str, list[str]] = {
    "World": ["Politics", "War and Conflicts", "Crime", "Disasters", "Law", "Sensitive Topics"],
    "Sports": ["Sports"],
    "Business": ["Business and Finance", "Personal Finance"],
    "Sci/Tech": ["Technology & Computing", "Science", "Communication", "Video Gaming"],
}
AG_CLASSES = {1: "World", 2: "Sports", 3: "Business", 4: "Sci/Tech"}

# Ad-transcripts industry → acceptable IAB Content 3.1 tier-1 (Advocacy and Services are too vague: skipped).
ADS_TO_IAB: dict[str, list[str]] = {
    "Automotive": ["Automotive"],
    "Food & Beverage": ["Food & Drink"],
    "Home & Personal Care": ["Home & Garden", "Style & Fashion", "Healthy Living", "Shopping"],
    "Travel": ["Travel", "Attractions"],
    "Financial": ["Business and Finance", "Personal Finance"],
    "Beauty": ["Style & Fashion"],
    "Media & Entertainment": [
        "Entertainment",
        "Pop Culture",
        "Genres",
        "Books and Literature",
        "Video Gaming",
        "Events",
    ],
    "Health Care": ["Medical Health", "Healthy Living"],
    "Alcohol & Spirits": ["Food & Drink"],
    "Restaurants": ["Food & Drink"],
    "Retail": ["Shopping", "Style & Fashion"],
    "Telecommunications": ["Technology & Computing", "Communication"],
    "Insurance": ["Personal Finance", "Business and Finance"],
    "Education": ["Education", "Careers"],
    "Electronics": ["Technology & Computing"],
    "Technology": ["Technology & Computing"],
    "Sports": ["Sports"],
    "Residential": ["Real Estate", "Home & Garden"],
    "Political": ["Politics"],
    "Appliances": ["Home & Garden", "Technology & Computing"],
}


@dataclass
class Corpus:
    name: str
    docs: list[Document]
    truth: list[list[int]]  # acceptable tier-1 column indices per doc
    classes: list[str]
    groups: list[str] = field(default_factory=list)  # advertiser (ads corpora): folds never split one


class CachedEmbedder:
    """Wraps the text embedder with a persistent text-hash → vector cache (eval only)."""

    def __init__(self, inner: Any, path: Path) -> None:
        self.inner = inner
        self.path = path
        self.space = inner.space
        self.onnx_path = getattr(inner, "onnx_path", None)
        self._mem: dict[str, np.ndarray] = {}
        if path.is_file():
            with np.load(path) as data:
                keys, vecs = data["keys"], data["vectors"]
            self._mem = {str(k): v for k, v in zip(keys, vecs, strict=True)}
        self.new = 0

    def embed(self, texts: Sequence[str], batch_size: int | None = None) -> np.ndarray:
        keys = [hashlib.sha1(t.encode("utf-8")).hexdigest() for t in texts]
        missing = sorted({k: t for k, t in zip(keys, texts, strict=True) if k not in self._mem}.items())
        if missing:
            vecs = self.inner.embed([t for _, t in missing])
            for (k, _), v in zip(missing, vecs, strict=True):
                self._mem[k] = v
            self.new += len(missing)
        dim = self.space.dim
        return np.array([self._mem[k] for k in keys], dtype=np.float32).reshape(len(keys), dim)

    def save(self) -> None:
        if not self.new:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        keys = np.array(list(self._mem))
        tmp = self.path.with_suffix(".tmp.npz")
        np.savez(tmp, keys=keys, vectors=np.stack(list(self._mem.values())))
        tmp.replace(self.path)


def root_columns(scorer: ContextScorer) -> dict[str, int]:
    return {scorer.index.ids[r]: j for j, r in enumerate(scorer.index.roots)}


def names_to_cols(scorer: ContextScorer, names: list[str]) -> list[int]:
    tax = scorer.taxonomy
    cols = root_columns(scorer)
    by_name = {n.name: n.id for n in tax.roots()}
    missing = [n for n in names if n not in by_name]
    if missing:
        raise SystemExit(f"mapping names not tier-1 in {tax.version}: {missing}")
    return [cols[by_name[n]] for n in names]


def load_ag_news(path: Path, scorer: ContextScorer) -> Corpus:
    docs, truth, classes = [], [], []
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            cls = AG_CLASSES[int(row["label"])]
            text = row["description"].replace("\\", " ").replace("#36;", "$").replace("#39;", "'")
            docs.append(Document(url="", title=row["title"].replace("\\", " "), text=text))
            truth.append(names_to_cols(scorer, AG_NEWS_TO_IAB[cls]))
            classes.append(cls)
    return Corpus("ag-news-test", docs, truth, classes)


def load_news_dev(scorer: ContextScorer, name: str = "news-dev") -> Corpus:
    path = DEV_DIR / f"{name}.jsonl"
    docs, truth, classes = [], [], []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            item = json.loads(line)
            docs.append(Document(url="", title=item["title"], text=item["text"]))
            truth.append(names_to_cols(scorer, item["labels"]))
            classes.append(item["labels"][0])
    return Corpus(name, docs, truth, classes)


def load_ads(path: Path, scorer: ContextScorer) -> tuple[Corpus, Corpus]:
    """The ad-transcripts corpus split by a hash of the advertiser: (train, dev)."""
    parts: dict[str, Corpus] = {s: Corpus(f"ads-{s}", [], [], []) for s in ("train", "dev")}
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            match = next((k for k in ADS_TO_IAB if k.lower() == row["Category"].strip().lower()), None)
            if match is None:
                continue
            split = "dev" if zlib.crc32(row["Advertiser"].encode("utf-8")) % 2 else "train"
            c = parts[split]
            c.docs.append(Document(url="", title=row["Product_or_spot"], text=row["Ad_copy"]))
            c.truth.append(names_to_cols(scorer, ADS_TO_IAB[match]))
            c.classes.append(match)
            c.groups.append(row["Advertiser"])
    return parts["train"], parts["dev"]


def tier1_matrix(scorer: ContextScorer, corpus: Corpus) -> np.ndarray:
    return scorer.tier1_scores(scorer.node_scores(corpus.docs))


def metrics(probs: np.ndarray, truth: list[list[int]]) -> dict[str, float]:
    order = np.argsort(-probs, axis=1)
    top1 = np.array([order[i, 0] in t for i, t in enumerate(truth)])
    top3 = np.array([bool(set(order[i, :3]) & set(t)) for i, t in enumerate(truth)])
    conf = probs[np.arange(len(probs)), order[:, 0]]
    return {
        "n": len(truth),
        "top1": float(top1.mean()),
        "top3": float(top3.mean()),
        "ece": expected_calibration_error(conf, top1, 15),
        "mean_conf": float(conf.mean()),
    }


def per_class(probs: np.ndarray, corpus: Corpus, scorer: ContextScorer) -> dict[str, dict[str, Any]]:
    names = [scorer.taxonomy.nodes[scorer.index.ids[r]].name for r in scorer.index.roots]
    out: dict[str, dict[str, Any]] = {}
    pred = probs.argmax(axis=1)
    for cls in sorted(set(corpus.classes)):
        idx = [i for i, c in enumerate(corpus.classes) if c == cls]
        ok = np.mean([pred[i] in corpus.truth[i] for i in idx])
        counts = np.bincount(pred[idx], minlength=len(names))
        top = [(names[j], int(counts[j])) for j in np.argsort(-counts)[:4] if counts[j]]
        out[cls] = {"n": len(idx), "top1": float(ok), "predicted": top}
    return out


def merge(name: str, *parts: Corpus) -> Corpus:
    """One corpus made of ``parts`` (documents, labels and groups in order)."""
    out = Corpus(name, [], [], [])
    for c in parts:
        out.docs += c.docs
        out.truth += c.truth
        out.classes += c.classes
        out.groups += c.groups or [f"{c.name}:{i}" for i in range(len(c.docs))]
    return out
