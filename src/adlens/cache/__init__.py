"""Cache seam: namespaced bytes caches with TTLs and hit counters (``DiskCache`` default, ``RedisCache``),
and typed caches for embeddings, pages and query results on top."""

from adlens.cache.base import Cache, CacheStats
from adlens.cache.codec import CorruptEntry, decode_array, decode_json, encode_array, encode_json
from adlens.cache.disk import DiskCache
from adlens.cache.factory import open_cache
from adlens.cache.redis_cache import RedisCache, redact_url
from adlens.cache.typed import EmbeddingCache, PageCache, QueryCache, canonical_json, normalize_url

__all__ = [
    "Cache",
    "CacheStats",
    "CorruptEntry",
    "DiskCache",
    "EmbeddingCache",
    "PageCache",
    "QueryCache",
    "RedisCache",
    "canonical_json",
    "decode_array",
    "decode_json",
    "encode_array",
    "encode_json",
    "normalize_url",
    "open_cache",
    "redact_url",
]
