"""End-to-end crawls of the fixture site (tests/images/site) with the real fetcher, models and store."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from adlens.cli.progress import CliJobContext
from adlens.config import Settings
from adlens.images.api_crawls import crawl_handler
from adlens.images.crawl import JOB_KIND, CrawlOptions, CrawlRegistry, run_crawl
from adlens.images.crawl_state import CrawlStore
from adlens.images.schema import COLLECTION, META_KEYS
from adlens.images.thumbs import thumb_path
from adlens.jobs import LocalJobRunner
from adlens.runtime import Runtime

EXPECTED_IMAGES = {
    "/img/astronaut.jpg",
    "/img/astronaut-copy.jpg",
    "/img/camera.jpg",
    "/img/rocket.jpg",
    "/img/hubble.jpg",
    "/img/chelsea-large.jpg",
    "/img/coffee.webp",
    "/img/coffee.jpg",
    "/img/banner-sale.png",
    "/img/sign-open.webp",
    "/img/label-beans.jpg",
    "/img/grass.jpg",
    "/img/brick.jpg",
    "/img/retina.jpg",
    "/img/coins.png",
    "/gallery/horse.png",
    "/img/logo.svg",
    "/img/evil.svg",
}
EXPECTED_ERRORS = {
    ("/img/missing.png", "http-404"),
    ("/img/error.png", "http-500"),
    ("/img/notimage.jpg", "unsupported-type"),
    ("/img/huge.jpg", "too-large"),
    ("/img/slow.jpg", "timeout"),
    ("/img/corrupt.png", "undecodable"),
    ("/img/bomb.png", "too-large"),
    ("/loop-a.html", "redirect-loop"),
    ("/missing-page.html", "http-404"),
    ("/server-error.html", "http-500"),
    ("/private/secret.html", "robots"),
    ("/download/report", "unsupported-type"),
}


def path_of(url: str) -> str:
    return urlsplit(url).path


@pytest.fixture(scope="module")
def runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runtime]:
    rt = Runtime(Settings(home=tmp_path_factory.mktemp("images-crawl-home")))
    yield rt
    rt.close()


@pytest.fixture(scope="module")
def crawled(runtime: Runtime, images_site: Any) -> dict[str, Any]:
    images_site.reset_hits()
    options = CrawlOptions(
        url=images_site.url, limit=60, depth=3, delay_s=0.0, image_timeout_s=1.0, ocr=False
    )
    summary = run_crawl(runtime, options, CliJobContext(None, None))
    records = {
        path_of(str(rec.metadata["image_url"])): rec
        for _ns, rec in runtime.store.iter_records(COLLECTION, summary.crawl_id)
    }
    return {
        "summary": summary,
        "records": records,
        "hits": dict(images_site.hits),
        "other_hits": dict(images_site.other.hits),
    }


def test_crawl_stores_exactly_the_expected_images(crawled: dict[str, Any]) -> None:
    summary = crawled["summary"]
    assert summary.status == "done"
    assert set(crawled["records"]) == EXPECTED_IMAGES
    assert summary.images == len(EXPECTED_IMAGES)
    assert summary.pages == 29  # every reachable HTML page within depth 3, "/" and "/index.html" both
    assert summary.images_found >= 30


def test_errors_are_recorded_and_the_crawl_continues(crawled: dict[str, Any]) -> None:
    errors = {(path_of(e["url"]), e["kind"]) for e in crawled["summary"].errors}
    assert errors == EXPECTED_ERRORS
    stages = {path_of(e["url"]): e["stage"] for e in crawled["summary"].errors}
    assert stages["/img/missing.png"] == "download"
    assert stages["/img/corrupt.png"] == "image"
    assert stages["/private/secret.html"] == "robots"
    assert stages["/loop-a.html"] == "page"


def test_politeness_scope_robots_cycles_and_non_html(crawled: dict[str, Any]) -> None:
    hits = crawled["hits"]
    assert "/private/secret.html" not in hits  # robots.txt disallows it
    assert hits["/robots.txt"] == 1  # fetched once, cached
    for page in ("/cycle-a.html", "/cycle-b.html", "/cycle-c.html", "/index.html", "/space.html"):
        assert hits[page] <= 2, page  # space.html: once directly, once via /old-space.html
    assert hits["/cycle-a.html"] == 1
    for skipped in (
        "/files/report.pdf",
        "/data/prices.csv",
        "/track.gif",
        "/svg-beacon",
        "/deep/level-4.html",
    ):
        assert skipped not in hits, skipped
    assert hits["/deep/level-3.html"] == 1
    assert crawled["other_hits"] == {}  # --same-domain: the other origin is never contacted
    assert "/img/clock.jpg" not in hits  # inserted by JavaScript: static crawl cannot see it
    assert hits["/img/dot.gif"] == 1  # downloaded, then dropped as a 1x1 placeholder
    for url, n in hits.items():
        if url.startswith("/img/") and url != "/img/chelsea-large.jpg":
            assert n == 1, url  # every image downloaded once


def test_metadata_follows_the_contract(crawled: dict[str, Any], runtime: Runtime) -> None:
    recs = crawled["records"]
    for rec in recs.values():
        assert set(META_KEYS) <= set(rec.metadata), set(META_KEYS) - set(rec.metadata)
        assert len(str(rec.metadata["context"])) <= 600
        assert rec.text
    cat = recs["/img/chelsea-large.jpg"].metadata
    assert (cat["source"], cat["format"], cat["width"], cat["height"]) == ("srcset", "jpeg", 451, 300)
    assert cat["alt"] == "Chelsea the tabby cat sitting"
    assert cat["page_count"] == 2  # cats.html and redirect.html (through a 302)
    coffee = recs["/img/coffee.webp"].metadata
    assert (coffee["source"], coffee["format"]) == ("picture", "webp")
    assert coffee["declared_width"] == 400
    rocket = recs["/img/rocket.jpg"].metadata  # first seen as og:image; described by its <figure>
    assert path_of(str(rocket["page_url"])) == "/space.html"
    assert rocket["caption"] == "A Falcon 9 rocket launching the DSCOVR satellite into space"
    assert rocket["heading"] == "Launch day"
    assert recs["/img/retina.jpg"].metadata["source"] == "poster"
    brick = recs["/img/brick.jpg"].metadata
    assert (brick["source"], brick["aria_label"]) == ("css", "Red brick wall background")
    assert recs["/img/coins.png"].metadata["format"] == "png"
    assert recs["/gallery/horse.png"].metadata["alt"] == "Black silhouette of a galloping horse"
    assert recs["/img/sign-open.webp"].metadata["source"] == "lazy"  # data-lazy-src, the richest alt
    sale = recs["/img/banner-sale.png"].metadata  # lazy.html and blog/sale.html: the figure wins
    assert (sale["caption"], sale["page_count"]) == ("Our biggest sale of the year", 2)
    camera = recs["/img/camera.jpg"].metadata
    assert camera["classes"] == ["portrait", "team-photo"] and camera["has_people"] is True
    assert recs["/img/hubble.jpg"].metadata["has_people"] is False
    for rec in recs.values():
        m = rec.metadata
        if m["format"] != "svg":
            assert m["has_visual"] is True and len(str(m["phash"])) == 16
            assert thumb_path(runtime.settings.data_dir, str(m["content_hash"])).is_file()
            assert m["thumb_url"] == f"/api/v1/images/thumbs/{m['content_hash']}"


def test_ocr_reads_text_images(runtime: Runtime, images_site: Any, crawled: dict[str, Any]) -> None:
    """OCR in the crawl pipeline (``ocr=None``: when the text detector fires). The big crawl above runs
    without OCR to keep this folder fast on a shared 2-core machine."""
    options = CrawlOptions(url=images_site.url + "blog/sale.html", limit=1, depth=0, delay_s=0)
    summary = run_crawl(runtime, options, CliJobContext(None, None))
    (rec,) = [r for _ns, r in runtime.store.iter_records(COLLECTION, summary.crawl_id)]
    assert "SALE" in str(rec.metadata["ocr_text"]).upper() and rec.metadata["has_text"] is True
    assert crawled["records"]["/img/chelsea-large.jpg"].metadata["has_text"] is False


def test_same_image_on_many_pages_and_same_bytes_under_two_urls(crawled: dict[str, Any]) -> None:
    recs = crawled["records"]
    astro = recs["/img/astronaut.jpg"].metadata
    assert astro["page_count"] == 3  # "/", "/index.html", "/about.html"
    assert sorted(path_of(u) for u in astro["also_on"]) == ["/about.html", "/index.html"]
    copy = recs["/img/astronaut-copy.jpg"].metadata
    assert copy["content_hash"] == astro["content_hash"]  # analysed once (see test_images_crawl_units)
    assert copy["alt"] == "Portrait of our commander in a spacesuit"
    assert recs["/img/rocket.jpg"].metadata["page_count"] >= 3


def test_svg_is_indexed_safely(crawled: dict[str, Any], images_site: Any) -> None:
    evil = crawled["records"]["/img/evil.svg"].metadata
    logo = crawled["records"]["/img/logo.svg"].metadata
    assert evil["format"] == logo["format"] == "svg"
    assert "BADGE" in str(evil["ocr_text"])
    assert "ACME Widgets" in str(logo["ocr_text"])
    assert logo["width"] == 320 and logo["height"] == 120  # rasterised from the sanitised copy
    assert "/svg-beacon" not in crawled["hits"]  # its script, onload, href and iframe never ran


def test_resume_after_interruption(runtime: Runtime, images_site: Any, tmp_path: Path) -> None:
    """A runner shut down mid-crawl re-queues the job; the next runner resumes it without re-fetching
    the pages that were done."""
    images_site.reset_hits()
    store = CrawlStore.for_data_dir(runtime.settings.data_dir)
    options = CrawlOptions(url=images_site.url, limit=14, depth=1, concurrency=1, delay_s=0.15, ocr=False)
    crawl_id = "c-resume00000"
    params = {"crawl_id": crawl_id, "options": options.to_dict()}
    db = tmp_path / "jobs.sqlite3"
    runner = LocalJobRunner(db, workers=1, poll_interval=0.05)
    runner.register(JOB_KIND, crawl_handler(runtime))
    runner.start()
    job = runner.submit(JOB_KIND, params)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        states = store.page_states(crawl_id)
        if sum(s == "done" for s in states.values()) >= 3:
            break
        time.sleep(0.05)
    runner.shutdown(wait=True)
    assert runner.get(job.id).state.value == "queued"  # re-queued for resume, not cancelled
    runner.close()
    done_before = {u for u, s in store.page_states(crawl_id).items() if s == "done"}
    assert 3 <= len(done_before) < 14
    assert store.row(crawl_id)["status"] == "queued"
    images_site.reset_hits()

    runner2 = LocalJobRunner(db, workers=1, poll_interval=0.05)
    runner2.register(JOB_KIND, crawl_handler(runtime))
    runner2.start()
    try:
        deadline = time.monotonic() + 120
        while runner2.get(job.id).state.value not in ("done", "failed", "cancelled"):
            assert time.monotonic() < deadline, "resumed crawl did not finish"
            time.sleep(0.1)
        finished = runner2.get(job.id)
    finally:
        runner2.close()
    assert finished.state.value == "done", finished.error
    assert finished.attempt == 2
    for url in done_before:
        assert images_site.hits.get(path_of(url), 0) == 0, f"{url} fetched again after resume"
    row = CrawlRegistry(runtime).get(crawl_id)
    assert row["status"] == "done"
    states = store.page_states(crawl_id)
    assert "queued" not in states.values() or row["pages"] + len(EXPECTED_ERRORS) >= 14
    assert 0 < row["pages"] <= sum(s == "done" for s in states.values())
    assert runtime.store.count(COLLECTION, namespace=crawl_id) == row["images"] > 0


def test_cancel_keeps_what_was_stored(runtime: Runtime, images_site: Any, tmp_path: Path) -> None:
    options = CrawlOptions(url=images_site.url, limit=40, depth=2, concurrency=1, delay_s=0.2, ocr=False)
    crawl_id = "c-cancel00000"
    runner = LocalJobRunner(tmp_path / "jobs.sqlite3", workers=1, poll_interval=0.05)
    runner.register(JOB_KIND, crawl_handler(runtime))
    runner.start()
    registry = CrawlRegistry(runtime)
    try:
        job = runner.submit(JOB_KIND, {"crawl_id": crawl_id, "options": options.to_dict()})
        deadline = time.monotonic() + 60
        while runtime.store.count(COLLECTION, namespace=crawl_id) < 2:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        runner.cancel(job.id)
        while runner.get(job.id).state.value not in ("cancelled", "done", "failed"):
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert runner.get(job.id).state.value == "cancelled"
    finally:
        runner.close()
    row = registry.get(crawl_id)
    assert row["status"] == "cancelled"
    stored = runtime.store.count(COLLECTION, namespace=crawl_id)
    assert stored >= 2 and stored == row["images"]
    assert row["pages"] < 30


def test_render_finds_javascript_inserted_images(runtime: Runtime, images_site: Any) -> None:
    url = images_site.url + "js.html"
    static = run_crawl(runtime, CrawlOptions(url=url, limit=1, depth=0, delay_s=0), CliJobContext(None, None))
    assert static.images == 0
    rendered = run_crawl(
        runtime, CrawlOptions(url=url, limit=1, depth=0, delay_s=0, render=True), CliJobContext(None, None)
    )
    assert rendered.images == 1, rendered.errors
    (rec,) = [r for _ns, r in runtime.store.iter_records(COLLECTION, rendered.crawl_id)]
    assert rec.metadata["alt"] == "Motion blurred wall clock"
    assert path_of(str(rec.metadata["image_url"])) == "/img/clock.jpg"


def test_all_domains_follows_the_other_origin(
    runtime: Runtime, images_site: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from adlens.images import crawl_engine

    monkeypatch.setattr(crawl_engine, "REFRESH_S", 0.0)  # page lists rewritten while the crawl runs too
    images_site.reset_hits()
    options = CrawlOptions(url=images_site.url, limit=40, depth=1, delay_s=0, same_domain=False, ocr=False)
    summary = run_crawl(runtime, options, CliJobContext(None, None))
    assert images_site.other.hits.get("/other.html") == 1
    records = {
        path_of(str(r.metadata["image_url"])): r.metadata
        for _ns, r in runtime.store.iter_records(COLLECTION, summary.crawl_id)
    }
    domains = {m["page_domain"] for m in records.values()}
    assert domains == {urlsplit(images_site.url).netloc, urlsplit(images_site.other_url).netloc}
    assert records["/img/astronaut.jpg"]["page_count"] == 3
    assert path_of(str(records["/img/rocket.jpg"]["page_url"])) == "/space.html"


def test_delete_removes_namespace_state_and_orphan_thumbnails(
    runtime: Runtime, crawled: dict[str, Any]
) -> None:
    registry = CrawlRegistry(runtime)
    crawl_id = crawled["summary"].crawl_id
    hashes = {
        str(r.metadata["content_hash"]) for r in crawled["records"].values() if r.metadata["has_visual"]
    }
    result = registry.delete(crawl_id)
    assert result["records"] == len(EXPECTED_IMAGES)
    assert runtime.store.count(COLLECTION, namespace=crawl_id) == 0
    with pytest.raises(Exception, match="no crawl"):
        registry.get(crawl_id)
    other_crawls = {r["crawl_id"] for r in registry.list()}
    assert other_crawls  # other crawls of this module still share some thumbnails
    still_used = set()
    for cid in other_crawls:
        still_used |= {
            str(r.metadata["content_hash"]) for _ns, r in runtime.store.iter_records(COLLECTION, cid)
        }
    assert hashes - still_used and hashes & still_used
    for h in hashes:
        assert thumb_path(runtime.settings.data_dir, h).exists() == (h in still_used), h
