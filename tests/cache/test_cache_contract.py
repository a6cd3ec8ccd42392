"""The Cache contract, run against DiskCache and a real redis-server; typed caches on both."""

from __future__ import annotations

import time

import numpy as np
import pytest

import adlens.cache
from adlens.cache import Cache, EmbeddingCache, PageCache, QueryCache, encode_array, encode_json
from adlens.errors import InvalidInput


def test_public_api() -> None:
    assert set(adlens.cache.__all__) == {
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
    }


def test_satisfies_protocol(cache: Cache) -> None:
    assert isinstance(cache, Cache)


def test_set_get_roundtrip_and_counters(cache: Cache) -> None:
    assert cache.get("t", "k") is None
    cache.set("t", "k", b"\x00value\xff")
    assert cache.get("t", "k") == b"\x00value\xff"
    cache.set("t", "empty", b"")
    assert cache.get("t", "empty") == b""  # empty is a hit, not a miss
    cache.set("t", "ba", bytearray(b"xy"))  # type: ignore[arg-type]
    assert cache.get("t", "ba") == b"xy"
    big = bytes(range(256)) * 4096  # 1 MiB
    cache.set("t", "big", big)
    assert cache.get("t", "big") == big
    cache.set("t", "k", b"new")
    assert cache.get("t", "k") == b"new"
    assert cache.stats()["t"] == {"hits": 5, "misses": 1, "sets": 5, "deletes": 0, "errors": 0}


def test_namespaces_are_isolated_and_clear_one(cache: Cache) -> None:
    for ns in ("a", "b"):
        for i in range(30):
            cache.set(ns, f"k{i}", f"{ns}{i}".encode())
    assert cache.get("a", "k3") == b"a3" and cache.get("b", "k3") == b"b3"
    cache.clear("a")
    assert all(cache.get("a", f"k{i}") is None for i in range(30))
    assert all(cache.get("b", f"k{i}") == f"b{i}".encode() for i in range(30))
    stats = cache.stats()
    assert stats["a"]["misses"] == 30 and stats["b"]["hits"] == 31


def test_delete(cache: Cache) -> None:
    cache.set("t", "k", b"v")
    cache.delete("t", "k")
    cache.delete("t", "never-set")  # no error
    assert cache.get("t", "k") is None
    assert cache.stats()["t"]["deletes"] == 2


def test_keys_with_odd_characters(cache: Cache) -> None:
    odd = ["a:b", "*", "[x]", "ünïcode ✓", "sp ace", "a" * 512]
    for i, key in enumerate(odd):
        cache.set("t", key, str(i).encode())
    assert [cache.get("t", key) for key in odd] == [str(i).encode() for i in range(len(odd))]
    cache.clear("t")
    assert all(cache.get("t", key) is None for key in odd)


def test_ttl_expiry(cache: Cache) -> None:
    cache.set("t", "short", b"1", ttl=0.3)
    cache.set("t", "forever", b"2", ttl=None)
    cache.set("t", "long", b"3", ttl=60)
    assert cache.get("t", "short") == b"1"
    time.sleep(0.6)
    assert cache.get("t", "short") is None
    assert cache.get("t", "forever") == b"2"
    assert cache.get("t", "long") == b"3"


@pytest.mark.parametrize(
    ("ns", "key", "value", "ttl"),
    [
        ("Bad NS", "k", b"v", None),
        ("", "k", b"v", None),
        ("t", "", b"v", None),
        ("t", "k" * 513, b"v", None),
        ("t", "k", "not bytes", None),
        ("t", "k", b"v", 0),
        ("t", "k", b"v", -1),
        ("t", "k", b"v", float("nan")),
    ],
)
def test_bad_input_is_rejected(cache: Cache, ns: str, key: str, value: bytes, ttl: float | None) -> None:
    with pytest.raises(InvalidInput):
        cache.set(ns, key, value, ttl)


def test_embedding_cache_roundtrip_and_versioning(cache: Cache) -> None:
    emb = EmbeddingCache(cache, space="text", model_version="minilm@1", dim=384)
    vec = np.random.default_rng(0).standard_normal(384).astype(np.float32)
    assert emb.get("hello") is None
    emb.set("hello", vec)
    got = emb.get("hello")
    assert got is not None and got.dtype == np.float32 and np.array_equal(got, vec) and got.flags.writeable
    assert emb.get(b"hello") is not None  # str is hashed as its UTF-8 bytes
    other_version = EmbeddingCache(cache, space="text", model_version="minilm@2", dim=384)
    assert other_version.get("hello") is None
    emb.set_many(["a", "b"], np.ones((2, 384), dtype=np.float16))
    many = emb.get_many(["a", "b", "c"])
    assert many[2] is None and all(m is not None and m.dtype == np.float16 for m in many[:2])
    with pytest.raises(InvalidInput):
        emb.set("x", np.zeros(10, dtype=np.float32))
    with pytest.raises(InvalidInput):
        emb.set("x", np.array(["a"] * 384))
    assert emb.stats()["hits"] == 4 and emb.stats()["corrupt"] == 0


@pytest.mark.parametrize(
    "damage",
    [
        lambda blob: blob[: len(blob) - 7],  # truncated payload
        lambda blob: blob[:10],  # truncated header/shape
        lambda blob: blob[:-1] + bytes([blob[-1] ^ 0x01]),  # one flipped bit
        lambda blob: b"\x80\x04\x95pickle?" + blob[12:],  # foreign bytes
        lambda blob: b"",
    ],
)
def test_corrupt_embedding_entry_is_dropped(cache: Cache, damage) -> None:  # type: ignore[no-untyped-def]
    emb = EmbeddingCache(cache, space="text", model_version="m@1")
    blob = encode_array(np.arange(16, dtype=np.float32))
    cache.set(emb.ns, emb.key("doc"), damage(blob))
    assert emb.get("doc") is None  # a miss, not an exception, not garbage
    assert cache.get(emb.ns, emb.key("doc")) is None  # deleted
    stats = emb.stats()
    assert stats["corrupt"] == 1 and stats["hits"] == 0 and stats["misses"] == 2
    emb.set("doc", np.arange(16, dtype=np.float32))  # recomputed value is served again
    assert np.array_equal(emb.get("doc"), np.arange(16, dtype=np.float32))


def test_wrong_dimension_entry_counts_as_corrupt(cache: Cache) -> None:
    loose = EmbeddingCache(cache, space="text", model_version="m@1")
    strict = EmbeddingCache(cache, space="text", model_version="m@1", dim=384)
    loose.set("doc", np.zeros(512, dtype=np.float32))
    assert strict.get("doc") is None and strict.corrupt == 1


def test_page_cache_normalises_urls(cache: Cache) -> None:
    pages = PageCache(cache)
    page = {"url": "https://example.org/a?x=1&y=2", "title": "Ünïcode", "links": [1, 2]}
    pages.set("HTTPS://Example.ORG:443/a?y=2&x=1#section", page)
    assert pages.get("https://example.org/a?x=1&y=2") == page
    assert pages.get("https://example.org/a?x=1") is None
    assert pages.get("http://example.org/a?x=1&y=2") is None
    assert adlens.cache.normalize_url("http://EXAMPLE.org") == "http://example.org/"
    assert adlens.cache.normalize_url("http://example.org:8080/p") == "http://example.org:8080/p"
    for bad in ["ftp://example.org/", "not a url", "http://", "http://example.org:99999/"]:
        with pytest.raises(InvalidInput):
            pages.get(bad)
    cache.set(pages.ns, pages.key("https://example.org/b"), encode_json({"x": 1})[:-2])
    assert pages.get("https://example.org/b") is None and pages.corrupt == 1


def test_query_cache_canonical_keys(cache: Cache) -> None:
    queries = QueryCache(cache)
    result = [{"id": "ad1", "score": 0.91}, {"id": "ad2", "score": 0.5}]
    queries.set({"q": "running shoes", "filters": {"lang": "en", "country": "FR"}, "k": 10}, result)
    assert queries.get({"k": 10, "filters": {"country": "FR", "lang": "en"}, "q": "running shoes"}) == result
    assert queries.get({"q": "running shoes", "k": 11, "filters": {"lang": "en", "country": "FR"}}) is None
    with pytest.raises(InvalidInput):
        queries.set({"q": "x"}, None)
    with pytest.raises(InvalidInput):
        queries.get({"q": {1, 2}})
    assert queries.ttl == adlens.cache.typed.QUERY_TTL_S


def test_typed_default_ttls_are_applied(cache: Cache) -> None:
    queries = QueryCache(cache, ttl=0.3)
    queries.set({"q": 1}, {"r": 1})
    assert queries.get({"q": 1}) == {"r": 1}
    time.sleep(0.6)
    assert queries.get({"q": 1}) is None
