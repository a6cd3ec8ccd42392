"""The ``Fetcher`` facade: static first, Chromium only when asked or when the page needs it.

``render="auto"`` fetches statically and renders only when :func:`needs_rendering` says the static HTML
looks empty or JavaScript-only. The heuristic (any one suffices, and the page must have ``<script>``):

1. less than ``min_text_chars`` (200) characters of visible text;
2. an empty single-page-app mount point (``#root``, ``#app``, ``#__next``, ``#__nuxt``, ``app-root``,
   ``[data-reactroot]``, ``#svelte``) with less than 1000 characters of visible text elsewhere;
3. a ``<noscript>`` asking to enable JavaScript, with less than 1000 characters of visible text.

If rendering then fails (no Chromium, a crash, a timeout), the static page is returned rather than an
error: it is a valid, if poorer, answer.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Literal

from adlens.errors import AdlensError, InvalidInput, Unavailable
from adlens.fetch.guard import UrlGuard
from adlens.fetch.rendered import RenderedFetcher
from adlens.fetch.static import IMAGE_TYPES, StaticFetcher
from adlens.fetch.types import Page, Resource

if TYPE_CHECKING:
    from adlens.config import Settings

RenderMode = bool | Literal["auto"]
log = logging.getLogger(__name__)

_MOUNT_POINTS = "#root, #app, #__next, #__nuxt, app-root, [data-reactroot], #svelte"
_NOSCRIPT_HINTS = ("enable javascript", "javascript is required", "requires javascript", "turn on javascript")


def needs_rendering(page: Page, *, min_text_chars: int = 200) -> bool:
    """Whether a statically fetched page looks empty or JavaScript-only (see the module docstring)."""
    dom = page.dom
    if dom.css_first("script") is None:
        return False
    text_len = len(page.text)
    if text_len < min_text_chars:
        return True
    if text_len < 1000:
        for mount in dom.css(_MOUNT_POINTS):
            if not mount.text(strip=True) and not list(mount.iter()):
                return True
        for node in dom.css("noscript"):
            content = (node.text() or "").lower()
            if any(hint in content for hint in _NOSCRIPT_HINTS):
                return True
    return False


class Fetcher:
    """One entry point for pages and resources; owns a :class:`StaticFetcher` and a :class:`RenderedFetcher`."""

    def __init__(
        self,
        static: StaticFetcher | None = None,
        rendered: RenderedFetcher | None = None,
        *,
        default_render: RenderMode = "auto",
    ) -> None:
        self.static = static or StaticFetcher()
        self.rendered = rendered
        self.default_render = default_render

    @classmethod
    def from_settings(cls, settings: Settings | None = None, *, rendering: bool = True) -> Fetcher:
        """Build from :class:`adlens.config.Settings` (the process settings when omitted)."""
        if settings is None:
            from adlens.config import get_settings

            settings = get_settings()
        guard = UrlGuard(allow_private_networks=settings.allow_private_networks)
        static = StaticFetcher(
            guard=guard,
            user_agent=settings.user_agent,
            timeout_s=settings.fetch_timeout_s,
            max_bytes=settings.fetch_max_bytes,
            max_redirects=settings.fetch_max_redirects,
            respect_robots=settings.respect_robots,
        )
        rendered = None
        if rendering:
            rendered = RenderedFetcher(
                static=static,
                chromium_path=settings.chromium_path,
                timeout_s=2 * settings.fetch_timeout_s,
                navigation_timeout_s=settings.fetch_timeout_s,
                max_dom_chars=settings.fetch_max_bytes,
            )
        return cls(static, rendered)

    async def fetch(self, url: str, *, render: RenderMode | None = None) -> Page:
        """Fetch a page: ``render=False`` static only, ``True`` Chromium, ``"auto"`` static then render if needed."""
        mode = self.default_render if render is None else render
        if mode is True:
            return await self._render(url)
        if mode not in (False, "auto"):
            raise InvalidInput(f"render must be True, False or 'auto', not {mode!r}")
        page = await self.static.fetch(url)
        if mode == "auto" and self.rendered is not None and needs_rendering(page):
            try:
                return await self.rendered.render(page)
            except AdlensError as exc:
                log.warning("rendering %s failed, keeping the static page: %s", url, exc.message)
        return page

    async def fetch_resource(
        self, url: str, *, max_bytes: int | None = None, accept: tuple[str, ...] = IMAGE_TYPES
    ) -> Resource:
        """Download a binary resource (images by default); see :meth:`StaticFetcher.fetch_resource`."""
        return await self.static.fetch_resource(url, max_bytes=max_bytes, accept=accept)

    async def _render(self, url: str) -> Page:
        if self.rendered is None:
            raise Unavailable("rendering is not configured for this fetcher")
        return await self.rendered.fetch(url)

    async def aclose(self) -> None:
        """Close the HTTP client and shut Chromium down."""
        try:
            await self.static.aclose()
        finally:
            if self.rendered is not None:
                await self.rendered.close()

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


__all__ = ["Fetcher", "RenderMode", "needs_rendering"]
