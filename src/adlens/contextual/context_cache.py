"""Bid-time lookup: URL → segments in microseconds, from a precomputed cache; never blocks on analysis.

Two levels: an in-process LRU of ready-made JSON answers (a hit is a dict lookup), in front of
``runtime.cache`` (namespace ``contextual.context``, shared with other processes such as a CLI batch).
A miss answers ``{"status": "pending", "segments": []}`` at once and queues one analysis per URL
(de-duplicated in process and by job ``dedupe_key``); the analysis job fills both levels.
A failed analysis is remembered briefly (``status: "failed"``) so a broken URL is not re-queued on
every bid request.

The front LRU keeps an answer for at most :data:`FRONT_TTL_S` (30 s), whatever its TTL in the shared
cache: other processes (the workers of ``adlens serve --workers N``, a CLI batch) write that cache too,
so an answer replaced there (a failure followed by a success, a re-analysis) is seen by every process
within 30 s, and a 10-minute failure read from it is not kept for a day.

``ADLENS_CONTEXT_FRONT_ENTRIES`` sets the LRU size (0 disables it; used by ``bench/contextual.py``).
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import orjson

from adlens.contextual.document import normalise_url
from adlens.contextual.openrtb import openrtb_site

if TYPE_CHECKING:
    from adlens.runtime import Runtime

CONTEXT_NS = "contextual.context"
CONTEXT_TTL_S = 24 * 3600.0
FAILURE_TTL_S = 600.0
PENDING_RETRY_S = 120.0
FRONT_TTL_S = 30.0
DEFAULT_FRONT_ENTRIES = 100_000

__all__ = [
    "CONTEXT_NS",
    "CONTEXT_TTL_S",
    "FRONT_TTL_S",
    "ContextCache",
    "context_answer",
    "get_context_cache",
    "pending_body",
]


def context_answer(result: Mapping[str, Any]) -> dict[str, Any]:
    """The compact bid-time answer for an analysis result."""
    site = openrtb_site(result)
    safety = result.get("brand_safety") or {}
    return {
        "status": "ok",
        "url": result.get("normalized_url") or result.get("url"),
        "taxonomy": result.get("taxonomy"),
        "segtax": result.get("segtax"),
        "segments": list(result.get("segments") or []),
        "categories": [
            {
                "id": c.get("id"),
                "name": c.get("name"),
                "tier": c.get("tier"),
                "confidence": round(float(c.get("confidence") or 0.0), 4),
            }
            for c in (result.get("categories") or [])[:5]
        ],
        "brand_safety": {
            "risk_level": safety.get("risk_level", "none"),
            "flags": [
                f.get("category")
                for f in safety.get("flags") or []
                if isinstance(f, Mapping) and f.get("risk") not in (None, "none")
            ],
        },
        "low_confidence": bool(result.get("low_confidence")),
        "language": (result.get("document") or {}).get("language"),
        "data": site["content"]["data"],
        "site": site,
        "analyzed_at": result.get("analyzed_at"),
    }


def pending_body(url: str) -> bytes:
    return orjson.dumps({"status": "pending", "url": url, "segments": []})


class ContextCache:
    """The two-level cache of bid-time answers (JSON bytes) keyed by ``taxonomy|normalised URL``."""

    def __init__(
        self,
        cache: Any,
        *,
        front_entries: int = DEFAULT_FRONT_ENTRIES,
        ttl_s: float = CONTEXT_TTL_S,
        front_ttl_s: float = FRONT_TTL_S,
    ) -> None:
        self.cache = cache
        self.front_entries = max(0, int(front_entries))
        self.ttl_s = ttl_s
        self.front_ttl_s = front_ttl_s
        self._front: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
        self._pending: dict[str, float] = {}
        self._lock = threading.Lock()
        self.hits_front = 0
        self.hits_backing = 0
        self.misses = 0

    @staticmethod
    def key(url: str, taxonomy: str) -> str:
        return f"{taxonomy}|{normalise_url(url)}"

    @staticmethod
    def _backing_key(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    def get(self, key: str) -> bytes | None:
        """The stored answer, or ``None`` on a miss (expired entries are misses)."""
        now = time.monotonic()
        if self.front_entries:
            entry = self._front.get(key)
            if entry is not None and entry[0] > now:
                self.hits_front += 1
                return entry[1]
        blob = self.cache.get(CONTEXT_NS, self._backing_key(key))
        if blob is None:
            self.misses += 1
            return None
        self.hits_backing += 1
        self._remember(key, blob, self.ttl_s)
        return bytes(blob)

    def _remember(self, key: str, body: bytes, ttl_s: float) -> None:
        if not self.front_entries:
            return
        expires = time.monotonic() + min(ttl_s, self.front_ttl_s)  # bounded staleness across processes
        with self._lock:
            self._front[key] = (expires, body)
            self._front.move_to_end(key)
            while len(self._front) > self.front_entries:
                self._front.popitem(last=False)

    def _store(self, key: str, doc: dict[str, Any], ttl_s: float) -> bytes:
        body = orjson.dumps(doc)
        self.cache.set(CONTEXT_NS, self._backing_key(key), body, ttl_s)
        self._remember(key, body, ttl_s)
        with self._lock:
            self._pending.pop(key, None)
        return body

    def put(self, result: Mapping[str, Any]) -> bytes:
        """Store the answer for an analysis result (from :func:`~adlens.contextual.analyze.analyze_url`)."""
        key = self.key(str(result.get("url")), str(result.get("taxonomy")))
        return self._store(key, context_answer(result), self.ttl_s)

    def put_failure(self, url: str, taxonomy: str, reason: str) -> bytes:
        """Remember for :data:`FAILURE_TTL_S` that analysing ``url`` failed."""
        key = self.key(url, taxonomy)
        doc = {"status": "failed", "url": normalise_url(url), "segments": [], "reason": reason[:300]}
        return self._store(key, doc, FAILURE_TTL_S)

    def mark_pending(self, key: str) -> bool:
        """True when the caller should queue an analysis (none queued for ``key`` in the last 2 minutes)."""
        now = time.monotonic()
        with self._lock:
            since = self._pending.get(key)
            if since is not None and now - since < PENDING_RETRY_S:
                return False
            self._pending[key] = now
            if len(self._pending) > 100_000:
                for old in [k for k, t in self._pending.items() if now - t >= PENDING_RETRY_S]:
                    del self._pending[old]
            return True

    def forget_pending(self, key: str) -> None:
        with self._lock:
            self._pending.pop(key, None)

    def stats(self) -> dict[str, int]:
        return {
            "front_entries": len(self._front),
            "front_capacity": self.front_entries,
            "hits_front": self.hits_front,
            "hits_backing": self.hits_backing,
            "misses": self.misses,
            "pending": len(self._pending),
        }


def get_context_cache(runtime: Runtime) -> ContextCache:
    """The bid-time cache of this runtime (one per process)."""

    def build() -> ContextCache:
        entries = runtime.settings.context_front_entries
        return ContextCache(runtime.cache, front_entries=entries)

    return runtime.shared("contextual.context_cache", build)
