"""Typed caches on top of any :class:`~adlens.cache.base.Cache`: embeddings, fetched pages, query results.

Every value is written in a checked format (see :mod:`adlens.cache.codec`); an entry that fails its check
is deleted, counted as ``corrupt`` and reported as a miss.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

import numpy as np

from adlens.cache.base import Cache, check_ns, check_ttl
from adlens.cache.codec import CorruptEntry, decode_array, decode_json, encode_array, encode_json
from adlens.errors import InvalidInput

if TYPE_CHECKING:
    from adlens.config import Settings

log = logging.getLogger(__name__)

T = TypeVar("T")

EMBEDDING_TTL_S = 7 * 24 * 3600.0
PAGE_TTL_S = 24 * 3600.0
QUERY_TTL_S = 600.0


def sha256_hex(content: bytes | str) -> str:
    if isinstance(content, str):
        content = content.encode("utf-8")
    if not isinstance(content, bytes | bytearray | memoryview):
        raise InvalidInput(f"content to hash must be str or bytes, got {type(content).__name__}")
    return hashlib.sha256(content).hexdigest()


def normalize_url(url: str) -> str:
    """Canonical form of an http(s) URL: lower-case scheme and host, no default port, no fragment,
    ``/`` for an empty path, query parameters sorted."""
    if not isinstance(url, str):
        raise InvalidInput("URL must be a string")
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise InvalidInput(f"invalid URL {url[:200]!r}: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme not in {"http", "https"} or not parts.hostname:
        raise InvalidInput(f"not an http(s) URL: {url[:200]!r}")
    host = parts.hostname.lower().rstrip(".")
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    if port is not None and (scheme, port) not in {("http", 80), ("https", 443)}:
        host = f"{host}:{port}"
    if parts.username is not None:
        host = f"{parts.username}@{host}"
    query = urlencode(sorted(parse_qsl(parts.query, keep_blank_values=True)), quote_via=quote)
    return urlunsplit((scheme, host, parts.path or "/", query, ""))


def canonical_json(value: Any) -> str:
    """Stable JSON text (sorted keys, no spaces) used as the identity of a query."""
    try:
        return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"query must be JSON-serialisable: {exc}") from None


class _TypedCache:
    def __init__(self, cache: Cache, ns: str, ttl: float | None) -> None:
        self.cache = cache
        self.ns = check_ns(ns)
        self.ttl = check_ttl(ttl)
        self.corrupt = 0

    def _load(self, key: str, decode: Callable[[bytes], T]) -> T | None:
        blob = self.cache.get(self.ns, key)
        if blob is None:
            return None
        try:
            return decode(blob)
        except CorruptEntry as exc:
            self.corrupt += 1
            log.warning("dropping corrupt %s cache entry: %s", self.ns, exc)
            self.cache.delete(self.ns, key)
            return None

    def clear(self) -> None:
        self.cache.clear(self.ns)

    def stats(self) -> dict[str, int]:
        """Counters of this namespace; corrupt entries count as misses, not hits."""
        base = dict(self.cache.stats().get(self.ns, {}))
        base["hits"] = base.get("hits", 0) - self.corrupt
        base["misses"] = base.get("misses", 0) + self.corrupt
        base["corrupt"] = self.corrupt
        return base


class EmbeddingCache(_TypedCache):
    """Vectors for one embedding space and model version, keyed by the SHA-256 of the content."""

    def __init__(
        self,
        cache: Cache,
        *,
        space: str,
        model_version: str,
        dim: int | None = None,
        ns: str = "emb",
        ttl: float | None = EMBEDDING_TTL_S,
    ) -> None:
        super().__init__(cache, ns, ttl)
        if not space or not model_version or len(space) + len(model_version) > 200:
            raise InvalidInput("embedding cache needs a space name and a model version (≤ 200 characters)")
        self.space, self.model_version, self.dim = space, model_version, dim

    @classmethod
    def from_settings(
        cls, cache: Cache, settings: Settings, *, space: str, model_version: str
    ) -> EmbeddingCache:
        return cls(cache, space=space, model_version=model_version, ttl=float(settings.cache_ttl_s))

    def key(self, content: bytes | str) -> str:
        return f"{self.space}:{self.model_version}:{sha256_hex(content)}"

    def _decode(self, blob: bytes) -> np.ndarray:
        vec = decode_array(blob)
        if self.dim is not None and vec.shape[-1:] != (self.dim,):
            raise CorruptEntry(f"cached vector has shape {vec.shape}, expected last dimension {self.dim}")
        return vec

    def get(self, content: bytes | str) -> np.ndarray | None:
        return self._load(self.key(content), self._decode)

    def set(self, content: bytes | str, vector: np.ndarray) -> None:
        vec = np.asarray(vector)
        if self.dim is not None and vec.shape[-1:] != (self.dim,):
            raise InvalidInput(f"vector has shape {vec.shape}, expected last dimension {self.dim}")
        self.cache.set(self.ns, self.key(content), encode_array(vec), self.ttl)

    def get_many(self, contents: Sequence[bytes | str]) -> list[np.ndarray | None]:
        return [self.get(c) for c in contents]

    def set_many(self, contents: Sequence[bytes | str], vectors: Sequence[np.ndarray] | np.ndarray) -> None:
        if len(contents) != len(vectors):
            raise InvalidInput(f"{len(contents)} contents but {len(vectors)} vectors")
        for content, vec in zip(contents, vectors, strict=True):
            self.set(content, vec)


class PageCache(_TypedCache):
    """Fetched pages (any JSON-able dict) by normalised URL."""

    def __init__(self, cache: Cache, *, ns: str = "page", ttl: float | None = PAGE_TTL_S) -> None:
        super().__init__(cache, ns, ttl)

    @staticmethod
    def key(url: str) -> str:
        return sha256_hex(normalize_url(url))

    def get(self, url: str) -> dict[str, Any] | None:
        value = self._load(self.key(url), decode_json)
        return value if isinstance(value, dict) else None

    def set(self, url: str, page: Mapping[str, Any]) -> None:
        if not isinstance(page, Mapping):
            raise InvalidInput(f"a cached page must be a mapping, got {type(page).__name__}")
        self.cache.set(self.ns, self.key(url), encode_json(dict(page)), self.ttl)


class QueryCache(_TypedCache):
    """Query results (JSON-able, not ``None``) by the canonical JSON of the query."""

    def __init__(self, cache: Cache, *, ns: str = "query", ttl: float | None = QUERY_TTL_S) -> None:
        super().__init__(cache, ns, ttl)

    @staticmethod
    def key(query: Any) -> str:
        return sha256_hex(canonical_json(query))

    def get(self, query: Any) -> Any | None:
        return self._load(self.key(query), decode_json)

    def set(self, query: Any, result: Any) -> None:
        if result is None:
            raise InvalidInput("a cached query result cannot be None (it would read as a miss)")
        self.cache.set(self.ns, self.key(query), encode_json(result), self.ttl)


__all__ = [
    "EMBEDDING_TTL_S",
    "PAGE_TTL_S",
    "QUERY_TTL_S",
    "EmbeddingCache",
    "PageCache",
    "QueryCache",
    "canonical_json",
    "normalize_url",
    "sha256_hex",
]
