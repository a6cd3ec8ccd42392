"""End to end: crawl the fixture site with the real pipeline, then rank, filter and explain through the
search engine, the REST API and the CLI."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from adlens.cli.progress import CliJobContext
from adlens.config import Settings, reset_settings
from adlens.images.crawl import CrawlOptions, run_crawl
from adlens.images.search import ImageSearch
from adlens.runtime import Runtime


def name(url: str) -> str:
    return urlsplit(url).path.rsplit("/", 1)[-1]


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("images-rank-home")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ADLENS_HOME", str(path))
        reset_settings()
        yield path
    reset_settings()


@pytest.fixture(scope="module")
def crawl_id(home: Path, images_site: Any) -> str:
    runtime = Runtime(Settings(home=home))
    try:
        options = CrawlOptions(url=images_site.url, limit=60, depth=3, delay_s=0.0, image_timeout_s=1.0)
        return run_crawl(runtime, options, CliJobContext(None, None)).crawl_id
    finally:
        runtime.close()


@pytest.fixture(scope="module")
def engine(home: Path, crawl_id: str) -> Iterator[ImageSearch]:
    runtime = Runtime(Settings(home=home))
    yield ImageSearch.from_runtime(runtime)
    runtime.close()


TOP3 = [
    ("astronaut in an orange flight suit", {"astronaut.jpg", "astronaut-copy.jpg"}),
    ("rocket launch", {"rocket.jpg"}),
    ("tabby cat", {"chelsea-large.jpg"}),
    ("a cup of coffee", {"coffee.webp", "coffee.jpg"}),
    ("summer sale banner", {"banner-sale.png"}),
    ("galaxies in deep space", {"hubble.jpg"}),
    ("horse silhouette", {"horse.png"}),
    ("ancient greek coins", {"coins.png"}),
    ("ACME Widgets logo", {"logo.svg"}),
    ("sign that says open 24 hours", {"sign-open.webp"}),
    ("red brick wall", {"brick.jpg"}),
    ("photographer with a camera", {"camera.jpg"}),
]


@pytest.mark.parametrize(("query", "expected"), TOP3, ids=[q for q, _ in TOP3])
def test_images_rank_top3(engine: ImageSearch, crawl_id: str, query: str, expected: set[str]) -> None:
    got = [name(r["image_url"]) for r in engine.search(query, crawl_id=crawl_id).results]
    assert expected & set(got[:3]), got


def test_images_rank_same_bytes_are_one_result(engine: ImageSearch, crawl_id: str) -> None:
    got = [name(r["image_url"]) for r in engine.search("astronaut", crawl_id=crawl_id).results]
    assert len({"astronaut.jpg", "astronaut-copy.jpg"} & set(got)) == 1


def test_images_rank_filters_hold(engine: ImageSearch, crawl_id: str) -> None:
    png = engine.search("PNG images of a banner", crawl_id=crawl_id).results
    assert png and all(r["format"] == "png" for r in png) and name(png[0]["image_url"]) == "banner-sale.png"
    webp = engine.search("webp pictures of coffee", crawl_id=crawl_id).results
    assert [name(r["image_url"]) for r in webp][:1] == ["coffee.webp"]
    assert all(r["format"] == "webp" for r in webp)
    wide = engine.search("photos at least 420px wide", crawl_id=crawl_id).results
    assert wide and all(r["width"] >= 420 for r in wide)
    small = engine.search("images smaller than 350 px", crawl_id=crawl_id).results
    assert all(r["width"] <= 350 and r["height"] <= 350 for r in small)
    space = engine.search("rocket on the space page", crawl_id=crawl_id).results
    assert space and all("space" in (r["page_url"] + (r.get("page_title") or "")).lower() for r in space)


def test_images_rank_negations_hold(engine: ImageSearch, crawl_id: str) -> None:
    people = {"astronaut.jpg", "astronaut-copy.jpg", "camera.jpg"}
    with_people = [
        name(r["image_url"]) for r in engine.search("portrait of a person", crawl_id=crawl_id).results
    ]
    assert people & set(with_people[:3])
    without = [
        name(r["image_url"]) for r in engine.search("photos without people", crawl_id=crawl_id).results
    ]
    assert not people & set(without)
    texty = {"banner-sale.png", "sign-open.webp", "label-beans.jpg"}
    sale = [name(r["image_url"]) for r in engine.search("shop sign", crawl_id=crawl_id).results]
    assert texty & set(sale)
    no_text = [
        name(r["image_url"]) for r in engine.search("shop sign with no text", crawl_id=crawl_id).results
    ]
    assert not texty & set(no_text)


@pytest.mark.parametrize("query", ["zxqv blorft wimble", "quantum chromodynamics lecture notes"])
def test_images_rank_nonsense_returns_nothing(engine: ImageSearch, crawl_id: str, query: str) -> None:
    assert engine.search(query, crawl_id=crawl_id).results == []


def test_images_api_search_and_similar(home: Path, crawl_id: str, engine: ImageSearch) -> None:
    from adlens.api import create_app

    engine.runtime.close()  # type: ignore[attr-defined]  # one store user at a time
    with TestClient(create_app(Settings(home=home))) as client:
        r = client.post(
            "/api/v1/images/search",
            json={"query": "Find PNG images of a sale banner", "crawl_id": crawl_id, "k": 5},
        )
        assert r.status_code == 200, r.text
        doc = r.json()
        assert doc["parsed"]["formats"] == ["png"]
        top = doc["results"][0]
        assert name(top["image_url"]) == "banner-sale.png" and top["thumb_url"]
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
        thumb = client.get(top["thumb_url"])
        assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/jpeg"
        sim = client.post("/api/v1/images/similar", json={"id": top["id"], "crawl_id": crawl_id, "k": 3})
        assert sim.status_code == 200 and all(s["id"] != top["id"] for s in sim.json()["results"])
        rocket = (Path(__file__).parent / "site" / "img" / "rocket.jpg").read_bytes()
        up = client.post(
            "/api/v1/images/similar",
            files={"file": ("r.jpg", rocket, "image/jpeg")},
            data={"crawl_id": crawl_id, "k": "3"},
        )
        assert up.status_code == 200, up.text
        assert name(up.json()["results"][0]["image_url"]) == "rocket.jpg"
        for bad, status in (
            ({"query": "", "crawl_id": crawl_id}, 422),
            ({"query": "cats", "crawl_id": "c-doesnotexist"}, 404),
            ({"query": "cats", "crawl_id": crawl_id, "k": 0}, 422),
            ({"query": "cats", "parser": "gpt"}, 422),
        ):
            r = client.post("/api/v1/images/search", json=bad)
            assert r.status_code == status, (bad, r.text)
            assert r.headers["content-type"].startswith("application/problem+json")
        r = client.post(
            "/api/v1/images/similar",
            files={"file": ("x.jpg", b"not an image", "image/jpeg")},
            data={"crawl_id": crawl_id},
        )
        assert r.status_code == 415, r.text
        r = client.post("/api/v1/images/similar", json={"id": "0" * 20, "crawl_id": crawl_id})
        assert r.status_code == 404


def test_images_cli_search_and_similar(home: Path, crawl_id: str) -> None:
    from adlens.cli.main import app

    runner = CliRunner()
    res = runner.invoke(app, ["images", "search", "tabby cat", "--crawl", crawl_id, "--k", "3", "--json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert name(doc["results"][0]["image_url"]) == "chelsea-large.jpg"
    assert {"image_url", "page_url", "alt", "score", "why"} <= set(doc["results"][0])
    res = runner.invoke(
        app, ["images", "similar", "--id", doc["results"][0]["id"], "--crawl", crawl_id, "--json"]
    )
    assert res.exit_code == 0, res.output
    assert "results" in json.loads(res.stdout)
    import os
    import subprocess
    import sys

    bad = subprocess.run(
        [sys.executable, "-m", "adlens.cli", "images", "search", "cats", "--crawl", "c-nope", "--json"],
        env={**os.environ, "ADLENS_HOME": str(home)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert bad.returncode == 2 and bad.stdout == ""
    assert bad.stderr.strip().startswith("error: ") and len(bad.stderr.strip().splitlines()) == 1
