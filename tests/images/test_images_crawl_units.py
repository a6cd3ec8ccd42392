"""Units of the crawl pipeline: format sniffing, bounded downloads, safe SVG, thumbnails, the analysis
cache (content-hash dedupe), options and the crawl limit."""

from __future__ import annotations

import asyncio
import io
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from adlens.cache import DiskCache
from adlens.config import Settings
from adlens.errors import (
    Forbidden,
    InvalidInput,
    PayloadTooLarge,
    RateLimited,
    UnsupportedMedia,
    UpstreamError,
    UpstreamTimeout,
)
from adlens.fetch import Fetcher, StaticFetcher, UpstreamHTTPError, UrlGuard
from adlens.images.crawl import CrawlOptions, CrawlRegistry
from adlens.images.crawl_engine import classify
from adlens.images.download import download_image, sniff_format
from adlens.images.extract import FoundImage
from adlens.images.process import (
    AnalysisCache,
    Candidate,
    ImageProcessor,
    decode_analysis,
    encode_analysis,
    has_people,
    richness,
)
from adlens.images.svg import rasterize_svg, sanitize_svg, svg_text
from adlens.images.thumbs import check_hash, save_thumbnail, thumb_path
from adlens.runtime import Runtime

sys.path.insert(0, str(Path(__file__).parent))
from images_site import SITE_DIR

IMG = SITE_DIR / "img"


def _encode(fmt: str, mode: str = "RGB", size: tuple[int, int] = (8, 8)) -> bytes:
    buf = io.BytesIO()
    Image.new(mode, size, "red" if mode == "RGB" else 0).save(buf, fmt)
    return buf.getvalue()


@pytest.mark.parametrize(
    ("data", "fmt"),
    [
        (lambda: _encode("PNG"), "png"),
        (lambda: _encode("JPEG"), "jpeg"),
        (lambda: _encode("GIF"), "gif"),
        (lambda: _encode("WEBP"), "webp"),
        (lambda: _encode("BMP"), "bmp"),
        (lambda: _encode("TIFF"), "tiff"),
        (lambda: _encode("ICO", size=(16, 16)), "ico"),
        (lambda: b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00", "avif"),
        (lambda: b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"/>', "svg"),
        (lambda: b"  <svg viewBox='0 0 1 1'></svg>", "svg"),
        (lambda: b"<!doctype html><html><title>x</title>", None),
        (lambda: b"%PDF-1.4", None),
        (lambda: b"", None),
        (lambda: b"\xff\xd8", None),
    ],
)
def test_sniff_format_from_magic_bytes(data: Any, fmt: str | None) -> None:
    assert sniff_format(data()) == fmt


@pytest.fixture(scope="module")
def fetcher() -> Iterator[Fetcher]:
    static = StaticFetcher(guard=UrlGuard(allowed_networks=["127.0.0.1/32"]), timeout_s=5.0)
    yield Fetcher(static, None, default_render=False)


def _download(fetcher: Fetcher, url: str, **kw: Any) -> Any:
    async def go() -> Any:
        try:
            return await download_image(fetcher, url, **kw)
        finally:
            await fetcher.aclose()

    return asyncio.run(go())


def test_download_checks_bytes_not_the_content_type(fetcher: Fetcher, images_site: Any) -> None:
    ok = _download(fetcher, images_site.url + "img/coffee.webp")
    assert (ok.format, ok.content_type, ok.size) == (
        "webp",
        "image/webp",
        (IMG / "coffee.webp").stat().st_size,
    )
    assert len(ok.content_hash) == 64
    with pytest.raises(UnsupportedMedia, match="HTML document, not an image"):
        _download(fetcher, images_site.url + "img/notimage.jpg")
    with pytest.raises(UnsupportedMedia):
        _download(fetcher, images_site.url + "files/report.pdf")
    assert _download(fetcher, images_site.url + "img/logo.svg").format == "svg"


def test_download_limits(fetcher: Fetcher, images_site: Any) -> None:
    with pytest.raises(PayloadTooLarge):
        _download(fetcher, images_site.url + "img/coins.png", max_bytes=50_000)
    with pytest.raises(PayloadTooLarge):
        _download(fetcher, images_site.url + "img/huge.jpg")
    with pytest.raises(UpstreamTimeout):
        _download(fetcher, images_site.url + "img/slow.jpg", timeout_s=0.5)
    with pytest.raises(UpstreamHTTPError) as info:
        _download(fetcher, images_site.url + "img/missing.png")
    assert info.value.upstream_status == 404
    assert _download(fetcher, images_site.url + "img/redirected-cat.jpg").final_url.endswith(
        "/chelsea-large.jpg"
    )


def test_sanitize_svg_removes_everything_active() -> None:
    evil = (IMG / "evil.svg").read_bytes()
    safe = sanitize_svg(evil).decode()
    for bad in ("script", "onload", "svg-beacon", "foreignObject", "iframe", "fetch("):
        assert bad not in safe, bad
    assert "BADGE" in safe and "<rect" in safe
    styled = b"""<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="10" height="10">
      <style>@import url(http://x/y.css); rect { fill: url(http://x/p.svg#g) }</style>
      <defs><linearGradient id="g"/></defs>
      <rect style="fill:url(#g)" width="5" height="5"/><use xlink:href="#g"/><use href="http://x/z.svg#a"/>
      <a href="javascript:alert(1)"><text>t</text></a><set attributeName="href" to="javascript:alert(1)"/></svg>"""
    out = sanitize_svg(styled).decode()
    assert "http://x" not in out and "@import" not in out and "javascript" not in out
    assert "url(#g)" in out and 'href="#g"' in out  # same-document references stay


def test_svg_entities_are_not_expanded_and_sizes_are_clamped() -> None:
    laughs = b"""<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">
    <!ENTITY c SYSTEM "file:///etc/passwd">]><svg xmlns="http://www.w3.org/2000/svg" width="100000" height="50000"><text>&b;&c;</text></svg>"""
    out = sanitize_svg(laughs).decode()
    assert "aaaaaaaaaaaaaaaaaaaa" not in out and "root:" not in out
    assert 'width="1024"' in out and 'height="512"' in out
    png = rasterize_svg(laughs)
    assert Image.open(io.BytesIO(png)).size == (1024, 512)
    with pytest.raises(InvalidInput):
        sanitize_svg(b"<svg><unclosed></svg>")
    with pytest.raises(UnsupportedMedia):
        sanitize_svg(b"<html/>")


def test_svg_raster_and_text() -> None:
    logo = (IMG / "logo.svg").read_bytes()
    image = Image.open(io.BytesIO(rasterize_svg(logo)))
    assert image.size == (320, 120) and image.format == "PNG"
    assert svg_text(logo).startswith("ACME Widgets")
    assert svg_text(b"not xml") == ""


def test_thumbnails(tmp_path: Path) -> None:
    data = (IMG / "chelsea-large.jpg").read_bytes()
    h = "a" * 64
    path = save_thumbnail(tmp_path, h, data)
    assert path == thumb_path(tmp_path, h) and path.parent.name == "aa"
    thumb = Image.open(path)
    assert thumb.format == "JPEG" and max(thumb.size) == 320
    assert list(path.parent.glob(".thumb-*")) == []  # no temporary file left behind
    for bad in ("A" * 64, "a" * 63, "../" + "a" * 61):
        with pytest.raises(InvalidInput):
            check_hash(bad)


@pytest.fixture(scope="module")
def runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runtime]:
    rt = Runtime(Settings(home=tmp_path_factory.mktemp("images-units-home"), ocr_enabled=False))
    yield rt
    rt.close()


def _candidate(path: Path, url: str, page: str, alt: str = "") -> Candidate:
    from adlens.images.download import Downloaded

    data = path.read_bytes()
    fmt = sniff_format(data)
    assert fmt is not None
    return Candidate(
        FoundImage(url, "img", alt=alt), page, "Page", Downloaded(url, url, data, fmt, "image/x")
    )


def test_same_bytes_are_analysed_once(runtime: Runtime) -> None:
    processor = ImageProcessor.from_runtime(runtime, ocr=False)
    astro = IMG / "astronaut.jpg"
    batch = [
        _candidate(astro, "http://s/img/astronaut.jpg", "http://s/", "Astronaut"),
        _candidate(
            IMG / "astronaut-copy.jpg", "http://s/img/astronaut-copy.jpg", "http://s/team", "Commander"
        ),
        _candidate(IMG / "coins.png", "http://s/img/coins.png", "http://s/g"),
    ]
    out = processor.process(batch)
    assert processor.stats == {"analysed": 2, "cache_hits": 0}
    assert [p.analysed for p in out] == [True, False, True]
    assert out[0].record is not None and out[1].record is not None
    assert out[0].record.id != out[1].record.id  # two URLs, two records ...
    assert out[0].content_hash == out[1].content_hash  # ... one analysis
    assert np.allclose(out[0].record.vectors["visual"], out[1].record.vectors["visual"])
    # a second processor on the same runtime cache: no model call at all
    again = ImageProcessor.from_runtime(runtime, ocr=False)
    again.process([_candidate(astro, "http://other/a.jpg", "http://other/")])
    assert again.stats == {"analysed": 0, "cache_hits": 1}


def test_processing_errors_and_placeholders(runtime: Runtime) -> None:
    processor = ImageProcessor.from_runtime(runtime, ocr=False)
    out = processor.process(
        [
            _candidate(IMG / "corrupt.png", "http://s/c.png", "http://s/"),
            _candidate(IMG / "bomb.png", "http://s/b.png", "http://s/"),
            _candidate(IMG / "dot.gif", "http://s/d.gif", "http://s/"),
            _candidate(IMG / "evil.svg", "http://s/e.svg", "http://s/"),
        ]
    )
    assert isinstance(out[0].error, InvalidInput)
    assert isinstance(out[1].error, PayloadTooLarge)
    assert out[2].record is None and out[2].skipped == "1x1 placeholder"
    svg = out[3].record
    assert svg is not None and svg.metadata["format"] == "svg" and "BADGE" in str(svg.metadata["ocr_text"])


def test_analysis_codec_and_disk_cache(runtime: Runtime, tmp_path: Path) -> None:
    analysis = runtime.image_embedder.analyze((IMG / "rocket.jpg").read_bytes(), ocr=False)
    back = decode_analysis(encode_analysis(analysis))
    assert back.phash == analysis.phash and back.concepts == analysis.concepts
    assert np.array_equal(back.visual, analysis.visual) and np.array_equal(
        back.text_vector, analysis.text_vector
    )
    with DiskCache(tmp_path / "kv") as disk:
        cache = AnalysisCache(disk, ocr=False)
        cache.set("h1", analysis)
        fresh = AnalysisCache(disk, ocr=False)
        hit = fresh.get("h1")
        assert hit is not None and hit.phash == analysis.phash
        assert AnalysisCache(disk, ocr=True).get("h1") is None  # another OCR mode, another key
        disk.set("images.analysis", fresh.key("bad"), b"not json")
        assert fresh.get("bad") is None  # a corrupt entry is a miss
        fresh.forget("h1")
        assert AnalysisCache(disk, ocr=False).get("h1") is None


def test_people_and_richness() -> None:
    assert has_people(["groom"], []) and has_people([], ["Portrait of a woman"])
    assert not has_people(["tabby", "Egyptian cat"], ["Chelsea the cat"])
    og = FoundImage("u", "og", alt="A long alt text here")
    inline = FoundImage("u", "img", alt="Short")
    assert richness(inline) > richness(og)
    assert richness(FoundImage("u", "img", alt="x", caption="longer caption")) > richness(inline)


def test_error_kinds() -> None:
    assert classify(UpstreamHTTPError("u", 503)) == "http-503"
    assert classify(Forbidden("robots.txt of x disallows fetching y")) == "robots"
    assert classify(Forbidden("refusing to fetch 10.0.0.1")) == "forbidden"
    assert classify(UpstreamError("redirect loop: x was already visited")) == "redirect-loop"
    assert classify(UpstreamError("too many redirects (more than 5) from x")) == "too-many-redirects"
    assert classify(UpstreamTimeout("slow")) == "timeout"
    assert classify(PayloadTooLarge("big")) == "too-large"
    assert classify(InvalidInput("corrupt image")) == "undecodable"
    assert classify(ValueError("?")) == "error"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"url": "gopher://x/"}, "scheme"),
        ({"url": "https://"}, "no host"),
        ({"url": "https://a.example/", "limit": 0}, "limit"),
        ({"url": "https://a.example/", "depth": 21}, "depth"),
        ({"url": "https://a.example/", "delay_s": -1}, "delay_s"),
        ({"url": "https://a.example/", "concurrency": True}, "concurrency"),
    ],
)
def test_crawl_options_validation(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises((InvalidInput, Forbidden), match=message):
        CrawlOptions(**kwargs).validate()


def test_options_round_trip_ignores_unknown_keys() -> None:
    opts = CrawlOptions(url="https://a.example/", limit=3, render=True)
    assert CrawlOptions.from_dict({**opts.to_dict(), "future_option": 1}) == opts


def test_crawl_limit_is_server_wide(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    registry = CrawlRegistry(runtime)
    registry.store.create("c-busy", "https://a.example/", {}, "cli-1")
    registry.store.update("c-busy", status="running")
    runtime.settings.images_max_crawls = 1
    with pytest.raises(RateLimited) as info:
        registry.check_capacity()
    assert info.value.status == 429
    registry.check_capacity(limit=2)
    registry.store.update("c-busy", status="done")
    registry.check_capacity()
