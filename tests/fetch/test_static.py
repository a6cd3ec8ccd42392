"""StaticFetcher against the local fixture server: charsets, redirects, caps, timeouts, errors, robots."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

import pytest
from fetch_site import CP1252_TEXT, FRENCH, PNG

from adlens.errors import Forbidden, PayloadTooLarge, UnsupportedMedia, UpstreamError, UpstreamTimeout
from adlens.fetch import StaticFetcher, UpstreamHTTPError, UrlGuard

T = TypeVar("T")
LOOPBACK_ONLY = UrlGuard(allowed_networks=["127.0.0.1/32"])


def run(fetcher: StaticFetcher, coro: Coroutine[Any, Any, T]) -> T:
    async def go() -> T:
        try:
            return await coro
        finally:
            await fetcher.aclose()

    return asyncio.run(go())


def make(**kwargs: Any) -> StaticFetcher:
    kwargs.setdefault("guard", LOOPBACK_ONLY)
    kwargs.setdefault("timeout_s", 5.0)
    return StaticFetcher(**kwargs)


def test_utf8_page(server) -> None:
    f = make()
    page = run(f, f.fetch(server.url("/utf8")))
    assert page.status == 200 and page.encoding == "utf-8" and not page.rendered
    assert page.text == FRENCH
    assert page.final_url == page.url == server.url("/utf8")
    assert page.headers["content-type"].startswith("text/html")


@pytest.mark.parametrize("path", ["/latin1-header", "/latin1-meta"])
def test_latin1_declared_in_header_or_meta(server, path: str) -> None:
    f = make()
    page = run(f, f.fetch(server.url(path)))
    assert page.encoding == "cp1252"  # WHATWG: the iso-8859-1 label means windows-1252
    assert page.text == "Café crème déjà naïve façade"


def test_undeclared_cp1252_is_detected(server) -> None:
    f = make()
    page = run(f, f.fetch(server.url("/cp1252")))
    assert page.text == CP1252_TEXT
    assert "\ufffd" not in page.html


def test_redirect_chain_is_followed_and_recorded(server) -> None:
    f = make()
    page = run(f, f.fetch(server.url("/redirect/1")))
    assert page.final_url == server.url("/utf8")
    assert page.redirects == tuple(server.url(p) for p in ("/redirect/1", "/redirect/2", "/redirect/3"))
    assert page.text == FRENCH


def test_too_many_redirects(server) -> None:
    f = make(max_redirects=2)
    with pytest.raises(UpstreamError, match="too many redirects"):
        run(f, f.fetch(server.url("/redirect/1")))


def test_redirect_loop(server) -> None:
    f = make()
    with pytest.raises(UpstreamError, match="redirect loop"):
        run(f, f.fetch(server.url("/loop/a")))


@pytest.mark.parametrize(
    ("path", "guard"),
    [
        ("/to-private", LOOPBACK_ONLY),
        ("/to-metadata", LOOPBACK_ONLY),
        ("/to-metadata", UrlGuard(allow_private_networks=True)),  # metadata stays refused
        ("/to-loopback2", LOOPBACK_ONLY),
    ],
)
def test_redirect_to_forbidden_address_is_refused_before_connecting(
    server, path: str, guard: UrlGuard
) -> None:
    f = make(guard=guard)
    with pytest.raises(Forbidden, match="refusing to fetch"):
        run(f, f.fetch(server.url(path)))


def test_loopback_refused_by_default_policy(server) -> None:
    before = len(server.hits)
    f = make(guard=UrlGuard())
    with pytest.raises(Forbidden):
        run(f, f.fetch(server.url("/utf8")))
    with pytest.raises(Forbidden):
        run(f, f.fetch(f"http://localhost:{server.port}/utf8"))
    assert len(server.hits) == before


@pytest.mark.parametrize("path", ["/huge-cl", "/huge-stream"])
def test_body_over_cap(server, path: str) -> None:
    f = make(max_bytes=64 * 1024)
    with pytest.raises(PayloadTooLarge, match="limit"):
        run(f, f.fetch(server.url(path)))


def test_body_under_cap_is_read_whole(server) -> None:
    f = make(max_bytes=4 * 1024 * 1024)
    page = run(f, f.fetch(server.url("/huge-stream")))
    assert len(page.html) == 2 * 1024 * 1024


def test_slow_endpoint_times_out(server) -> None:
    f = make(timeout_s=0.5)
    with pytest.raises(UpstreamTimeout):
        run(f, f.fetch(server.url("/slow")))
    f = make(timeout_s=5.0, read_timeout_s=0.3)
    with pytest.raises(UpstreamTimeout):
        run(f, f.fetch(server.url("/slow")))


@pytest.mark.parametrize("status", [404, 500])
def test_http_errors_carry_the_status(server, status: int) -> None:
    f = make()
    with pytest.raises(UpstreamHTTPError, match=str(status)) as info:
        run(f, f.fetch(server.url(f"/status/{status}")))
    assert info.value.upstream_status == status
    assert info.value.detail["upstream_status"] == status
    assert isinstance(info.value, UpstreamError) and info.value.status == 502


def test_unreachable_port_is_upstream_error(server) -> None:
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    f = make()  # robots.txt is fetched first: its connection error is what the caller sees
    with pytest.raises(UpstreamError, match="cannot fetch"):
        run(f, f.fetch(f"http://127.0.0.1:{port}/"))
    f = make(respect_robots=False)
    with pytest.raises(UpstreamError, match="ConnectError"):
        run(f, f.fetch(f"http://127.0.0.1:{port}/"))


def test_robots_disallow(server) -> None:
    before = server.count("/private/page")
    f = make()
    with pytest.raises(Forbidden, match=r"robots\.txt"):
        run(f, f.fetch(server.url("/private/page")))
    assert server.count("/private/page") == before
    f = make(respect_robots=False)
    page = run(f, f.fetch(server.url("/private/page")))
    assert page.text == "secret"


def test_robots_5xx_disallows_everything_4xx_allows(server_robots_503, server_robots_404) -> None:
    f = make()
    with pytest.raises(Forbidden, match="HTTP 503"):
        run(f, f.fetch(server_robots_503.url("/utf8")))
    assert server_robots_503.count("/utf8") == 0
    f = make()
    page = run(f, f.fetch(server_robots_404.url("/private/page")))
    assert page.text == "secret"


def test_robots_is_cached_per_origin(server) -> None:
    f = make()

    async def twice() -> None:
        await f.fetch(server.url("/utf8"))
        await f.fetch(server.url("/latin1-header"))

    before = server.count("/robots.txt")
    run(f, twice())
    assert server.count("/robots.txt") == before + 1


def test_fetch_resource_image(server) -> None:
    f = make()
    res = run(f, f.fetch_resource(server.url("/image.png")))
    assert res.data == PNG and res.content_type == "image/png" and res.status == 200
    f = make()
    res = run(f, f.fetch_resource(server.url("/image-untyped")))
    assert res.content_type == "image/png"  # sniffed from the bytes


def test_fetch_resource_rejects_wrong_type_and_size(server) -> None:
    f = make()
    with pytest.raises(UnsupportedMedia, match="text/html"):
        run(f, f.fetch_resource(server.url("/utf8")))
    f = make()
    with pytest.raises(PayloadTooLarge):
        run(f, f.fetch_resource(server.url("/image.png"), max_bytes=10))


def test_fetch_page_rejects_an_image(server) -> None:
    f = make()
    with pytest.raises(UnsupportedMedia, match="image/png"):
        run(f, f.fetch(server.url("/image.png")))
