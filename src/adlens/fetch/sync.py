"""A blocking wrapper around :class:`Fetcher` for the CLI and worker threads.

It owns a private event loop running in a daemon thread, so it works from any thread — including one
that already runs an event loop — and all Playwright objects stay on that one loop.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

from adlens.fetch.fetcher import Fetcher, RenderMode
from adlens.fetch.static import IMAGE_TYPES
from adlens.fetch.types import Page, Resource

T = TypeVar("T")


class SyncFetcher:
    """``SyncFetcher(fetcher).fetch(url)``: the :class:`Fetcher` API, blocking. Close it when done."""

    def __init__(self, fetcher: Fetcher | None = None) -> None:
        self.fetcher = fetcher or Fetcher()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="adlens-fetch", daemon=True)
        self._thread.start()
        self._closed = False

    @classmethod
    def from_settings(cls, settings: Any = None, *, rendering: bool = True) -> SyncFetcher:
        return cls(Fetcher.from_settings(settings, rendering=rendering))

    def _run(self, coro: Coroutine[Any, Any, T]) -> T:
        if self._closed:
            coro.close()
            raise RuntimeError("SyncFetcher is closed")
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result()

    def fetch(self, url: str, *, render: RenderMode | None = None) -> Page:
        return self._run(self.fetcher.fetch(url, render=render))

    def fetch_resource(
        self, url: str, *, max_bytes: int | None = None, accept: tuple[str, ...] = IMAGE_TYPES
    ) -> Resource:
        return self._run(self.fetcher.fetch_resource(url, max_bytes=max_bytes, accept=accept))

    def close(self) -> None:
        """Close the fetcher (and Chromium), then stop the loop thread."""
        if self._closed:
            return
        try:
            self._run(self.fetcher.aclose())
        finally:
            self._closed = True
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=30)
            if not self._thread.is_alive():
                self._loop.close()

    def __enter__(self) -> SyncFetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


__all__ = ["SyncFetcher"]
