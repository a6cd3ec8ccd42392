"""Cache seam: a small bytes key-value protocol with namespaces, TTLs and per-namespace counters.

A cache is an optimisation, never a source of truth: backends degrade to misses rather than fail.
"""

from __future__ import annotations

import re
import threading
from collections import defaultdict
from typing import Protocol, runtime_checkable

from adlens.errors import InvalidInput

_NS_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")
MAX_KEY_CHARS = 512
COUNTERS: tuple[str, ...] = ("hits", "misses", "sets", "deletes", "errors")


@runtime_checkable
class Cache(Protocol):
    """Bytes cache. ``get`` returns ``None`` on a miss (and when the backend is unavailable)."""

    def get(self, ns: str, key: str) -> bytes | None: ...

    def set(self, ns: str, key: str, value: bytes, ttl: float | None = None) -> None:
        """Store ``value``; ``ttl`` in seconds (``None``: no expiry)."""
        ...

    def delete(self, ns: str, key: str) -> None: ...

    def clear(self, ns: str) -> None:
        """Remove every key of one namespace."""
        ...

    def stats(self) -> dict[str, dict[str, int]]:
        """``{namespace: {"hits", "misses", "sets", "deletes", "errors"}}`` since this object was opened."""
        ...

    def close(self) -> None: ...


class CacheStats:
    """Thread-safe per-namespace counters shared by the backends."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(COUNTERS, 0))

    def add(self, ns: str, counter: str, n: int = 1) -> None:
        with self._lock:
            self._counts[ns][counter] += n

    def snapshot(self) -> dict[str, dict[str, int]]:
        with self._lock:
            return {ns: dict(c) for ns, c in sorted(self._counts.items())}


def check_ns(ns: str) -> str:
    if not isinstance(ns, str) or not _NS_RE.match(ns):
        raise InvalidInput(f"invalid cache namespace {ns!r}: use 1-64 of a-z 0-9 _ . -")
    return ns


def check_key(key: str) -> str:
    if not isinstance(key, str) or not key or len(key) > MAX_KEY_CHARS:
        raise InvalidInput(f"cache key must be a non-empty string of at most {MAX_KEY_CHARS} characters")
    return key


def check_ttl(ttl: float | None) -> float | None:
    if ttl is None:
        return None
    if isinstance(ttl, bool) or not isinstance(ttl, int | float) or not ttl > 0 or ttl == float("inf"):
        raise InvalidInput(f"cache ttl must be a positive number of seconds or None, got {ttl!r}")
    return float(ttl)


def check_value(value: bytes) -> bytes:
    if isinstance(value, bytearray | memoryview):
        return bytes(value)
    if not isinstance(value, bytes):
        raise InvalidInput(f"cache values are bytes, got {type(value).__name__}")
    return value


__all__ = ["COUNTERS", "Cache", "CacheStats", "check_key", "check_ns", "check_ttl", "check_value"]
