"""Data and relevance helpers of eval/adclass.py: the relevance pairs (ad transcripts, brand tweets),
the splits, per-pair features and the relevance tables, and the hand-labelled theme set with its
training-only third batch. The protocol is described in eval/adclass.py."""

from __future__ import annotations

import hashlib
import re
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from adlens.adclass.classifiers import Ad, FastClassifier, profile_for
from adlens.adclass.classifiers.evidence import keyword_match

SEED = 13
ROOT = Path(__file__).resolve().parents[1]
LABELS = ROOT / "eval" / "adclass_theme_labels.tsv"
LABELS_TRAIN3 = ROOT / "eval" / "adclass_theme_labels_train3.tsv"
TWEET_KEYWORDS = {
    "Apple": {"Apple", "iPad", "iPhone", "iPad or iPhone App", "Other Apple product or service"},
    "Google": {"Google", "Other Google product or service", "Android", "Android App"},
    "iPhone": {"iPhone"},
    "iPad": {"iPad"},
    "Android": {"Android", "Android App"},
}
AMBIGUOUS = {"iPhone": {"iPad or iPhone App"}, "iPad": {"iPad or iPhone App"}}


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def split_of(key: str, dev: float = 0.2, test: float = 0.2) -> str:
    h = int(hashlib.sha1(f"{SEED}:{key}".encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
    return "test" if h < test else "dev" if h < test + dev else "train"


@dataclass
class Pair:
    keyword: str
    ad: Ad
    label: bool
    dataset: str
    tags: set[str] = field(default_factory=set)


def load_ads(data: Path) -> pd.DataFrame:
    df = pd.read_csv(data / "ad-transcripts-industry" / "Advertisement_Transcripts_deduped_edited.csv")
    df = df.reset_index().rename(columns={"index": "row"})
    df["Category"] = df["Category"].str.strip().str.title()
    df["split"] = [split_of(brand_key(a)) for a in df["Advertiser"]]
    return df


def brand_key(advertiser: str) -> str:
    """Split key: the advertiser's first word, so "Nissan" and "Nissan Certified Pre-Owned" stay together."""
    words = re.findall(r"[a-z0-9]+", advertiser.lower())
    return words[0] if words else advertiser.lower()


def same_brand(keyword: str, advertiser: str, kw_cats: set[str], adv_cats: set[str]) -> bool:
    """Labelling rule: an advertiser's ads are about ``keyword`` if it is the keyword, or its name contains
    the keyword as a whole word and both are in the same industry ("Sandals Resorts" for Sandals, but not
    "Lincoln Financial Group" for Lincoln or "Dove Chocolates" for Dove)."""
    return advertiser == keyword or (keyword_match(keyword, advertiser) and bool(kw_cats & adv_cats))


def tweet_key(text: str) -> str:
    t = re.sub(r"(?i)\brt @mention\b|\{link\}|@mention", " ", text.lower())
    return " ".join(t.split())


def load_tweets(data: Path) -> pd.DataFrame:
    path = data / "brand-tweets-sxsw-emotion" / "judge-1377884607_tweet_product_company.csv"
    df = pd.read_csv(path, encoding="latin-1")
    df.columns = ["text", "target", "emotion"]
    df = df.reset_index().rename(columns={"index": "row"})
    df = df[df["text"].notna() & df["target"].notna()].copy()
    df["split"] = [split_of(tweet_key(t), 0.2, 0.2) for t in df["text"]]
    return df


def ads_pairs(df: pd.DataFrame, split: str, exclude: set[int]) -> list[Pair]:
    rng = np.random.default_rng(SEED)
    counts = df["Advertiser"].value_counts()
    part = df[(df["split"] == split) & ~df["row"].isin(exclude)]
    keywords = [a for a in part["Advertiser"].unique() if counts[a] >= 4]
    for adv in counts[counts >= 2].index:  # probe keywords named in other advertisers' ads
        others = part[part["Advertiser"] != adv]
        if adv not in keywords and any(keyword_match(adv, t) for t in others["Ad_copy"]):
            keywords.append(adv)
    pairs: list[Pair] = []
    cats_of = df.groupby("Advertiser")["Category"].agg(set).to_dict()
    for kw in sorted(keywords):
        cats = cats_of[kw]
        mine = part["Advertiser"].map(lambda a, kw=kw, cats=cats: same_brand(kw, a, cats, cats_of[a]))
        own = part[mine]
        others = part[~mine]
        hard = others[others["Category"].isin(cats)]
        rest = others[~others["Category"].isin(cats)]
        sample = rest.iloc[rng.permutation(len(rest))[:15]]
        named = others[[keyword_match(kw, t) for t in others["Ad_copy"]]]
        for r in own.itertuples():
            pairs.append(Pair(kw, Ad(f"ad{r.row}", r.Ad_copy), True, "ads"))
        seen: set[int] = set()
        for frame, tag in ((named, "named"), (hard, "hard"), (sample, "other")):
            for r in frame.itertuples():
                if r.row not in seen:
                    seen.add(r.row)
                    pairs.append(Pair(kw, Ad(f"ad{r.row}", r.Ad_copy), False, "ads", {tag}))
    return tag_slices(pairs)


def tweet_pairs(df: pd.DataFrame, split: str, exclude: set[int]) -> list[Pair]:
    part = df[(df["split"] == split) & ~df["row"].isin(exclude)]
    pairs = []
    for kw, targets in TWEET_KEYWORDS.items():
        for r in part.itertuples():
            if r.target in AMBIGUOUS.get(kw, set()):
                continue
            pairs.append(Pair(kw, Ad(f"tw{r.row}", r.text), r.target in targets, "tweets"))
    return tag_slices(pairs)


def tag_slices(pairs: list[Pair]) -> list[Pair]:
    for p in pairs:
        named = keyword_match(p.keyword, p.ad.body_text)
        if p.label and not named:
            p.tags.add("unnamed")
        if not p.label and named:
            p.tags.add("coincidental")
    return pairs


def prf(pred: np.ndarray, gold: np.ndarray) -> tuple[float, float, float]:
    tp = float(np.sum(pred & gold))
    p = tp / max(1.0, float(pred.sum()))
    r = tp / max(1.0, float(gold.sum()))
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def analyse(clf: FastClassifier, pairs: list[Pair]) -> dict[str, np.ndarray]:
    """Features, fast relevance and theme probabilities for every pair (batched per keyword)."""
    groups: dict[str, list[int]] = defaultdict(list)
    for i, p in enumerate(pairs):
        groups[p.keyword].append(i)
    x = np.zeros((len(pairs), len(clf.relevance.weights)))
    for kw, idx in groups.items():
        out = clf.analyse(kw, [pairs[i].ad for i in idx], profile_for(kw))
        x[idx] = out["x"]
    return {"x": x, "y": np.array([p.label for p in pairs])}


def relevance_table(pairs: list[Pair], preds: dict[str, np.ndarray]) -> list[str]:
    lines = []
    gold = np.array([p.label for p in pairs])
    for ds in sorted({p.dataset for p in pairs}):
        m = np.array([p.dataset == ds for p in pairs])
        coinc = np.array(["coincidental" in p.tags for p in pairs]) & m
        unnamed = np.array(["unnamed" in p.tags for p in pairs]) & m
        lines.append(
            f"\n### relevance — {ds} test ({m.sum()} pairs, {gold[m].sum()} relevant, "
            f"{coinc.sum()} coincidental, {unnamed.sum()} unnamed)\n"
        )
        lines.append("| method | n | P | R | F1 | FP rate on coincidental | recall on unnamed |")
        lines.append("|---|---|---|---|---|---|---|")
        for name, pred in preds.items():
            mm = m & ~np.isnan(pred.astype(float)) if pred.dtype != bool else m
            pb = pred.astype(bool)
            p, r, f = prf(pb[mm], gold[mm])
            c = coinc & mm
            u = unnamed & mm
            fpr = f"{pb[c].mean():.3f} ({c.sum()})" if c.any() else "-"
            ur = f"{pb[u].mean():.3f} ({u.sum()})" if u.any() else "-"
            lines.append(f"| {name} | {mm.sum()} | {p:.3f} | {r:.3f} | {f:.3f} | {fpr} | {ur} |")
    return lines


def per_keyword(pairs: list[Pair], preds: dict[str, np.ndarray], names: list[str]) -> list[str]:
    lines = ["\n### relevance F1 per keyword (test; keywords with >= 1 relevant pair)\n"]
    lines.append("| dataset | keyword | pos | neg | " + " | ".join(names) + " |")
    lines.append("|---|---|---|---|" + "---|" * len(names))
    gold = np.array([p.label for p in pairs])
    keys = sorted({(p.dataset, p.keyword) for p in pairs})
    for ds, kw in keys:
        m = np.array([p.dataset == ds and p.keyword == kw for p in pairs])
        if not gold[m].any():
            continue
        cells = [f"{prf(preds[n].astype(bool)[m], gold[m])[2]:.3f}" for n in names]
        lines.append(f"| {ds} | {kw} | {gold[m].sum()} | {(~gold[m]).sum()} | " + " | ".join(cells) + " |")
    return lines


class CachedEmbedder:
    """Wraps the text embedder with an in-memory cache (pairs repeat the same ads across keywords)."""

    def __init__(self, inner: Any, dim: int = 384) -> None:
        self.inner, self.cache, self.dim = inner, {}, dim

    def embed(self, texts: list[str]) -> np.ndarray:
        todo = list(dict.fromkeys(t for t in texts if t not in self.cache))
        if todo:
            for t, v in zip(todo, self.inner.embed(todo), strict=True):
                self.cache[t] = v
        return np.stack([self.cache[t] for t in texts]) if texts else np.zeros((0, self.dim), np.float32)


def _labelled_texts(path: Path, ads: pd.DataFrame, tweets_all: pd.DataFrame) -> pd.DataFrame:
    """A label file with texts looked up by row and checked against the stored hash."""
    labels = pd.read_csv(path, sep="\t")
    ad_text = dict(zip(ads["row"], ads["Ad_copy"], strict=True))
    tw_text = dict(zip(tweets_all["row"], tweets_all["text"], strict=True))
    texts = []
    for r in labels.itertuples():
        text = (ad_text if r.source == "ads" else tw_text)[r.row]
        if hashlib.sha1(" ".join(str(text).split()).encode()).hexdigest()[:8] != r.text_sha1:
            raise SystemExit(f"theme label {r.source}:{r.row} does not match the data (hash differs)")
        texts.append(text)
    labels["text"] = texts
    return labels


def loose_words(text: str) -> set[str]:
    """Words of a tweet for near-copy detection: ``tweet_key`` without hashtags, HTML entities, links,
    "via" and punctuation (retweets with a prefix, reordered hashtags or "&quot;" still match)."""
    t = re.sub(r"#\w+|&amp;|&quot;|&lt;|&gt;|http\S+|\bvia\b", " ", tweet_key(str(text)))
    return set(re.sub(r"[^a-z0-9 ]", " ", t).split())


NEAR_COPY = 0.8  # Jaccard of loose_words at or above which two tweets count as copies


def drop_near_copies(labels: pd.DataFrame) -> pd.DataFrame:
    """Train items (any batch) that are near-copies of a dev or test item are left out of training:
    the 40/20/40 split hashes the item id, not the text, so a retweet could sit on both sides."""
    held = [loose_words(t) for t in labels.loc[labels["split"] != "train", "text"]]
    keep = []
    for split, text in zip(labels["split"], labels["text"], strict=True):
        a = loose_words(text) if split == "train" else set()
        keep.append(not a or not any(b and len(a & b) / len(a | b) >= NEAR_COPY for b in held))
    return labels[keep].reset_index(drop=True)


def theme_items(
    data: Path, ads: pd.DataFrame, tweets_all: pd.DataFrame, *, extra_train: bool = False
) -> pd.DataFrame:
    """The hand-labelled theme set, split 40/20/40 by a hash of each item; with ``extra_train`` the
    third batch (``LABELS_TRAIN3``: tweets labelled for training only) joins the train split. Train
    items that are near-copies of a dev or test item (:func:`drop_near_copies`) are left out. Dev and
    test are the same either way."""
    labels = _labelled_texts(LABELS, ads, tweets_all)
    labels["split"] = [
        split_of(f"theme:{s}:{r}", 0.2, 0.4) for s, r in zip(labels["source"], labels["row"], strict=True)
    ]
    labels["batch"] = "1-2"
    if extra_train:
        more = _labelled_texts(LABELS_TRAIN3, ads, tweets_all)
        more["split"], more["batch"] = "train", "3"
        labels = pd.concat([labels, more], ignore_index=True)
    return drop_near_copies(labels)


def all_tweets(data: Path) -> pd.DataFrame:
    path = data / "brand-tweets-sxsw-emotion" / "judge-1377884607_tweet_product_company.csv"
    df = pd.read_csv(path, encoding="latin-1")
    df.columns = ["text", "target", "emotion"]
    return df.reset_index().rename(columns={"index": "row"})


__all__ = [
    "AMBIGUOUS",
    "LABELS",
    "LABELS_TRAIN3",
    "NEAR_COPY",
    "ROOT",
    "SEED",
    "TWEET_KEYWORDS",
    "CachedEmbedder",
    "Pair",
    "ads_pairs",
    "all_tweets",
    "analyse",
    "brand_key",
    "drop_near_copies",
    "load_ads",
    "load_tweets",
    "log",
    "loose_words",
    "per_keyword",
    "prf",
    "relevance_table",
    "same_brand",
    "split_of",
    "tag_slices",
    "theme_items",
    "tweet_key",
    "tweet_pairs",
]
