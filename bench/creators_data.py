"""The synthetic creators of the creators benchmarks: vocabularies, generator, random filters and
their brute-force numpy reference (used by bench/creators.py, creators_http.py, creators_procs.py)."""

from __future__ import annotations

import random
from typing import Any

import numpy as np

from adlens.creators.filters import CreatorFilters
from adlens.creators.vocab import CATEGORIES

__all__ = [
    "CATS",
    "COUNTRIES",
    "LANGS",
    "PLATFORMS",
    "QUERIES",
    "generate",
    "numpy_mask",
    "random_filters",
    "text_vectors",
]

CATS = list(CATEGORIES)
COUNTRIES = [
    "United States",
    "United Kingdom",
    "Brazil",
    "India",
    "Spain",
    "Mexico",
    "France",
    "Germany",
    "Indonesia",
    "Canada",
]
PLATFORMS = ["instagram", "tiktok", "youtube", "twitch"]
LANGS = ["en", "es", "pt", "fr", "de", "hi", "id"]
QUERIES = [f"{c} creators" for c in CATS] + [
    "fitness creators in the US with over 50K followers",
    "beauty influencers in spanish",
    "people with curly hair",
    "travel vloggers from Brazil",
    "micro influencers on tiktok",
    "gaming streamers with engagement above 3%",
    "vegan recipes",
    "home workouts for beginners",
    "skincare routines",
    "budget travel tips",
]


def generate(n: int, templates: np.ndarray, rng: np.random.Generator) -> dict[str, np.ndarray]:
    cat = rng.integers(0, len(CATS), n)
    return {
        "cat": cat,
        "country": rng.integers(0, len(COUNTRIES), n),
        "platform": rng.integers(0, len(PLATFORMS), n),
        "lang": rng.integers(0, len(LANGS), n),
        "followers": np.exp(rng.uniform(np.log(1_000), np.log(50_000_000), n)).astype(np.int64),
        "er": np.clip(0.06 * np.exp(rng.normal(0, 0.6, n)), 0.0005, 0.9),
        "photo": rng.random(n) < 0.01,
    }


def text_vectors(
    meta: dict[str, np.ndarray], sl: slice, templates: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    base = templates[meta["cat"][sl]]
    noise = rng.normal(size=base.shape).astype(np.float32) / np.sqrt(base.shape[1])
    x = base + 0.9 * noise
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def random_filters(rng: random.Random) -> CreatorFilters:
    kw: dict[str, Any] = {}
    r = rng.random()
    if r < 0.5:
        kw["min_followers"] = int(10 ** rng.uniform(3.5, 7))
    if rng.random() < 0.3:
        kw["max_followers"] = int(10 ** rng.uniform(4, 7.5))
    if rng.random() < 0.3:
        kw["min_engagement"] = rng.uniform(0.01, 0.1)
    for key, pool in (
        ("category", CATS),
        ("country", COUNTRIES),
        ("platform", PLATFORMS),
        ("language", LANGS),
    ):
        if rng.random() < 0.35:
            kw[key] = rng.sample(pool, rng.randint(1, 2))
    return CreatorFilters(**kw)


def numpy_mask(meta: dict[str, np.ndarray], f: CreatorFilters) -> np.ndarray:
    m = np.ones(meta["cat"].shape[0], bool)
    if f.min_followers is not None:
        m &= meta["followers"] >= f.min_followers
    if f.max_followers is not None:
        m &= meta["followers"] <= f.max_followers
    if f.min_engagement is not None:
        m &= meta["er"] >= f.min_engagement
    for key, col, pool in (
        ("category", "cat", CATS),
        ("country", "country", COUNTRIES),
        ("platform", "platform", PLATFORMS),
        ("language", "lang", LANGS),
    ):
        values = getattr(f, key)
        if values:
            m &= np.isin(meta[col], [pool.index(v) for v in values])
    return m
