"""Public API, charset decoding, the auto-render heuristic, settings wiring and the blocking wrapper."""

from __future__ import annotations

import codecs

import pytest

import adlens.fetch
from adlens.config import Settings
from adlens.errors import Forbidden, InvalidInput
from adlens.fetch import Fetcher, Page, SyncFetcher, decode_html, needs_rendering

PUBLIC_API = {
    "Fetcher",
    "GuardedNetworkBackend",
    "GuardedTransport",
    "Page",
    "RawResponse",
    "RenderMode",
    "RenderedFetcher",
    "Resource",
    "RobotsPolicy",
    "StaticFetcher",
    "SyncFetcher",
    "Target",
    "UpstreamHTTPError",
    "UrlGuard",
    "decode_html",
    "is_public_address",
    "needs_rendering",
    "sniff_type",
}


def test_public_api_is_exactly_all() -> None:
    assert set(adlens.fetch.__all__) == PUBLIC_API
    for name in PUBLIC_API:
        assert hasattr(adlens.fetch, name)


@pytest.mark.parametrize(
    ("body", "content_type", "text", "encoding"),
    [
        (codecs.BOM_UTF8 + "é".encode(), "text/html; charset=iso-8859-1", "é", "utf-8"),  # BOM wins
        (codecs.BOM_UTF16_LE + "é".encode("utf-16-le"), None, "é", "utf-16-le"),
        ('<meta charset="windows-1251"><p>Привет</p>'.encode("cp1251"), "text/html", "Привет", "cp1251"),
        ("<p>ü</p>".encode("latin-1"), 'text/html; charset="ISO-8859-1"', "ü", "cp1252"),
        ("<p>日本語</p>".encode(), "text/html", "日本語", "utf-8"),  # undeclared, valid UTF-8
        (b"<p>\x80 x</p>", "text/html; charset=bogus-label", "€ x", None),  # unknown label ignored
    ],
)
def test_decode_html(body: bytes, content_type: str | None, text: str, encoding: str | None) -> None:
    decoded, used = decode_html(body, content_type)
    assert text in decoded
    if encoding is not None:
        assert used == encoding


def _page(html: str) -> Page:
    return Page(
        url="http://x/",
        final_url="http://x/",
        status=200,
        content_type="text/html",
        encoding="utf-8",
        html=html,
    )


LONG = "Real article text about running shoes and their cushioning. " * 10


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ('<div id="root"></div><script src="/app.js"></script>', True),  # empty SPA shell
        ("<p>tiny</p><script>x()</script>", True),  # almost no text, has scripts
        ("<p>tiny</p>", False),  # no scripts: rendering cannot add anything
        (f"<p>{LONG}</p><script>x()</script>", False),  # real content
        (f'<div id="__next"></div><p>{LONG[:400]}</p><script></script>', True),  # empty mount point
        (f"<noscript>Please enable JavaScript.</noscript><p>{LONG[:400]}</p><script></script>", True),
        (f"<p>{LONG * 3}</p><div id='app'></div><script></script>", False),  # lots of text wins
    ],
)
def test_needs_rendering(html: str, expected: bool) -> None:
    assert needs_rendering(_page(f"<html><body>{html}</body></html>")) is expected


def test_page_text_and_images() -> None:
    page = _page(
        "<html><head><title> T </title><style>p{}</style></head><body><p>Hello <b>world</b></p>"
        "<script>var x = 'hidden';</script><img src='/a.png'><img data-src='b.png'><img src='data:x'>"
        "<img src='/a.png'></body></html>"
    )
    assert page.text == "Hello world" and page.title == "T"
    assert page.image_urls() == ["http://x/a.png", "http://x/b.png"]
    assert page.to_dict()["title"] == "T"


def test_from_settings_wires_the_guard_and_limits(server) -> None:
    strict = Fetcher.from_settings(Settings(allow_private_networks=False), rendering=False)
    assert strict.rendered is None and strict.static.robots is not None
    with SyncFetcher(strict) as sync, pytest.raises(Forbidden):
        sync.fetch(server.url("/utf8"))

    settings = Settings(
        allow_private_networks=True, respect_robots=False, fetch_max_redirects=7, user_agent="test-agent/1"
    )
    fetcher = Fetcher.from_settings(settings)
    assert fetcher.static.max_redirects == 7 and fetcher.static.robots is None
    assert fetcher.rendered is not None and fetcher.rendered.static is fetcher.static
    with SyncFetcher(fetcher) as sync:
        page = sync.fetch(server.url("/private/page"), render=False)  # robots not respected
        assert page.text == "secret"
        assert sync.fetch_resource(server.url("/image.png")).content_type == "image/png"
        with pytest.raises(InvalidInput, match="render"):
            sync.fetch(server.url("/utf8"), render="sometimes")  # type: ignore[arg-type]
    with pytest.raises(RuntimeError, match="closed"):
        sync.fetch(server.url("/utf8"))
