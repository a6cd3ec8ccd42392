"""``DiskCache``: the embedded default, on ``diskcache`` (SQLite shards + files), multi-process safe."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import diskcache
from diskcache.core import MODE_BINARY, MODE_RAW

from adlens.cache.base import CacheStats, check_key, check_ns, check_ttl, check_value

log = logging.getLogger(__name__)

DEFAULT_SIZE_LIMIT = 2**30


class UnsafeEntry(Exception):
    """An entry in the cache directory that is not plain bytes (e.g. a pickle written by someone else)."""


class BytesOnlyDisk(diskcache.Disk):
    """A ``diskcache.Disk`` that never unpickles: only raw/binary entries are read back."""

    def fetch(self, mode: int, filename: str | None, value: object, read: bool) -> object:
        if mode not in (MODE_RAW, MODE_BINARY):
            raise UnsafeEntry(f"refusing to load a mode-{mode} entry (only bytes are cached)")
        return super().fetch(mode, filename, value, read)


class DiskCache:
    """A ``diskcache.FanoutCache`` with a few shards. Keys are ``"{ns}:{key}"`` strings and values raw
    bytes (no pickle); the namespace is also the diskcache *tag*, so ``clear(ns)`` is one indexed delete.
    Least-recently-stored entries are evicted above ``size_limit`` bytes. Entries that are not bytes (say, a
    pickle planted in the directory) are never deserialised: they are deleted and counted as errors."""

    backend = "disk"

    def __init__(
        self, path: str | Path, *, shards: int = 4, size_limit: int = DEFAULT_SIZE_LIMIT, timeout: float = 1.0
    ) -> None:
        self.path = Path(path)
        self.path.mkdir(parents=True, exist_ok=True)
        self._fc = diskcache.FanoutCache(
            str(self.path),
            shards=shards,
            timeout=timeout,
            size_limit=size_limit,
            tag_index=True,
            disk=BytesOnlyDisk,
        )
        self._stats = CacheStats()

    @staticmethod
    def _key(ns: str, key: str) -> str:
        return f"{check_ns(ns)}:{check_key(key)}"

    def get(self, ns: str, key: str) -> bytes | None:
        k = self._key(ns, key)
        try:
            value = self._fc.get(k, default=None, retry=True)
            if value is not None and not isinstance(value, bytes):
                raise UnsafeEntry(f"entry holds {type(value).__name__}, not bytes")
        except UnsafeEntry as exc:  # written into our directory by something else
            log.warning("dropping a foreign disk cache entry in %s: %s", ns, exc)
            self._stats.add(ns, "errors")
            self._drop(ns, k)
            value = None
        except (OSError, sqlite3.Error) as exc:
            log.warning("disk cache get failed in %s: %s", ns, exc)
            self._stats.add(ns, "errors")
            value = None
        if value is None:
            self._stats.add(ns, "misses")
            return None
        self._stats.add(ns, "hits")
        return value

    def _drop(self, ns: str, k: str) -> None:
        try:
            self._fc.delete(k, retry=True)
        except (OSError, sqlite3.Error):
            log.warning("could not delete a bad disk cache entry in %s", ns)

    def set(self, ns: str, key: str, value: bytes, ttl: float | None = None) -> None:
        k, value, ttl = self._key(ns, key), check_value(value), check_ttl(ttl)
        try:
            ok = self._fc.set(k, value, expire=ttl, tag=ns, retry=True)
        except (OSError, sqlite3.Error) as exc:
            log.warning("disk cache set failed in %s: %s", ns, exc)
            ok = False
        self._stats.add(ns, "sets" if ok else "errors")

    def delete(self, ns: str, key: str) -> None:
        k = self._key(ns, key)
        try:
            self._fc.delete(k, retry=True)
            self._stats.add(ns, "deletes")
        except (OSError, sqlite3.Error) as exc:
            log.warning("disk cache delete failed in %s: %s", ns, exc)
            self._stats.add(ns, "errors")

    def clear(self, ns: str) -> None:
        check_ns(ns)
        try:
            self._fc.evict(ns, retry=True)
        except (OSError, sqlite3.Error) as exc:
            log.warning("disk cache clear failed in %s: %s", ns, exc)
            self._stats.add(ns, "errors")

    def stats(self) -> dict[str, dict[str, int]]:
        return self._stats.snapshot()

    def close(self) -> None:
        self._fc.close()

    def __enter__(self) -> DiskCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"DiskCache({str(self.path)!r})"


__all__ = ["BytesOnlyDisk", "DiskCache", "UnsafeEntry"]
