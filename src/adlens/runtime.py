"""The runtime: one lazily built instance of each core seam, shared by every interface.

Interfaces (API, CLI, web) and application services receive a :class:`Runtime` and ask it for the
seams they need; the runtime picks the implementation from :class:`~adlens.config.Settings`. Nothing
is loaded before it is first used, and everything is loaded at most once (under a lock).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from adlens.config import Settings, get_settings

T = TypeVar("T")


class Runtime:
    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or get_settings()
        self.settings.ensure_dirs()
        self._lock = threading.RLock()
        self._objects: dict[str, Any] = {}

    def _get(self, name: str, build: Callable[[], T]) -> T:
        obj = self._objects.get(name)
        if obj is None:
            with self._lock:
                obj = self._objects.get(name)
                if obj is None:
                    obj = build()
                    self._objects[name] = obj
        return obj  # type: ignore[no-any-return]

    def is_loaded(self, name: str) -> bool:
        return name in self._objects

    # --- seams -----------------------------------------------------------------------------
    @property
    def text_embedder(self) -> Any:
        def build() -> Any:
            from adlens.embed import TextEmbedder

            return TextEmbedder.from_settings(self.settings)

        return self._get("text_embedder", build)

    @property
    def image_embedder(self) -> Any:
        def build() -> Any:
            from adlens.embed import ImageEmbedder

            return ImageEmbedder.from_settings(self.settings, text=self.text_embedder)

        return self._get("image_embedder", build)

    @property
    def store(self) -> Any:
        def build() -> Any:
            from adlens.store import open_store

            return open_store(self.settings)

        return self._get("store", build)

    @property
    def cache(self) -> Any:
        def build() -> Any:
            from adlens.cache import open_cache

            return open_cache(self.settings)

        return self._get("cache", build)

    @property
    def jobs(self) -> Any:
        def build() -> Any:
            from adlens.jobs import LocalJobRunner

            return LocalJobRunner.from_settings(self.settings)

        return self._get("jobs", build)

    @property
    def fetcher(self) -> Any:
        def build() -> Any:
            from adlens.fetch import Fetcher

            return Fetcher.from_settings(self.settings)

        return self._get("fetcher", build)

    @property
    def llm(self) -> Any:
        def build() -> Any:
            from adlens.llm import open_llm

            return open_llm(self.settings)

        return self._get("llm", build)

    def loaded(self) -> dict[str, bool]:
        names = ("text_embedder", "image_embedder", "store", "cache", "jobs", "fetcher", "llm")
        return {n: self.is_loaded(n) for n in names}

    def close(self) -> None:
        """Release every seam that was built (browser, store handles, job workers)."""
        with self._lock:
            for name, obj in list(self._objects.items()):
                closer = getattr(obj, "shutdown", None) or getattr(obj, "close", None)
                if closer is not None:
                    with contextlib.suppress(Exception):  # closing must not mask the original state
                        closer()
                self._objects.pop(name, None)


__all__ = ["Runtime"]
