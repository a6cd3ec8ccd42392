"""Backend-specific behaviour: Redis outage and recovery, password hygiene, key layout; disk persistence;
the settings factory."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from adlens.cache import DiskCache, RedisCache, open_cache, redact_url
from adlens.config import Settings
from adlens.errors import InvalidInput

RedisServer = Any  # the fixture class lives in conftest.py


@pytest.mark.redis
def test_redis_outage_degrades_then_recovers(
    redis_factory: Callable[..., RedisServer], caplog: pytest.LogCaptureFixture
) -> None:
    server = redis_factory()
    cache = RedisCache(server.url, socket_timeout=0.2, retry_after=0.3, max_backoff=0.6)
    try:
        cache.set("t", "k", b"v")
        assert cache.get("t", "k") == b"v"

        server.kill()  # Redis goes away mid-test
        with caplog.at_level(logging.DEBUG, logger="adlens.cache.redis_cache"):
            assert cache.get("t", "k") is None  # a miss, no exception
            cache.set("t", "k2", b"v2")  # a no-op, no exception
            cache.delete("t", "k")
            cache.clear("t")
            assert not cache.available
            started = time.monotonic()
            for _ in range(200):  # while pausing, calls do not touch the network
                assert cache.get("t", "k") is None
            paused_calls_s = time.monotonic() - started
        stats = cache.stats()["t"]
        assert stats["errors"] >= 204 and stats["misses"] >= 201 and stats["sets"] == 1
        assert paused_calls_s < 2.0  # 200 socket timeouts would take 40 s
        warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
        assert len(warnings) == 1 and "unreachable" in warnings[0].getMessage()  # one warning per outage

        server.start()  # same port, empty (no persistence)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            cache.set("t", "k", b"back")
            if cache.get("t", "k") == b"back":
                break
            time.sleep(0.1)
        else:
            pytest.fail("RedisCache did not recover after redis-server came back")
        assert cache.available
        errors = cache.stats()["t"]["errors"]
        cache.set("t", "k3", b"3")
        assert cache.get("t", "k3") == b"3"
        assert cache.stats()["t"]["errors"] == errors
    finally:
        cache.close()


@pytest.mark.redis
def test_redis_never_shows_the_password(
    redis_factory: Callable[..., RedisServer], caplog: pytest.LogCaptureFixture
) -> None:
    server = redis_factory(password="s3cret-pw")
    cache = RedisCache(server.url)
    wrong = RedisCache(server.url.replace("s3cret-pw", "wrong-pw"), retry_after=0.2)
    try:
        cache.set("t", "k", b"v")
        assert cache.get("t", "k") == b"v"
        assert "s3cret-pw" not in repr(cache) and "***" in repr(cache)
        with caplog.at_level(logging.DEBUG):
            assert wrong.get("t", "k") is None  # auth failure: graceful miss
            server.kill()
            assert cache.get("t", "k") is None
        assert wrong.stats()["t"]["errors"] == 1 and cache.stats()["t"]["errors"] == 1
        assert caplog.records and not any(
            "s3cret-pw" in r.getMessage() or "wrong-pw" in r.getMessage() for r in caplog.records
        )
    finally:
        cache.close()
        wrong.close()
    assert redact_url("redis://user:pw@host:6380/1") == "redis://user:***@host:6380/1"
    assert redact_url("redis://host:6379/0") == "redis://host:6379/0"


@pytest.mark.redis
def test_redis_key_layout_and_ttl(redis_server: RedisServer) -> None:
    raw = redis_server.client()
    raw.flushall()
    cache = RedisCache(redis_server.url)
    try:
        cache.set("emb", "abc", b"v", ttl=30)
        cache.set("emb", "forever", b"v")
        assert raw.get("adlens:emb:abc") == b"v"
        assert 0 < raw.pttl("adlens:emb:abc") <= 30_000
        assert raw.pttl("adlens:emb:forever") == -1
        raw.set("other:emb:x", b"keep")
        cache.clear("emb")
        assert raw.keys("adlens:*") == [] and raw.get("other:emb:x") == b"keep"
    finally:
        cache.close()
        raw.close()


def test_redis_rejects_non_redis_url() -> None:
    with pytest.raises(InvalidInput):
        RedisCache("http://127.0.0.1:6379")


def test_disk_cache_persists_across_reopen(tmp_path: Path) -> None:
    with DiskCache(tmp_path / "kv") as first:
        first.set("t", "k", b"kept")
        first.set("t", "gone", b"x", ttl=0.2)
    time.sleep(0.3)
    with DiskCache(tmp_path / "kv") as second:
        assert second.get("t", "k") == b"kept"
        assert second.get("t", "gone") is None


@pytest.mark.redis
def test_open_cache_picks_backend(tmp_path: Path, redis_server: RedisServer) -> None:
    disk = open_cache(Settings(home=tmp_path, cache_backend="disk"))
    try:
        assert isinstance(disk, DiskCache) and disk.path == tmp_path / "cache" / "kv"
    finally:
        disk.close()
    remote = open_cache(Settings(home=tmp_path, cache_backend="redis", redis_url=redis_server.url))
    try:
        assert isinstance(remote, RedisCache)
        remote.set("t", "k", b"v")
        assert remote.get("t", "k") == b"v"
    finally:
        remote.close()


class _Planted:
    """Unpickling this would create a marker file."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return (Path.touch, (self.marker,))


def test_disk_cache_never_unpickles_foreign_entries(tmp_path: Path) -> None:
    import diskcache

    marker = tmp_path / "unpickled"
    planted = diskcache.FanoutCache(str(tmp_path / "kv"), shards=4)
    planted.set("t:evil", _Planted(marker), tag="t")
    planted.set("t:number", 42, tag="t")
    planted.close()
    with DiskCache(tmp_path / "kv") as cache:
        assert cache.get("t", "evil") is None
        assert cache.get("t", "number") is None
        assert not marker.exists()
        assert cache.stats()["t"] == {"hits": 0, "misses": 2, "sets": 0, "deletes": 0, "errors": 2}
        cache.set("t", "evil", b"clean")  # the bad entries were dropped; the key works again
        assert cache.get("t", "evil") == b"clean"
