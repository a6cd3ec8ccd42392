"""robots.txt per origin, cached with a TTL (RFC 9309 via ``urllib.robotparser`` semantics).

- 2xx: the rules apply to our user agent (``robotparser`` matches its product token, e.g. ``adlens``).
- 4xx ("unavailable"): everything is allowed.
- 5xx, timeouts, connection errors ("unreachable"): everything is disallowed, re-checked sooner
  (``error_ttl_s``) than a successful answer.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser

from adlens.errors import AdlensError, Forbidden

# (url) -> (status, body text). Must follow redirects itself and raise AdlensError on network failure.
TextGetter = Callable[[str], Awaitable[tuple[int, str]]]


@dataclass
class _Entry:
    parser: RobotFileParser | None  # None: a blanket rule (see ``allow_all``)
    allow_all: bool
    expires: float
    reason: str = ""  # why everything is disallowed
    error: AdlensError | None = None  # robots.txt could not be fetched at all


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


class RobotsPolicy:
    """Answers "may ``user_agent`` fetch this URL?" from cached robots.txt files."""

    def __init__(
        self,
        get_text: TextGetter,
        *,
        user_agent: str,
        ttl_s: float = 3600.0,
        error_ttl_s: float = 300.0,
        max_origins: int = 1024,
    ) -> None:
        self._get_text = get_text
        self.user_agent = user_agent
        self.ttl_s = ttl_s
        self.error_ttl_s = error_ttl_s
        self.max_origins = max_origins
        self._cache: OrderedDict[str, _Entry] = OrderedDict()
        self._locks: dict[str, asyncio.Lock] = {}

    async def allowed(self, url: str) -> bool:
        """Whether ``url`` may be fetched; re-raises the error when robots.txt could not be fetched."""
        entry = await self._entry(origin_of(url))
        if entry.error is not None:
            raise entry.error
        if entry.parser is None:
            return entry.allow_all
        return entry.parser.can_fetch(self.user_agent, url)

    async def check(self, url: str) -> None:
        """Raise :class:`Forbidden` when robots.txt disallows ``url`` for our user agent.

        When robots.txt itself cannot be fetched (connection refused, timeout), that error is raised:
        the site is unreachable, and per RFC 9309 nothing is fetched.
        """
        if not await self.allowed(url):
            entry = self._cache.get(origin_of(url))
            reason = f" ({entry.reason})" if entry is not None and entry.reason else ""
            raise Forbidden(
                f"robots.txt of {origin_of(url)} disallows fetching {url}{reason}", detail={"url": url}
            )

    def clear(self) -> None:
        self._cache.clear()

    async def _entry(self, origin: str) -> _Entry:
        cached = self._cache.get(origin)
        if cached is not None and cached.expires > time.monotonic():
            self._cache.move_to_end(origin)
            return cached
        lock = self._locks.setdefault(origin, asyncio.Lock())
        async with lock:  # one robots.txt download per origin at a time
            cached = self._cache.get(origin)
            if cached is not None and cached.expires > time.monotonic():
                return cached
            entry = await self._load(origin)
            self._cache[origin] = entry
            self._cache.move_to_end(origin)
            while len(self._cache) > self.max_origins:
                old, _ = self._cache.popitem(last=False)
                self._locks.pop(old, None)
            return entry

    async def _load(self, origin: str) -> _Entry:
        now = time.monotonic()
        try:
            status, text = await self._get_text(f"{origin}/robots.txt")
        except Forbidden:
            raise
        except AdlensError as exc:
            return _Entry(None, False, now + self.error_ttl_s, error=exc)
        if 400 <= status < 500:
            return _Entry(None, True, now + self.ttl_s)
        if not 200 <= status < 300:
            reason = f"robots.txt answered HTTP {status}: treated as disallow-all per RFC 9309"
            return _Entry(None, False, now + self.error_ttl_s, reason=reason)
        parser = RobotFileParser()
        parser.parse(text.splitlines())
        return _Entry(parser, True, now + self.ttl_s)


__all__ = ["RobotsPolicy", "TextGetter", "origin_of"]
