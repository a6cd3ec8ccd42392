"""Filtered search against a brute-force reference, pagination, photo grouping, errors."""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import pytest

from adlens.creators.filters import CreatorFilters, to_where
from adlens.creators.profile import Profile
from adlens.creators.schema import PHOTOS, PROFILES, ensure_collections, photo_record, profile_record
from adlens.creators.search import search_creators
from adlens.errors import InvalidInput, NotFound
from adlens.store.filters import matches, parse

CATS = ["fitness", "beauty", "food", "travel", "gaming"]
COUNTRIES = ["United States", "Brazil", "Spain", "India"]
PLATFORMS = ["instagram", "tiktok", "youtube"]
LANGS = ["en", "es", "pt"]
N = 400


def _unit(rng: np.random.Generator, d: int) -> np.ndarray:
    v = rng.normal(size=d).astype(np.float32)
    return v / np.linalg.norm(v)


@pytest.fixture(scope="module")
def population(creators_runtime: Any, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A runtime whose store holds N synthetic creators written through the store seam."""
    from adlens.config import Settings
    from adlens.runtime import Runtime

    rt = Runtime(Settings(home=tmp_path_factory.mktemp("pop"), allow_private_networks=True))
    rt._objects["text_embedder"] = creators_runtime.text_embedder  # type: ignore[attr-defined]
    ensure_collections(rt.store)
    rng = np.random.default_rng(5)
    prng = random.Random(5)
    bios = [f"{c} creator sharing {c} tips" for c in CATS]
    bio_vecs = rt.text_embedder.embed(bios)
    records, photo_recs = [], []
    for i in range(N):
        cat = prng.choice(CATS)
        p = Profile(
            platform=prng.choice(PLATFORMS),
            handle=f"user{i:04d}",
            followers=int(10 ** prng.uniform(3, 7)),
            engagement_rate=round(prng.uniform(0.001, 0.12), 4),
            category=cat,
            country=prng.choice(COUNTRIES),
            language=prng.choice(LANGS),
            location=prng.choice(["Austin, Texas", "Rio", "Madrid", "Mumbai"]),
        )
        text_vec = bio_vecs[CATS.index(cat)] + 0.8 * _unit(rng, 384)
        text_vec = (text_vec / np.linalg.norm(text_vec)).astype(np.float32)
        photos = [
            {
                "file": f"{i:032x}"[:32] + ".jpg",
                "source": "synthetic",
                "text_vector": _unit(rng, 384),
                "visual": _unit(rng, 1280),
            }
            for _ in range(prng.choice([0, 1, 2, 3]))
        ]
        prof = profile_record(p, text_vec, photos)
        records.append(prof)
        photo_recs.extend(photo_record(p, n, ph, prof.metadata) for n, ph in enumerate(photos))
    rt.store.upsert(PROFILES, records)
    rt.store.upsert(PHOTOS, photo_recs)
    yield rt
    rt._objects.pop("text_embedder", None)  # type: ignore[attr-defined]
    rt.close()


def _brute(rt: Any, qvec: np.ndarray, f: CreatorFilters, field: str, kind: str) -> list[tuple[float, str]]:
    node = parse(to_where(f))
    best: dict[str, float] = {}
    name = PROFILES if kind == "profile" else PHOTOS
    if not hasattr(rt, "_all_records"):
        rt._all_records = {c: [r for _, r in rt.store.iter_records(c)] for c in (PROFILES, PHOTOS)}
    for r in rt._all_records[name]:
        if not matches(node, r.metadata):
            continue
        cid = r.id if kind == "profile" else str(r.metadata["creator_id"])
        s = float(np.dot(qvec, r.vectors[field] / np.linalg.norm(r.vectors[field])))
        best[cid] = max(best.get(cid, -2.0), s)
    return sorted(((s, c) for c, s in best.items()), key=lambda t: (-t[0], t[1]))


def _random_filters(prng: random.Random) -> CreatorFilters:
    kw: dict[str, Any] = {}
    if prng.random() < 0.5:
        kw["min_followers"] = int(10 ** prng.uniform(3, 6.5))
    if prng.random() < 0.3:
        kw["max_followers"] = int(10 ** prng.uniform(4, 7))
    if prng.random() < 0.4:
        kw["min_engagement"] = prng.uniform(0, 0.1)
    if prng.random() < 0.2:
        kw["max_engagement"] = prng.uniform(0.02, 0.12)
    for key, pool in (
        ("category", CATS),
        ("country", COUNTRIES),
        ("platform", PLATFORMS),
        ("language", LANGS),
    ):
        if prng.random() < 0.35:
            kw[key] = prng.sample(pool, prng.randint(1, 2))
    if prng.random() < 0.1:
        kw["location"] = prng.choice(["texas", "madrid", "mumbai"])
    return CreatorFilters(**kw)


def test_text_search_is_exact_under_random_filters(population: Any) -> None:
    prng = random.Random(11)
    queries = ["fitness tips", "travel", "beauty and makeup", "video games"]
    qvecs = dict(zip(queries, population.text_embedder.embed(queries), strict=True))
    selective = 0
    for trial in range(60):
        q = queries[trial % len(queries)]
        f = _random_filters(prng)
        k = prng.choice([1, 5, 10, 25])
        got = search_creators(population, q, filters=f, k=k, mode="text", parse=False)
        ref = _brute(population, qvecs[q], f, "text", "profile")
        assert got["matches"] == len(ref)
        assert len(got["results"]) == min(k, len(ref)), f  # never too few
        assert [r["id"] for r in got["results"]] == [c for _, c in ref[:k]]
        selective += 0 < len(ref) < k
    assert selective >= 3  # some combinations match fewer than k


def test_photo_modes_group_by_creator_exactly(population: Any) -> None:
    prng = random.Random(3)
    rng = np.random.default_rng(3)
    for _ in range(15):
        f = _random_filters(prng)
        q = "beach sunset"
        got = search_creators(population, q, filters=f, k=8, mode="text_image", parse=False)
        qvec = population.text_embedder.embed([q])[0]
        ref = _brute(population, qvec, f, "photo_text", "photo")
        assert [r["id"] for r in got["results"]] == [c for _, c in ref[:8]]
        assert len({r["id"] for r in got["results"]}) == len(got["results"])
    # image -> image with a stored photo as the reference finds its creator first
    recs = population.store.search(PHOTOS, _unit(rng, 1280), field="photo_visual", k=3)
    for rec in recs:
        got = search_creators(population, "", image_id=rec.id, k=3, mode="image")
        assert got["results"][0]["id"] == rec.metadata["creator_id"]
        assert got["results"][0]["signals"]["image"] == pytest.approx(1.0, abs=1e-4)


def test_cursor_pagination_is_stable(population: Any) -> None:
    f = CreatorFilters(min_followers=5_000)
    q = "food recipes"
    seen: list[str] = []
    cursor = None
    for _ in range(4):
        page = search_creators(population, q, filters=f, k=7, cursor=cursor, mode="text", parse=False)
        seen.extend(r["id"] for r in page["results"])
        cursor = page["next_cursor"]
        assert cursor
    ref = _brute(population, population.text_embedder.embed([q])[0], f, "text", "profile")
    assert seen == [c for _, c in ref[:28]]
    assert len(set(seen)) == 28
    with pytest.raises(InvalidInput, match="different search"):
        search_creators(population, "other", filters=f, k=7, cursor=cursor, mode="text", parse=False)
    with pytest.raises(InvalidInput, match="malformed"):
        search_creators(population, q, k=7, cursor="!!!", mode="text")


def test_hybrid_explains_and_counts(population: Any) -> None:
    f = CreatorFilters(country=["Brazil"])
    got = search_creators(population, "fitness creators with over 10k followers", filters=f, k=10)
    assert got["filters"]["country"] == ["Brazil"] and got["filters"]["min_followers"] == 10_000
    ref = _brute(
        population,
        np.zeros(384, np.float32) + 1,
        CreatorFilters(country=["Brazil"], min_followers=10_000, category=["fitness"]),
        "text",
        "profile",
    )
    assert len(got["results"]) == min(10, len(ref))
    for r in got["results"]:
        assert r["country"] == "Brazil" and r["category"] == "fitness" and r["followers"] >= 10_000
        assert r["reasons"] and "text" in r["signals"] and set(r["signals"]) <= {"text", "text_image"}
        assert any("followers" in why for why in r["reasons"])
    scores = [r["score"] for r in got["results"]]
    assert scores == sorted(scores, reverse=True)


def test_bad_requests(population: Any) -> None:
    with pytest.raises(InvalidInput, match="mode"):
        search_creators(population, "x", mode="telepathy")
    with pytest.raises(InvalidInput, match="needs an image"):
        search_creators(population, "x", mode="image")
    with pytest.raises(NotFound):
        search_creators(population, "", image_id="q" + "0" * 31)
    with pytest.raises(InvalidInput):
        search_creators(population, "x", k=0)


def test_filter_only_browse(population: Any) -> None:
    got = search_creators(population, "on tiktok in spanish", k=50)
    assert got["semantic"] == "" and got["filters"] == {"platform": ["tiktok"], "language": ["es"]}
    assert len(got["results"]) == min(50, got["matches"]) and got["matches"] > 0
    assert all(r["platform"] == "tiktok" and r["language"] == "es" for r in got["results"])
