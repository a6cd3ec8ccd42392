"""The analysis pipeline end to end on a local fixture site: real fetcher, extractor, embedders, scorer."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from test_contextual_api_site import FixtureSite, share_home, warm_home

from adlens.config import Settings
from adlens.contextual.analyze import analyze_url
from adlens.contextual.document import TEXT_CAP, normalise_url
from adlens.errors import Forbidden, InvalidInput, UnsupportedMedia, UpstreamError
from adlens.runtime import Runtime


@pytest.fixture(scope="module")
def site() -> Iterator[FixtureSite]:
    s = FixtureSite()
    yield s
    s.close()


@pytest.fixture(scope="module")
def runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runtime]:
    home = warm_home(tmp_path_factory.mktemp("ctx-home"))
    rt = Runtime(Settings(home=home, allow_private_networks=True))
    yield rt
    rt.close()
    share_home(home)


def test_article_end_to_end_with_images_and_cache(runtime: Runtime, site: FixtureSite) -> None:
    result = analyze_url(runtime, site.url("/article.html"), top_k=5)
    top = result["categories"][0]
    assert top["path"][0] == "Sports", result["categories"]
    assert 0.0 < top["confidence"] <= 1.0
    doc = result["document"]
    assert doc["language"] == "en" and not doc["truncated"]
    assert doc["title"] == "Football final report"
    assert "Home team wins the football championship" in doc["headings"]
    assert "privacy" not in doc["text_excerpt"]  # boilerplate removed by trafilatura
    images = [img["url"] for img in doc["images"]]
    assert images == [site.url("/img/motorcycle.jpg")]  # the pixel and the logo are skipped
    assert doc["images"][0]["concepts"] and doc["images"][0]["area"] == 640 * 432
    assert result["segments"] and result["segments"][0] == top["id"]
    data = result["openrtb"]["site"]["content"]["data"]
    assert {d["ext"]["segtax"] for d in data} == {7, 9}
    assert result["prebid"]["ortb2"]["site"] == result["openrtb"]["site"]
    assert set(result["brand_safety"]) >= {"risk_level", "flags"}
    assert result["timings"]["total_ms"] > 0 and not result["cached"]
    fetched = site.hits["/article.html"]
    again = analyze_url(runtime, site.url("/article.html?utm_source=x#top"), top_k=5)
    assert again["cached"] and again["categories"] == result["categories"]
    assert site.hits["/article.html"] == fetched  # served from the cache, not fetched again


def test_other_language_is_low_confidence(runtime: Runtime, site: FixtureSite) -> None:
    result = analyze_url(runtime, site.url("/german.html"), top_k=3)
    assert result["document"]["language"] == "de"
    assert result["low_confidence"] is True
    assert any("MiniLM" in n and "'de'" in n for n in result["notes"])


def test_giant_page_text_is_capped_with_a_note(runtime: Runtime, site: FixtureSite) -> None:
    result = analyze_url(runtime, site.url("/giant.html"), top_k=3)
    assert result["document"]["truncated"] is True
    assert result["document"]["text_chars"] <= TEXT_CAP
    assert any("capped" in n for n in result["notes"])


def test_js_only_page_is_rendered(runtime: Runtime, site: FixtureSite) -> None:
    if not Path(runtime.settings.chromium_path).exists():
        pytest.skip("Chromium is not installed")
    result = analyze_url(runtime, site.url("/js-only.html"), top_k=3)
    assert result["document"]["rendered"] is True
    assert "veterinarian" in result["document"]["text_excerpt"] or result["document"]["text_chars"] > 100
    assert result["categories"][0]["path"][0] == "Pets", result["categories"][:3]


@pytest.mark.parametrize(
    ("path", "error"),
    [
        ("/data.json", UnsupportedMedia),
        ("/empty.html", InvalidInput),
        ("/missing.html", UpstreamError),
        ("/broken.html", UpstreamError),
    ],
)
def test_bad_pages_raise_clear_errors(runtime: Runtime, site: FixtureSite, path: str, error: type) -> None:
    with pytest.raises(error) as info:
        analyze_url(runtime, site.url(path))
    assert info.value.message


@pytest.mark.parametrize("url", ["not a url", "ftp://example.com/x", "http://", "", "javascript:alert(1)"])
def test_malformed_urls_are_invalid_input(runtime: Runtime, url: str) -> None:
    with pytest.raises(InvalidInput):
        analyze_url(runtime, url)


def test_private_addresses_are_forbidden_by_default(tmp_path: Path, site: FixtureSite) -> None:
    rt = Runtime(Settings(home=warm_home(tmp_path / "home"), allow_private_networks=False))
    try:
        with pytest.raises(Forbidden):
            analyze_url(rt, site.url("/article.html"))
    finally:
        rt.close()


def test_normalise_url() -> None:
    assert (
        normalise_url("HTTP://Example.COM:80/a/b?utm_source=x&b=2&a=1&fbclid=z&gclid=q#frag")
        == "http://example.com/a/b?a=1&b=2"
    )
    assert normalise_url("https://example.com") == "https://example.com/"
    assert normalise_url("https://example.com:8443/x?UTM_medium=1") == "https://example.com:8443/x"
