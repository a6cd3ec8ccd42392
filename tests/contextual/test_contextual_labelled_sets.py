"""The labelled sets written for adlens: brand-safety texts and the news-style dev/train corpora."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from adlens.contextual.brand_safety import CATEGORIES, RISK_LEVELS, BrandSafety
from adlens.contextual.taxonomy import load_taxonomy

DEV = Path(__file__).resolve().parents[2] / "src/adlens/contextual/data/dev"


def _rows(name: str) -> list[dict]:
    return [json.loads(x) for x in (DEV / name).read_text(encoding="utf-8").splitlines() if x.strip()]


@pytest.mark.parametrize(
    "name", ["news-dev.jsonl", "news-dev2.jsonl", "news-train.jsonl", "news-train2.jsonl"]
)
def test_news_corpora_use_tier1_names(name: str) -> None:
    roots = {n.name for n in load_taxonomy("iab-3.1").roots()}
    rows = _rows(name)
    assert len(rows) >= 90
    for r in rows:
        assert r["title"].strip() and r["text"].strip()
        assert r["labels"] and set(r["labels"]) <= roots, r


def test_new_news_corpora_are_disjoint() -> None:
    dev = {r["title"] for r in _rows("news-dev2.jsonl")}
    train = {r["title"] for r in _rows("news-train2.jsonl")}
    assert not dev & train
    assert len(dev) + len(train) >= 350


def test_brand_safety_labels_are_valid() -> None:
    keys = {c.key for c in CATEGORIES}
    rows = _rows("brand-safety-labelled.jsonl")
    assert len(rows) >= 150
    assert {r["split"] for r in rows} == {"dev", "test"}
    assert all(set(r["flags"]) <= keys for r in rows)
    assert sum(not r["flags"] for r in rows) >= 60  # safe texts, many with risky words
    assert {k for r in rows for k in r["flags"]} == keys  # every category has examples


@pytest.fixture(scope="module")
def safety() -> BrandSafety:
    from adlens.config import get_settings
    from adlens.embed import TextEmbedder

    return BrandSafety(TextEmbedder.from_settings(get_settings()))


def test_labelled_dev_half_flags(safety: BrandSafety) -> None:
    """On the dev half (the one fixes were chosen on): no safe text flagged, every risky one flagged."""
    rows = [r for r in _rows("brand-safety-labelled.jsonl") if r["split"] == "dev"]
    results = safety.assess_many_texts([r["text"] for r in rows])
    key_of = {c.name: c.key for c in CATEGORIES}
    safe_flagged = risky_missed = 0
    for r, res in zip(rows, results, strict=True):
        pred = {key_of[f.category] for f in res["flags"] if f.risk in RISK_LEVELS[1:]}
        if not r["flags"] and pred:
            safe_flagged += 1
        if r["flags"] and not set(r["flags"]) & pred:
            risky_missed += 1
    assert safe_flagged <= 2, safe_flagged
    assert risky_missed <= 3, risky_missed


def test_fiction_lowers_crime(safety: BrandSafety) -> None:
    story = safety.assess_text("The novel follows a detective investigating a murder in a quiet village.")
    report = safety.assess_text("A man was murdered in the village on Sunday night.")
    names = lambda res: {f.category for f in res["flags"]}  # noqa: E731
    assert "Crime & Harmful Acts" not in names(story)
    assert "Crime & Harmful Acts" in names(report)
