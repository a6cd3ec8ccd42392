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

    def shared(self, name: str, build: Callable[[], T]) -> T:
        """The object registered under ``name``, built once with ``build()``.

        Applications keep their per-process services here (a scorer, a database handle) so they are
        built at most once and closed with the runtime (``shutdown()`` or ``close()`` if present).
        """
        obj = self._objects.get(name)
        if obj is None:
            with self._lock:
                obj = self._objects.get(name)
                if obj is None:
                    obj = build()
                    self._objects[name] = obj
        return obj  # type: ignore[no-any-return]

    _get = shared

    def forget(self, name: str) -> None:
        """Drop the object registered under ``name`` (not closed); the next ``shared`` call rebuilds it."""
        with self._lock:
            self._objects.pop(name, None)

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
        """Release every seam that was built (job workers first, then browser, store handles…).

        The job runner is stopped outside the lock: a handler still running may need to build a seam
        while it winds down, and holding the lock here would deadlock it.
        """
        jobs = self._objects.get("jobs")
        if jobs is not None:
            with contextlib.suppress(Exception):
                jobs.shutdown(wait=True, timeout=60)
        with self._lock:
            objects = list(self._objects.items())
            self._objects.clear()
        for _name, obj in reversed(objects):
            closer = getattr(obj, "close", None) or getattr(obj, "shutdown", None)
            if closer is not None:
                with contextlib.suppress(Exception):  # closing must not mask the original state
                    closer()


__all__ = ["Runtime"]
