"""Image search on a small real index (real embedders, real embedded store): filters, negations,
dedupe, the relevance floor, format preference, image-to-image and ``why``."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from adlens.errors import InvalidInput, NotFound, UnsupportedMedia
from adlens.images.dedupe import DupItem, dedupe, url_key
from adlens.images.ranking import Candidate, fuse_scores, order
from adlens.images.schema import COLLECTION, build_record, ensure_collection
from adlens.images.search import ImageSearch
from adlens.images.vectors import build_vectors_many

NS = "c-000000000001"


PHOTOS = Path(__file__).parent / "site" / "img"  # public-domain / CC0 photos (see site/README.md)


def _photo(name: str, scale: float = 1.0) -> bytes:
    """A photo of the fixture site, optionally resized and recompressed (a near-duplicate)."""
    data = (PHOTOS / name).read_bytes()
    if scale == 1.0:
        return data
    im = Image.open(io.BytesIO(data)).convert("RGB")
    buf = io.BytesIO()
    im.resize((int(im.width * scale), int(im.height * scale))).save(buf, "JPEG", quality=60)
    return buf.getvalue()


BASE = "http://shop.example.com"
IMAGES: list[dict[str, Any]] = [
    {"image_url": f"{BASE}/img/apple-watch.png", "alt": "Apple Watch Series 9 in midnight aluminium",
     "format": "png", "width": 800, "height": 800, "page_url": f"{BASE}/products/watch",
     "_img": "clock.jpg"},
    {"image_url": f"{BASE}/img/apple-watch-side.jpg", "alt": "Apple Watch side view",
     "format": "jpeg", "width": 800, "height": 800, "page_url": f"{BASE}/products/watch",
     "_img": "camera.jpg"},
    {"image_url": f"{BASE}/img/team.jpg", "alt": "Our team at the office", "has_people": True,
     "format": "jpeg", "width": 1600, "height": 900, "page_url": f"{BASE}/about",
     "page_title": "About us", "_img": "astronaut.jpg"},
    {"image_url": f"{BASE}/img/red-running-shoes.webp", "alt": "red running shoes",
     "format": "webp", "width": 1200, "height": 800, "page_url": f"{BASE}/shop",
     "_img": "rocket.jpg"},
    {"image_url": f"{BASE}/img/red-running-shoes-300x200.webp", "alt": "Red running shoes!",
     "format": "webp", "width": 300, "height": 200, "page_url": f"{BASE}/shop/sale",
     "_img": "rocket.jpg", "_scale": 0.5},
    {"image_url": f"{BASE}/img/cart.svg", "alt": "shopping cart icon", "format": "svg", "width": 64,
     "height": 64, "page_url": f"{BASE}/shop", "has_visual": False, "_img": None},
    {"image_url": f"{BASE}/img/banner.png", "alt": "", "ocr_text": "SUMMER SALE 50% OFF", "has_text": True,
     "format": "png", "width": 1920, "height": 600, "page_url": f"{BASE}/", "_img": "banner-sale.png"},
    {"image_url": f"{BASE}/img/coffee.jpg", "alt": "a cup of coffee on a wooden table", "format": "jpeg",
     "width": 640, "height": 480, "page_url": f"{BASE}/blog/coffee", "_img": "coffee.jpg"},
]  # fmt: skip


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ImageSearch]:
    from adlens.config import get_settings, reset_settings
    from adlens.runtime import Runtime

    reset_settings()
    settings = get_settings().model_copy(update={"data_dir": tmp_path_factory.mktemp("images-data")})
    runtime = Runtime(settings)
    ensure_collection(runtime.store)
    items = []
    for spec in IMAGES:
        meta = {k: v for k, v in spec.items() if not k.startswith("_")}
        meta.setdefault("page_domain", "shop.example.com")
        if spec["_img"] is None:
            items.append((None, meta))
            continue
        analysis = runtime.image_embedder.analyze(_photo(spec["_img"], spec.get("_scale", 1.0)), ocr=False)
        meta["phash"] = analysis.phash
        meta["concepts"] = [c for c, _ in analysis.concepts]
        items.append((analysis, meta))
    vectors = build_vectors_many(items, runtime.text_embedder)
    runtime.store.upsert(
        COLLECTION, [build_record(m, v) for (_, m), v in zip(items, vectors, strict=True)], NS
    )
    yield ImageSearch.from_runtime(runtime)
    runtime.close()


def urls(resp: Any) -> list[str]:
    return [r["image_url"].rsplit("/", 1)[-1] for r in resp.results]


def test_images_search_format_filter(engine: ImageSearch) -> None:
    resp = engine.search("Find PNG images of Apple Watch", crawl_id=NS)
    assert urls(resp)[0] == "apple-watch.png"
    assert all(r["format"] == "png" for r in resp.results)
    assert resp.parsed.formats == ["png"]


def test_images_search_semantic_top(engine: ImageSearch) -> None:
    assert set(urls(engine.search("apple watch", crawl_id=NS))[:2]) == {
        "apple-watch.png",
        "apple-watch-side.jpg",
    }
    assert urls(engine.search("a cup of coffee", crawl_id=NS))[0] == "coffee.jpg"
    assert urls(engine.search("summer sale banner", crawl_id=NS))[0] == "banner.png"


def test_images_search_negations(engine: ImageSearch) -> None:
    assert "team.jpg" in urls(engine.search("office team", crawl_id=NS))
    assert "team.jpg" not in urls(engine.search("office team without people", crawl_id=NS))
    assert "banner.png" in urls(engine.search("sale", crawl_id=NS))
    assert "banner.png" not in urls(engine.search("sale with no text", crawl_id=NS))
    assert "coffee.jpg" not in urls(engine.search("photos without coffee", crawl_id=NS))


def test_images_search_dedupes_near_copies(engine: ImageSearch) -> None:
    resp = engine.search("red running shoes", crawl_id=NS)
    shoes = [u for u in urls(resp) if "shoes" in u]
    assert shoes == ["red-running-shoes.webp"]
    assert resp.results[0]["why"]["duplicates"][0]["image_url"].endswith("red-running-shoes-300x200.webp")


def test_images_search_size_page_site_count(engine: ImageSearch) -> None:
    assert urls(engine.search("small icons", crawl_id=NS)) == ["cart.svg"]
    wide = engine.search("images at least 1000px wide of shoes or teams or banners", crawl_id=NS)
    assert wide.results and all(r["width"] >= 1000 for r in wide.results)
    assert urls(engine.search("people on the about page", crawl_id=NS)) == ["team.jpg"]
    assert engine.search("shoes from other.org", crawl_id=NS).results == []
    assert len(engine.search("show me 2 products", crawl_id=NS).results) <= 2
    assert len(engine.search("show me 1 apple watch", crawl_id=NS).results) == 1


def test_images_search_nonsense_returns_nothing(engine: ImageSearch) -> None:
    assert engine.search("zxqv blorft wimble", crawl_id=NS).results == []
    assert engine.search("quantum chromodynamics lecture notes", crawl_id=NS).results == []


def test_images_search_why_explains(engine: ImageSearch) -> None:
    top = engine.search("apple watch in png", crawl_id=NS).results[0]
    why = top["why"]
    assert set(why["matched_terms"]) == {"apple", "watch"} and "alt" in why["matched_fields"]
    assert why["phrase"] == "apple watch"
    assert why["scores"]["final"] == pytest.approx(top["score"], abs=1e-3)
    assert "format: png" in why["filters"]
    assert {
        "id",
        "image_url",
        "page_url",
        "thumb_url",
        "alt",
        "score",
        "why",
        "format",
        "width",
        "height",
    } <= set(top)


def test_images_search_other_crawl_is_empty_and_bad_k(engine: ImageSearch) -> None:
    assert engine.search("apple watch", crawl_id="c-ffffffffffff").results == []
    with pytest.raises(InvalidInput):
        engine.search("apple watch", crawl_id=NS, k=0)
    with pytest.raises(InvalidInput):
        engine.search("apple watch", crawl_id=NS, parser="magic")


def test_images_similar_by_id_and_upload(engine: ImageSearch) -> None:
    shoe = engine.search("red running shoes", crawl_id=NS).results[0]
    sims = engine.similar(crawl_id=NS, id=shoe["id"], k=3)
    assert sims[0]["image_url"].endswith("red-running-shoes-300x200.webp")
    assert sims[0]["why"]["near_duplicate_of_query"] in {"phash", "visual", "url"}
    assert all(not s["image_url"].endswith(".svg") for s in sims)
    up = engine.similar(crawl_id=NS, image=_photo("rocket.jpg", 0.7), k=3)
    assert up and "red-running-shoes" in up[0]["image_url"]
    with pytest.raises(NotFound):
        engine.similar(crawl_id=NS, id="0" * 20)
    with pytest.raises(InvalidInput):
        engine.similar(crawl_id=NS)
    with pytest.raises(UnsupportedMedia):
        engine.similar(crawl_id=NS, image=b"not an image at all")


def test_images_format_preference_only_breaks_ties() -> None:
    cands = [Candidate("a", 0.50), Candidate("b", 0.495), Candidate("c", 0.30)]
    fuse_scores(cands)
    fmts = {"a": "jpeg", "b": "png", "c": "png"}
    assert [c.id for c in order(cands, fmts, ["png"])] == ["b", "a", "c"]
    assert [c.id for c in order(cands, fmts, [])] == ["a", "b", "c"]


def test_images_rrf_fusion_rewards_both_lists() -> None:
    cands = [Candidate("a", 0.9, bm25=0.0), Candidate("b", 0.8, bm25=5.0), Candidate("c", 0.1, bm25=1.0)]
    fuse_scores(cands, "rrf")
    assert max(cands, key=lambda c: c.score).id == "b"


def test_images_dedupe_rules() -> None:
    assert url_key("https://A.com/img/shoe-300x200@2x.jpg?w=640") == "a.com/img/shoe.jpg"
    items = [
        DupItem("https://a.com/1.jpg", content_hash="h1", phash="ffff0000ffff0000"),
        DupItem("https://a.com/2.jpg", content_hash="h1"),
        DupItem("https://a.com/3.jpg", phash="ffff0000ffff0001"),
        DupItem("https://a.com/4.jpg", phash="0000ffff0000ffff"),
    ]
    kept, dropped = dedupe(items)
    assert kept == [0, 3] and dropped[0] == [(1, "content"), (2, "phash")]
