"""The natural-language filter parser on many phrasings."""

from __future__ import annotations

from typing import Any

import pytest

from adlens.creators.query import parse_query

US = "United States"
CASES: list[tuple[str, dict[str, Any], str]] = [
    (
        "fitness creators in the US with over 50K followers",
        {"category": ["fitness"], "country": [US], "min_followers": 50_000},
        "fitness",
    ),
    ("beauty influencers", {"category": ["beauty"]}, "beauty"),
    ("people with curly hair", {}, "curly hair"),
    ("between 10k and 1m followers", {"min_followers": 10_000, "max_followers": 1_000_000}, ""),
    ("engagement above 3%", {"min_engagement": 0.03}, ""),
    ("on tiktok", {"platform": ["tiktok"]}, ""),
    ("in spanish", {"language": ["es"]}, ""),
    ("in Spain", {"country": ["Spain"]}, ""),
    ("fitness influencer with 50K+ followers", {"category": ["fitness"], "min_followers": 50_000}, "fitness"),
    (
        "makeup artists with more than 100k followers",
        {"category": ["beauty"], "min_followers": 100_000},
        "makeup artists",
    ),
    ("gamers under 20k followers", {"category": ["gaming"], "max_followers": 20_000}, "gamers"),
    (
        "travel bloggers with less than 1.5m followers",
        {"category": ["travel"], "max_followers": 1_500_000},
        "travel",
    ),
    ("10k-50k followers", {"min_followers": 10_000, "max_followers": 50_000}, ""),
    ("from 5k to 25k followers", {"min_followers": 5_000, "max_followers": 25_000}, ""),
    ("followers between 1k and 10k", {"min_followers": 1_000, "max_followers": 10_000}, ""),
    ("at least 250,000 followers", {"min_followers": 250_000}, ""),
    ("100k or more followers", {"min_followers": 100_000}, ""),
    ("no more than 2 million followers", {"max_followers": 2_000_000}, ""),
    ("micro influencers", {"min_followers": 10_000, "max_followers": 100_000}, ""),
    ("nano creators", {"max_followers": 9_999}, ""),
    ("mega influencers in Brazil", {"min_followers": 10_000_000, "country": ["Brazil"]}, ""),
    ("macro creators", {"min_followers": 1_000_000, "max_followers": 10_000_000}, ""),
    ("engagement rate over 2.5%", {"min_engagement": 0.025}, ""),
    ("ER > 4%", {"min_engagement": 0.04}, ""),
    ("engagement below 1%", {"max_engagement": 0.01}, ""),
    ("engagement between 1% and 5%", {"min_engagement": 0.01, "max_engagement": 0.05}, ""),
    ("at least 6% engagement", {"min_engagement": 0.06}, ""),
    ("high engagement food creators", {"min_engagement": 0.03, "category": ["food"]}, "food"),
    ("youtubers from Brazil", {"platform": ["youtube"], "country": ["Brazil"]}, ""),
    ("tiktokers in the UK", {"platform": ["tiktok"], "country": ["United Kingdom"]}, ""),
    ("instagram models in Italy", {"platform": ["instagram"], "country": ["Italy"]}, "models"),
    ("creators on youtube who speak french", {"platform": ["youtube"], "language": ["fr"]}, ""),
    ("spanish-speaking food bloggers", {"language": ["es"], "category": ["food"]}, "food"),
    ("portuguese language fitness accounts", {"language": ["pt"], "category": ["fitness"]}, "fitness"),
    ("American gaming streamers", {"country": [US], "category": ["gaming"]}, "gaming"),
    ("tech reviewers based in India", {"country": ["India"], "category": ["tech"]}, "tech reviewers"),
    ("dog lovers located in Canada", {"country": ["Canada"], "category": ["pets"]}, "dog lovers"),
    ("creators in Los Angeles", {"location": "los angeles"}, ""),
    (
        "yoga teachers from Berlin",
        {"location": "berlin", "category": ["education", "fitness"]},
        "yoga teachers",
    ),
    (
        "skincare creators in the USA with over 3% engagement",
        {"category": ["beauty"], "country": [US], "min_engagement": 0.03},
        "skincare",
    ),
    (
        "comedians on tiktok with 1M+ followers",
        {"category": ["comedy"], "platform": ["tiktok"], "min_followers": 1_000_000},
        "comedians",
    ),
    ("vegan recipes in german", {"language": ["de"], "category": ["food"]}, "vegan recipes"),
    ("people wearing glasses", {}, "wearing glasses"),
    ("red hair", {}, "red hair"),
    ("sunset beach photos", {"category": ["photography"]}, "sunset beach photos"),
    ("mom bloggers in Mexico", {"category": ["parenting"], "country": ["Mexico"]}, "mom"),
    (
        "musicians with 50k followers on instagram",
        {"category": ["music"], "min_followers": 50_000, "platform": ["instagram"]},
        "musicians",
    ),
    ("football creators from the U.K.", {"category": ["sports"], "country": ["United Kingdom"]}, "football"),
    (
        "crypto influencers with under 10k subscribers",
        {"category": ["finance"], "max_followers": 10_000},
        "crypto",
    ),
    ("no less than 5k followers", {"min_followers": 5_000}, ""),
    ("", {}, ""),
]


@pytest.mark.parametrize(("query", "filters", "semantic"), CASES, ids=[c[0] or "empty" for c in CASES])
def test_phrasings(query: str, filters: dict[str, Any], semantic: str) -> None:
    got = parse_query(query)
    assert got.filters.model_dump(exclude_defaults=True) == filters
    assert got.semantic.lower() == semantic


def test_two_letter_codes_need_capitals() -> None:
    assert parse_query("creators in it together").filters.country == []
    assert parse_query("creators in IT").filters.country == ["Italy"]


def test_matched_spans_are_reported() -> None:
    got = parse_query("fitness creators in the US with over 50K followers")
    texts = [m["text"] for m in got.matched]
    assert any("50K followers" in t for t in texts) and any("US" in t for t in texts)
