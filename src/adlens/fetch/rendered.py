"""Rendered fetching: headless Chromium (Debian package) through Playwright's async API.

One browser is launched lazily and reused; every page gets a fresh context (no shared cookies or
cache), closed afterwards. Contexts are created ahead of time and closed in the background
(:mod:`adlens.fetch.render_pool`), so neither sits on a render's critical path. Concurrency is bounded
by a semaphore (``max_concurrency`` pages at once).

Settling: from ``DOMContentLoaded`` on (overlapping the subresource downloads) the page is scrolled in
viewport steps (two animation frames plus ``scroll_pause_s`` each, for lazy loaders); after ``load`` it
is scrolled on if it grew, then we wait until no routed request has been in flight for
``idle_quiet_s`` (bounded by ``idle_timeout_s``). We see every request Chromium makes, so this replaces
Playwright's ``networkidle`` (a fixed 500 ms of silence).

SSRF: **Chromium never touches the network itself.** Every request the page makes — the document,
subresources, XHR/fetch, iframes — is intercepted with ``context.route`` and performed by our guarded
:class:`StaticFetcher` (SSRF check on every redirect hop, connection to the vetted address, timeouts,
byte caps), then handed to Chromium with ``route.fulfill``. Redirects are followed by us, never by
Chromium (Playwright does not route redirect hops). Refused requests are aborted and listed in
``Page.blocked``. As defence in depth Chromium is launched with a dead proxy (127.0.0.1:9, loopback
included), so anything that escaped interception fails instead of leaving the machine; service workers
and WebSockets are refused; media and fonts are not downloaded; each page has a byte budget. Pass
``blocked_resource_types=LIGHT_RESOURCE_TYPES`` to skip images as well when only the DOM matters (the
image URLs stay in the DOM).

Known limit: a redirected subresource is served to Chromium under its original URL.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field, replace
from typing import Any

from playwright.async_api import Browser, Playwright, Request, Route, WebSocketRoute, async_playwright
from playwright.async_api import Error as PlaywrightError
from playwright.async_api import TimeoutError as PlaywrightTimeout

from adlens.errors import (
    AdlensError,
    Forbidden,
    InvalidInput,
    PayloadTooLarge,
    Unavailable,
    UpstreamError,
    UpstreamTimeout,
)
from adlens.fetch.guard import UrlGuard
from adlens.fetch.render_pool import ContextPool, Lease
from adlens.fetch.static import DEFAULT_USER_AGENT, StaticFetcher
from adlens.fetch.types import Page

CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--dns-prefetch-disable",
    "--proxy-server=http://127.0.0.1:9",  # nothing un-intercepted may reach the network
    "--proxy-bypass-list=<-loopback>",
    "--force-webrtc-ip-handling-policy=disable_non_proxied_udp",
)
BLOCKED_RESOURCE_TYPES = frozenset({"media", "font", "websocket", "manifest", "texttrack", "eventsource"})
LIGHT_RESOURCE_TYPES = BLOCKED_RESOURCE_TYPES | {"image"}
"""Also skip images: for callers that only need the DOM (image URLs are still in it)."""
_DROPPED_RESPONSE_HEADERS = frozenset(
    {"content-encoding", "content-length", "transfer-encoding", "connection"}
)

_SCROLL_JS = """async ({steps, pause}) => {
  const height = () => Math.max(document.documentElement.scrollHeight, document.body ? document.body.scrollHeight : 0);
  const frames = () => Promise.race([
    new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))),
    new Promise((resolve) => setTimeout(resolve, 100)),
  ]);
  let done = 0;
  for (let i = 0; i < steps; i++) {
    if (window.scrollY + window.innerHeight >= height()) break;
    window.scrollBy(0, window.innerHeight);
    done++;
    await frames();  // layout + IntersectionObserver callbacks run
    if (pause > 0) await new Promise((resolve) => setTimeout(resolve, pause));
  }
  return done;
}"""
_SNAPSHOT_JS = """(limit) => {
  const root = document.documentElement;
  if (!root) return [0, ""];
  const html = root.outerHTML;
  if (html.length > limit) return [html.length, null];
  const doctype = document.doctype ? new XMLSerializer().serializeToString(document.doctype) : "";
  return [html.length, doctype + html];
}"""


@dataclass
class _PageState:
    document: Page
    served_document: bool = False
    bytes_used: int = 0
    blocked: list[str] = field(default_factory=list)
    in_flight: int = 0
    last_activity: float = field(default_factory=time.monotonic)

    def begin(self) -> None:
        self.in_flight += 1
        self.last_activity = time.monotonic()

    def end(self) -> None:
        self.in_flight -= 1
        self.last_activity = time.monotonic()


class RenderedFetcher:
    """Fetch pages with JavaScript executed and lazy content scrolled into view.

    ``static`` performs every network request (it carries the SSRF guard, robots policy, timeouts and
    per-resource byte cap); one is created from ``guard``/``user_agent`` when omitted.
    """

    def __init__(
        self,
        *,
        static: StaticFetcher | None = None,
        guard: UrlGuard | None = None,
        user_agent: str = DEFAULT_USER_AGENT,
        respect_robots: bool = True,
        chromium_path: str = "/usr/bin/chromium",
        timeout_s: float = 30.0,
        navigation_timeout_s: float = 15.0,
        idle_timeout_s: float = 3.0,
        idle_quiet_s: float = 0.3,
        max_concurrency: int = 2,
        max_dom_chars: int = 10 * 1024 * 1024,
        max_page_bytes: int = 50 * 1024 * 1024,
        scroll_steps: int = 12,
        scroll_pause_s: float = 0.02,
        viewport: tuple[int, int] = (1280, 800),
        blocked_resource_types: frozenset[str] = BLOCKED_RESOURCE_TYPES,
    ) -> None:
        if max_concurrency < 1:
            raise InvalidInput("max_concurrency must be at least 1")
        self._owns_static = static is None
        self.static = static or StaticFetcher(
            guard=guard or UrlGuard(), user_agent=user_agent, respect_robots=respect_robots
        )
        self.guard = self.static.guard
        self.user_agent = self.static.user_agent
        self.chromium_path = chromium_path
        self.timeout_s = timeout_s
        self.navigation_timeout_s = navigation_timeout_s
        self.idle_timeout_s = idle_timeout_s
        self.idle_quiet_s = idle_quiet_s
        self.max_concurrency = max_concurrency
        self.max_dom_chars = max_dom_chars
        self.max_page_bytes = max_page_bytes
        self.scroll_steps = scroll_steps
        self.scroll_pause_s = scroll_pause_s
        self.viewport = viewport
        self.blocked_resource_types = blocked_resource_types
        self._playwright: Playwright | None = None
        self._browser: Browser | None = None
        self._pool: ContextPool | None = None
        self._lock: asyncio.Lock | None = None
        self._slots: asyncio.Semaphore | None = None

    async def fetch(self, url: str) -> Page:
        """Fetch ``url`` (guarded, robots-checked) and render it: ``Page(rendered=True)``."""
        return await self.render(await self.static.fetch(url))

    async def render(self, document: Page) -> Page:
        """Render an already fetched static ``document`` (saves downloading it twice)."""
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.max_concurrency)
        async with self._slots:
            pool = await self._ensure_pool()
            started = time.monotonic()
            try:
                async with asyncio.timeout(self.timeout_s):
                    page = await self._render(pool, document)
            except TimeoutError:
                raise UpstreamTimeout(
                    f"rendering {document.url} took longer than {self.timeout_s:g} s"
                ) from None
            return replace(page, elapsed_s=document.elapsed_s + time.monotonic() - started)

    async def close(self) -> None:
        """Close the browser and the Playwright driver (no Chromium process stays behind)."""
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            await self._shutdown()
        if self._owns_static:
            await self.static.aclose()

    aclose = close

    async def _ensure_pool(self) -> ContextPool:
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if self._pool is not None and self._browser is not None and self._browser.is_connected():
                return self._pool
            await self._shutdown()
            try:
                self._playwright = await async_playwright().start()
                self._browser = await self._playwright.chromium.launch(
                    executable_path=self.chromium_path, headless=True, args=list(CHROMIUM_ARGS)
                )
            except (PlaywrightError, OSError) as exc:
                await self._shutdown()
                first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                raise Unavailable(f"cannot start Chromium at {self.chromium_path}: {first_line}") from None
            browser = self._browser
            self._pool = ContextPool(lambda: self._new_lease(browser), spares=self.max_concurrency)
            return self._pool

    async def _shutdown(self) -> None:
        browser, playwright, pool = self._browser, self._playwright, self._pool
        self._browser = self._playwright = self._pool = None
        if pool is not None:
            await pool.aclose()
        if browser is not None:
            with contextlib.suppress(PlaywrightError):
                await browser.close()
        if playwright is not None:
            with contextlib.suppress(PlaywrightError):
                await playwright.stop()

    async def _new_lease(self, browser: Browser) -> Lease:
        """A fresh context with routing installed and a blank tab (requests aborted until claimed)."""
        width, height = self.viewport
        context = await browser.new_context(
            user_agent=self.user_agent,
            service_workers="block",
            accept_downloads=False,
            viewport={"width": width, "height": height},
        )
        try:
            lease = Lease(context, None)  # type: ignore[arg-type]
            await context.route("**/*", self._route_handler(lease))
            await context.route_web_socket("**/*", _refuse_websocket)
            lease.tab = await context.new_page()
        except BaseException:
            with contextlib.suppress(PlaywrightError):
                await context.close()
            raise
        return lease

    async def _render(self, pool: ContextPool, document: Page) -> Page:
        state = _PageState(document, bytes_used=len(document.html))
        try:
            lease = await pool.acquire()
        except PlaywrightError as exc:
            raise UpstreamError(f"cannot open a browser tab for {document.url}: {_first_line(exc)}") from None
        lease.state = state
        tab = lease.tab
        try:
            await self._load_and_settle(tab, state)
            try:
                size, html = await tab.evaluate(_SNAPSHOT_JS, self.max_dom_chars)
            except PlaywrightError as exc:
                raise UpstreamError(f"cannot read the DOM of {document.url}: {_first_line(exc)}") from None
            if html is None:
                raise PayloadTooLarge(
                    f"rendered DOM of {document.url} has {size} characters, limit {self.max_dom_chars}"
                )
            return replace(
                document,
                html=html,
                encoding="utf-8",
                rendered=True,
                blocked=tuple(state.blocked),
            )
        finally:
            pool.release(lease)

    async def _load_and_settle(self, tab: Any, state: _PageState) -> None:
        """Navigate; scroll for lazy content while subresources load; wait for ``load``, then quiet.

        Scrolling starts at ``DOMContentLoaded`` so it overlaps the subresource downloads; after
        ``load`` a second pass continues if the page grew meanwhile (same step budget in total).
        """
        url = state.document.url
        deadline = time.monotonic() + self.navigation_timeout_s
        try:
            await tab.goto(
                state.document.final_url,
                wait_until="domcontentloaded",
                timeout=self.navigation_timeout_s * 1000,
            )
            steps = await self._scroll(tab, self.scroll_steps)
            await tab.wait_for_load_state("load", timeout=max(0.001, deadline - time.monotonic()) * 1000)
            state.last_activity = time.monotonic()  # handlers of the load event may still start requests
            await self._scroll(tab, self.scroll_steps - steps)
        except PlaywrightTimeout:
            raise UpstreamTimeout(f"loading {url} took longer than {self.navigation_timeout_s:g} s") from None
        except PlaywrightError as exc:
            raise UpstreamError(f"cannot render {url}: {_first_line(exc)}") from None
        idle_deadline = time.monotonic() + self.idle_timeout_s
        while time.monotonic() < idle_deadline:  # a page that never goes idle (polling, ads) still renders
            quiet_for = time.monotonic() - state.last_activity
            if state.in_flight == 0 and quiet_for >= self.idle_quiet_s:
                return
            await asyncio.sleep(max(0.01, min(0.05, self.idle_quiet_s - quiet_for)))

    async def _scroll(self, tab: Any, steps: int) -> int:
        """Scroll down by viewports (at most ``steps``); the number of steps taken."""
        if steps <= 0:
            return 0
        done = await tab.evaluate(_SCROLL_JS, {"steps": steps, "pause": int(self.scroll_pause_s * 1000)})
        return int(done or 0)

    def _route_handler(self, lease: Lease) -> Any:
        static, blocked_types = self.static, self.blocked_resource_types

        async def handle(route: Route, request: Request) -> None:
            state: _PageState | None = lease.state
            if state is None:  # a warm spare nobody claimed yet, or a released context
                with contextlib.suppress(PlaywrightError):
                    await route.abort("blockedbyclient")
                return
            state.begin()
            try:
                if not state.served_document and _is_main_navigation(request):
                    state.served_document = True
                    await route.fulfill(
                        status=state.document.status,
                        headers=_document_headers(state.document),
                        body=state.document.html.encode("utf-8"),
                    )
                    return
                if request.resource_type in blocked_types or state.bytes_used >= self.max_page_bytes:
                    await route.abort("blockedbyclient")
                    return
                try:
                    raw = await static.request(
                        request.url,
                        method=request.method,
                        headers=request.headers,
                        content=request.post_data_buffer,
                    )
                except Forbidden:
                    state.blocked.append(request.url)
                    await route.abort("blockedbyclient")
                    return
                except AdlensError:
                    await route.abort("failed")
                    return
                state.bytes_used += len(raw.body)
                headers = {k: v for k, v in raw.headers.items() if k.lower() not in _DROPPED_RESPONSE_HEADERS}
                await route.fulfill(status=raw.status, headers=headers, body=raw.body)
            except PlaywrightError:
                pass  # the page or context went away meanwhile
            finally:
                state.end()

        return handle


def _is_main_navigation(request: Request) -> bool:
    try:
        return request.is_navigation_request() and request.frame.parent_frame is None
    except PlaywrightError:
        return False  # e.g. service worker requests have no frame


def _document_headers(document: Page) -> dict[str, str]:
    headers = {k: v for k, v in document.headers.items() if k.lower() not in _DROPPED_RESPONSE_HEADERS}
    headers.pop("content-type", None)
    headers["content-type"] = f"{document.content_type}; charset=utf-8"  # html is already decoded
    return headers


async def _refuse_websocket(ws: WebSocketRoute) -> None:
    with contextlib.suppress(PlaywrightError):
        await ws.close(code=1008, reason="WebSockets are not allowed while rendering")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


__all__ = ["BLOCKED_RESOURCE_TYPES", "CHROMIUM_ARGS", "LIGHT_RESOURCE_TYPES", "RenderedFetcher"]
