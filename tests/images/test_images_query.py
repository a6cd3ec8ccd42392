"""The rule-based image query parser on many phrasings."""

from __future__ import annotations

from typing import Any

import pytest

from adlens.errors import InvalidInput
from adlens.images.query import ParsedQuery, parse_query

# (query, expected semantic, expected fields)
CASES: list[tuple[str, str, dict[str, Any]]] = [
    ("Find PNG images of Apple Watch", "Apple Watch", {"formats": ["png"]}),
    ("product photos without people", "product photos", {"exclude_concepts": ["people"]}),
    ("jpg or webp pictures of running shoes", "running shoes", {"formats": ["jpeg", "webp"]}),
    ("show me 5 images of red sneakers", "red sneakers", {"count": 5}),
    ("high-resolution photos of mountains", "photos of mountains", {"min_width": 1000}),
    ("banners at least 1000px wide", "banners", {"min_width": 1000}),
    ("small icons", "icons", {"max_width": 128, "max_height": 128}),
    ("screenshots with no text", "screenshots", {"exclude_concepts": ["text"]}),
    ("team photos on the about page", "team photos", {"page_terms": ["about"]}),
    ("logos from example.com", "logos", {"sites": ["example.com"]}),
    ("hero image on the pricing page", "hero", {"page_terms": ["pricing"]}),
    ("site:shop.example.org sunglasses", "sunglasses", {"sites": ["shop.example.org"]}),
    ("top 10 pictures of coffee mugs", "coffee mugs", {"count": 10}),
    ("give me three photos of dogs", "photos of dogs", {"count": 3}),
    ("images larger than 800x600 of laptops", "laptops", {"min_width": 800, "min_height": 600}),
    ("at least 1920x1080 wallpapers", "wallpapers", {"min_width": 1920, "min_height": 1080}),
    ("icons smaller than 64px", "icons", {"max_width": 64, "max_height": 64}),
    ("gifs of cats", "cats", {"formats": ["gif"]}),
    ("animated banners", "banners", {"formats": ["gif"]}),
    ("vector logos", "logos", {"formats": ["svg"]}),
    ("svg icons of arrows", "icons of arrows", {"formats": ["svg"]}),
    ("photos of food, not png", "photos of food", {"exclude_formats": ["png"], "formats": []}),
    ("no gifs, just photos of beaches", "just photos of beaches", {"exclude_formats": ["gif"]}),
    ("chairs preferably png", "chairs", {"prefer_formats": ["png"], "formats": []}),
    ("watch images, webp if possible", "watch", {"prefer_formats": ["webp"], "formats": []}),
    ("pictures of bicycles without people or text", "bicycles", {"exclude_concepts": ["people", "text"]}),
    ("text-free product shots", "product shots", {"exclude_concepts": ["text"]}),
    ("people-free landscapes", "landscapes", {"exclude_concepts": ["people"]}),
    ("beach photos but not dogs", "beach photos", {"exclude_concepts": ["dog"]}),
    ("kitchen photos excluding humans", "kitchen photos", {"exclude_concepts": ["people"]}),
    ("4k photos of cities", "photos of cities", {"min_width": 3840}),
    ("full hd backgrounds", "backgrounds", {"min_width": 1920, "min_height": 1080}),
    ("images wider than 1200 px of sofas", "sofas", {"min_width": 1200}),
    ("posters at least 900 px tall", "posters", {"min_height": 900}),
    ("photos of women in portrait orientation", "photos of women", {"orientation": "portrait"}),
    ("landscape-format pictures of lakes", "lakes", {"orientation": "landscape"}),
    ("portrait of a person", "portrait of a person", {"orientation": None}),
    ("landscape photos of mountains", "landscape photos of mountains", {"orientation": None}),
    ("vertical banners", "banners", {"orientation": "portrait"}),
    ("square images of logos", "logos", {"orientation": "square"}),
    (
        "best 3 photos of a red car no larger than 500x500",
        "photos of a red car",
        {"count": 3, "max_width": 500, "max_height": 500},
    ),
    ("pictures that have no people", "", {"exclude_concepts": ["people"]}),
    ("no smaller than 300px wide photos of owls", "photos of owls", {"min_width": 300, "max_width": None}),
    ('images with "summer sale" text', "summer sale text", {"phrases": ["summer sale"]}),
    ("JPEG photos of sushi from the blog", "photos of sushi", {"formats": ["jpeg"], "page_terms": ["blog"]}),
    (
        "Find 5 PNG images of Apple Watch without people",
        "Apple Watch",
        {"count": 5, "formats": ["png"], "exclude_concepts": ["people"]},
    ),
    ("show me the first 4 logos on acme.io", "logos", {"count": 4, "sites": ["acme.io"]}),
    ("tiny favicons", "favicons", {"max_width": 128}),
    ("large photos of trucks", "photos of trucks", {"min_width": 800}),
    ("thumbnail sized images of shoes", "shoes", {"max_width": 400}),
    ("two dogs playing in the snow", "two dogs playing in the snow", {"count": None}),
    ("red dress", "red dress", {"formats": [], "count": None, "min_width": None}),
    ("search for images of laptops in png format", "laptops", {"formats": ["png"]}),
    ("I want pictures of headphones with no people in them", "headphones", {"exclude_concepts": ["people"]}),
    ("charts from https://stats.example.com/reports", "charts", {"sites": ["stats.example.com"]}),
    ("minimum width 1600 hero banners", "hero banners", {"min_width": 1600}),
    ("images on page /pricing", "", {"page_terms": ["pricing"]}),
    ("photos under 300 px", "photos", {"max_width": 300, "max_height": 300}),
    ("cat pics -dog", "cat", {"exclude_concepts": ["dog"]}),
    ("just 2 images of the team", "team", {"count": 2}),
    ("hi-res jpgs of watches", "watches", {"formats": ["jpeg"], "min_width": 1000}),
]


@pytest.mark.parametrize(("raw", "semantic", "expected"), CASES, ids=[c[0] for c in CASES])
def test_images_parse_query(raw: str, semantic: str, expected: dict[str, Any]) -> None:
    q = parse_query(raw)
    got = q.to_dict()
    assert q.semantic.lower() == semantic.lower(), got
    for key, value in expected.items():
        assert got[key] == value, (key, got)
    assert q.raw == raw and q.parser == "rules"


def test_images_parse_where_combines_filters() -> None:
    q = parse_query("PNG images of shoes at least 500px wide without people or text")
    assert q.where() == {
        "$and": [
            {"format": {"$in": ["png"]}},
            {"width": {"$gte": 500}},
            {"has_people": {"$ne": True}},
            {"has_text": {"$ne": True}},
        ]
    }
    assert "format: png" in q.chips() and "without people" in q.chips()


def test_images_parse_plain_query_has_no_filter() -> None:
    q = parse_query("sunset over the sea")
    assert q.where() is None and q.chips() == [] and q.semantic == "sunset over the sea"


def test_images_parse_prefer_is_not_a_filter() -> None:
    q = parse_query("logos preferably svg")
    assert q.where() is None and q.prefer_formats == ["svg"]


@pytest.mark.parametrize("bad", ["", "   ", "x" * 501])
def test_images_parse_rejects_bad_input(bad: str) -> None:
    with pytest.raises(InvalidInput):
        parse_query(bad)


def test_images_parsed_query_round_trips() -> None:
    q = parse_query("show me 3 jpg photos of boats from the blog")
    again = ParsedQuery(**q.to_dict())
    assert again == q
