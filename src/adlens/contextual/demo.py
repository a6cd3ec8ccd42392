"""Demo pages shipped with adlens (our own texts, CC0/public-domain/BSD sample images) and their seeding.

The adlens server serves them at ``/api/v1/contextual/demo-pages/<file>``. The contextual fetcher reads
such URLs on this server's own host (loopback or ``ADLENS_HOST``) straight from the package instead of
over the network, so the demo works without allowing private-network fetches. ``seed(runtime)``
analyses every page once, which fills the analysis and bid-time caches.
"""

from __future__ import annotations

import json
import logging
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from adlens.errors import AdlensError, NotFound

if TYPE_CHECKING:
    from adlens.config import Settings
    from adlens.runtime import Runtime

log = logging.getLogger(__name__)

DEMO_DIR = Path(__file__).parent / "data" / "demo_pages"
DEMO_PREFIX = "/api/v1/contextual/demo-pages/"
_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".jpg": "image/jpeg",
    ".json": "application/json",
    ".md": "text/markdown",
}
_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})

__all__ = ["DEMO_DIR", "DEMO_PREFIX", "demo_file", "demo_pages", "demo_url", "local_demo_file", "seed"]


@lru_cache(maxsize=1)
def demo_pages() -> list[dict[str, str]]:
    """``[{"name", "file", "title", "path"}]`` of the shipped demo pages."""
    entries = json.loads((DEMO_DIR / "index.json").read_text(encoding="utf-8"))
    return [{**e, "path": DEMO_PREFIX + e["file"]} for e in entries]


def demo_file(relative: str) -> tuple[bytes, str]:
    """The bytes and content type of one shipped demo file; ``NotFound`` for anything else."""
    path = (DEMO_DIR / relative).resolve()
    if DEMO_DIR.resolve() not in path.parents or path.suffix not in _TYPES or not path.is_file():
        raise NotFound(f"no demo file {relative!r}")
    return path.read_bytes(), _TYPES[path.suffix]


def local_demo_file(url: str, local_hosts: frozenset[str] = _LOOPBACK) -> str | None:
    """The demo file a URL names when it points at this server's demo pages, else ``None``."""
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
    except ValueError:
        return None
    if host not in local_hosts or not parts.path.startswith(DEMO_PREFIX):
        return None
    return parts.path[len(DEMO_PREFIX) :] or None


def demo_url(settings: Settings, page: dict[str, str]) -> str:
    host = settings.host if settings.host not in ("0.0.0.0", "::", "") else "127.0.0.1"
    return f"http://{host}:{settings.port}{page['path']}"


def seed(runtime: Runtime) -> dict[str, Any]:
    """Analyse every demo page (idempotent: cached results are reused) and fill the bid-time cache."""
    from adlens.contextual.analyze import analyze_url
    from adlens.contextual.context_cache import get_context_cache

    cache = get_context_cache(runtime)
    seeded, failed = [], []
    for page in demo_pages():
        url = demo_url(runtime.settings, page)
        try:
            result = analyze_url(runtime, url)
        except AdlensError as exc:
            log.warning("demo page %s: %s", url, exc.message)
            failed.append({"url": url, "error": exc.message})
            continue
        cache.put(result)
        top = (result.get("categories") or [{}])[0]
        seeded.append({"url": url, "top_category": top.get("name"), "confidence": top.get("confidence")})
    return {"pages": seeded, "failed": failed}
