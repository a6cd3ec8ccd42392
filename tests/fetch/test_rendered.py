"""RenderedFetcher and the Fetcher facade in real headless Chromium against the local fixture server."""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from playwright.async_api import Error as PlaywrightError
from playwright.async_api import async_playwright

from adlens.errors import Forbidden, PayloadTooLarge, Unavailable
from adlens.fetch import Fetcher, RenderedFetcher, StaticFetcher, SyncFetcher, UpstreamHTTPError, UrlGuard
from adlens.fetch.rendered import CHROMIUM_ARGS, LIGHT_RESOURCE_TYPES

CHROMIUM = "/usr/bin/chromium"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian chromium is not installed"),
]


def loopback_fetcher(**rendered_kwargs: object) -> Fetcher:
    """A fetcher whose guard allows 127.0.0.1 only: 10.0.0.1, 127.0.0.2... stay forbidden."""
    static = StaticFetcher(guard=UrlGuard(allowed_networks=["127.0.0.1/32"]), timeout_s=10.0)
    return Fetcher(static, RenderedFetcher(static=static, chromium_path=CHROMIUM, **rendered_kwargs))  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def browser() -> Iterator[SyncFetcher]:
    """One Chromium for the module, driven through the blocking wrapper (its own event loop thread)."""
    with SyncFetcher(loopback_fetcher()) as sync:
        yield sync


def test_rendered_sees_js_inserted_and_lazy_images_static_does_not(server, browser: SyncFetcher) -> None:
    static = browser.fetch(server.url("/js-page"), render=False)
    rendered = browser.fetch(server.url("/js-page"), render=True)
    js_img, lazy_img = server.url("/img/js.png"), server.url("/img/lazy.png")
    assert not static.rendered and js_img not in static.image_urls() and lazy_img not in static.image_urls()
    assert rendered.rendered and rendered.status == 200
    assert js_img in rendered.image_urls() and lazy_img in rendered.image_urls()
    assert server.count("/img/lazy.png") >= 1  # scrolling really triggered the lazy load
    assert rendered.title == "JS images" and "Spring sale" in rendered.text


def test_every_subresource_goes_through_the_guard(server, browser: SyncFetcher) -> None:
    page = browser.fetch(server.url("/forbidden-sub"), render=True)
    assert "http://10.0.0.1/x.png" in page.blocked  # a literal private address: aborted, never connected
    assert server.url("/to-loopback2") in page.blocked  # redirect hop to 127.0.0.2: refused by us
    assert server.url("/img/ok.png") not in page.blocked and server.count("/img/ok.png") >= 1


def test_rendered_document_redirects_errors_and_robots(server, browser: SyncFetcher) -> None:
    page = browser.fetch(server.url("/redirect/1"), render=True)
    assert page.final_url == server.url("/utf8") and len(page.redirects) == 3 and page.rendered
    assert "Café crème" in page.text
    latin = browser.fetch(server.url("/latin1-meta"), render=True)  # re-served as UTF-8 to Chromium
    assert "Café crème déjà naïve façade" in latin.text
    with pytest.raises(UpstreamHTTPError) as info:
        browser.fetch(server.url("/status/404"), render=True)
    assert info.value.upstream_status == 404
    with pytest.raises(Forbidden, match="refusing"):
        browser.fetch(server.url("/to-private"), render=True)
    with pytest.raises(Forbidden, match=r"robots\.txt"):
        browser.fetch(server.url("/private/page"), render=True)


def test_cookies_set_by_the_document_reach_the_page(server, browser: SyncFetcher) -> None:
    page = browser.fetch(server.url("/cookies"), render=True)
    assert "cookies: a=1; b=2" in page.text
    assert "server saw cookie: a=1; b=2" in page.text  # sent back on the page's own requests


def test_auto_renders_only_js_only_pages(server, browser: SyncFetcher) -> None:
    spa = browser.fetch(server.url("/spa"), render="auto")
    assert spa.rendered and "Rendered headline" in spa.text
    assert server.url("/img/spa.png") in spa.image_urls()
    plain = browser.fetch(server.url("/js-page"), render="auto")  # has real text: static is enough
    assert not plain.rendered


def test_concurrent_renders_share_one_browser(server) -> None:
    async def go() -> list[bool]:
        async with loopback_fetcher(max_concurrency=2) as fetcher:
            pages = await asyncio.gather(
                *(
                    fetcher.fetch(server.url(p), render=True)
                    for p in ("/js-page", "/spa", "/utf8", "/forbidden-sub")
                )
            )
            return [p.rendered for p in pages]

    assert asyncio.run(go()) == [True] * 4


def test_uninterceptable_traffic_cannot_leave_chromium(server) -> None:
    """Defence in depth: without our routing, the launch flags send everything to a dead proxy."""

    async def go() -> str:
        pw = await async_playwright().start()
        try:
            b = await pw.chromium.launch(executable_path=CHROMIUM, args=list(CHROMIUM_ARGS))
            page = await b.new_page()
            try:
                await page.goto(server.url("/utf8?direct"), timeout=10_000)
                return "loaded"
            except PlaywrightError as exc:
                return str(exc)
            finally:
                await b.close()
        finally:
            await pw.stop()

    before = server.count("/utf8")
    assert "ERR_PROXY_CONNECTION_FAILED" in asyncio.run(go())
    assert server.count("/utf8") == before


def _chromium_pids() -> set[int]:
    """Chromium processes started (directly or through the Playwright driver) by this test process."""
    me = os.getpid()
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
                parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    found = set()
    for pid in parents:
        p, depth = pid, 0
        while p in parents and p not in (0, 1, me) and depth < 10:
            p, depth = parents[p], depth + 1
        if p == me and "chrom" in _cmdline(pid):
            found.add(pid)
    return found


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def test_close_leaves_no_chromium_processes(server) -> None:
    fetcher = loopback_fetcher()

    async def go() -> set[int]:
        others = _chromium_pids()  # e.g. the module's shared browser
        await fetcher.fetch(server.url("/js-page"), render=True)
        running = _chromium_pids() - others
        await fetcher.aclose()
        await asyncio.sleep(0.5)
        return running

    running = asyncio.run(go())
    assert running, "expected Chromium child processes while the browser was open"
    assert not [pid for pid in running if _alive(pid)]


def test_missing_chromium_is_unavailable_and_auto_falls_back(server) -> None:
    async def go() -> None:
        static = StaticFetcher(guard=UrlGuard(allowed_networks=["127.0.0.1/32"]))
        async with Fetcher(
            static, RenderedFetcher(static=static, chromium_path="/nonexistent/chromium")
        ) as f:
            with pytest.raises(Unavailable, match="Chromium"):
                await f.fetch(server.url("/spa"), render=True)
            page = await f.fetch(server.url("/spa"), render="auto")
            assert not page.rendered and page.title == "App"

    asyncio.run(go())


def test_rendered_dom_size_is_capped(server) -> None:
    async def go() -> None:
        async with loopback_fetcher(max_dom_chars=500) as fetcher:
            with pytest.raises(PayloadTooLarge, match="rendered DOM"):
                await fetcher.fetch(server.url("/js-page"), render=True)

    asyncio.run(go())


def test_images_skipped_on_request_stay_in_the_dom(server) -> None:
    async def go() -> list[str]:
        async with loopback_fetcher(blocked_resource_types=LIGHT_RESOURCE_TYPES) as fetcher:
            page = await fetcher.fetch(server.url("/spa"), render=True)
            return page.image_urls()

    before = server.count("/img/spa.png")
    assert server.url("/img/spa.png") in asyncio.run(go())  # inserted by JavaScript, never downloaded
    assert server.count("/img/spa.png") == before


_STATE_PAGE = b"""<!doctype html><html><body><p id="out">pending</p><script>
const seen = 'cookie=' + (document.cookie || '-') + ' storage=' + (localStorage.getItem('k') || '-');
document.cookie = 'visited=yes'; localStorage.setItem('k', 'set');
document.getElementById('out').textContent = seen;
</script></body></html>"""


@contextlib.contextmanager
def _state_site() -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            body = b"User-agent: *\nAllow: /\n" if self.path == "/robots.txt" else _STATE_PAGE
            self.send_response(200)
            self.send_header("Content-Type", "text/plain" if self.path == "/robots.txt" else "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(body)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_each_render_gets_a_fresh_context_from_the_warm_pool() -> None:
    """Pre-warmed contexts are single-use: cookies and storage set by one render never reach the next."""

    async def go(base: str) -> list[str]:
        async with loopback_fetcher(max_concurrency=2) as fetcher:
            first = [await fetcher.fetch(f"{base}/p{i}", render=True) for i in range(3)]
            more = await asyncio.gather(*(fetcher.fetch(f"{base}/q{i}", render=True) for i in range(3)))
            return [p.text for p in [*first, *more]]

    with _state_site() as base:
        texts = asyncio.run(go(base))
    assert texts == ["cookie=- storage=-"] * 6
