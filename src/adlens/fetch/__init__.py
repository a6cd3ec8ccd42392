"""The ``fetch`` seam: URL → :class:`Page` (static httpx or rendered Chromium) and URL → :class:`Resource`.

Every connection is vetted by the SSRF :class:`UrlGuard`; robots.txt is honoured when asked.

    async with Fetcher.from_settings(settings) as fetcher:
        page = await fetcher.fetch("https://example.com/", render="auto")
        image = await fetcher.fetch_resource(page.image_urls()[0])
"""

from adlens.fetch.charset import decode_html
from adlens.fetch.fetcher import Fetcher, RenderMode, needs_rendering
from adlens.fetch.guard import Target, UrlGuard, is_public_address
from adlens.fetch.rendered import RenderedFetcher
from adlens.fetch.robots import RobotsPolicy
from adlens.fetch.static import RawResponse, StaticFetcher, sniff_type
from adlens.fetch.sync import SyncFetcher
from adlens.fetch.transport import GuardedNetworkBackend, GuardedTransport
from adlens.fetch.types import Page, Resource, UpstreamHTTPError

__all__ = [
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
]
