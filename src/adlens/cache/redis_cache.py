"""``RedisCache``: the shared (scale-out) cache. Degrades to misses/no-ops while Redis is unreachable."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from urllib.parse import urlsplit, urlunsplit

import redis
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.retry import Retry

from adlens.cache.base import CacheStats, check_key, check_ns, check_ttl, check_value
from adlens.errors import InvalidInput

log = logging.getLogger(__name__)

_UNREACHABLE = (RedisConnectionError, RedisTimeoutError, OSError)
_SKIPPED = object()


def redact_url(url: str) -> str:
    """The URL with any password replaced by ``***`` (safe to log)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    user = parts.username or ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))


class RedisCache:
    """Keys ``{prefix}:{ns}:{key}``, TTLs via ``SET ... PX``.

    Connection failures never raise: they are counted in ``errors``, ``get`` returns ``None`` and ``set`` does
    nothing. After a failure the cache stops calling Redis for ``retry_after`` seconds (doubling on each
    further failure up to ``max_backoff``), so callers are not stalled by a socket timeout on every call;
    the first successful call after the pause restores normal operation.
    """

    backend = "redis"

    def __init__(
        self,
        url: str,
        *,
        prefix: str = "adlens",
        socket_timeout: float = 0.25,
        retry_after: float = 1.0,
        max_backoff: float = 30.0,
        max_connections: int = 32,
    ) -> None:
        if not isinstance(url, str) or urlsplit(url).scheme not in {"redis", "rediss", "unix"}:
            raise InvalidInput("redis_url must be a redis://, rediss:// or unix:// URL")
        self.url = redact_url(url)
        self.prefix = prefix
        self._retry_after = retry_after
        self._max_backoff = max_backoff
        self._client = redis.Redis.from_url(
            url,
            socket_timeout=socket_timeout,
            socket_connect_timeout=socket_timeout,
            retry=Retry(NoBackoff(), 0),
            max_connections=max_connections,
        )
        self._stats = CacheStats()
        self._lock = threading.Lock()
        self._down_until = 0.0
        self._backoff = retry_after
        self._down = False

    # -- availability / back-off -------------------------------------------------------------------

    @property
    def available(self) -> bool:
        """False while pausing after a connection failure."""
        return time.monotonic() >= self._down_until  # a float read is atomic; writers hold the lock

    def _call(self, ns: str, op: str, fn: Callable[[], object]) -> object:
        """Run ``fn()`` unless pausing; connection errors start/extend the pause. Returns ``_SKIPPED`` on failure."""
        if not self.available:
            self._stats.add(ns, "errors")
            return _SKIPPED
        try:
            result = fn()
        except _UNREACHABLE as exc:
            self._stats.add(ns, "errors")
            with self._lock:
                self._down_until = time.monotonic() + self._backoff
                pause, self._backoff = self._backoff, min(self._backoff * 2, self._max_backoff)
                first, self._down = not self._down, True
            level = logging.WARNING if first else logging.DEBUG
            log.log(level, "redis cache %s unreachable on %s (%s); pausing %.1fs", self.url, op, exc, pause)
            return _SKIPPED
        except RedisError as exc:  # e.g. OOM / READONLY replies: the server is there, this call failed
            self._stats.add(ns, "errors")
            log.warning("redis cache %s %s failed: %s", self.url, op, exc)
            return _SKIPPED
        if self._down:
            with self._lock:
                was_down, self._down, self._backoff = self._down, False, self._retry_after
            if was_down:
                log.warning("redis cache %s reachable again", self.url)
        return result

    # -- Cache protocol ----------------------------------------------------------------------------

    def _key(self, ns: str, key: str) -> str:
        return f"{self.prefix}:{check_ns(ns)}:{check_key(key)}"

    def get(self, ns: str, key: str) -> bytes | None:
        k = self._key(ns, key)
        value = self._call(ns, "get", lambda: self._client.get(k))
        if value is _SKIPPED or value is None:
            self._stats.add(ns, "misses")
            return None
        self._stats.add(ns, "hits")
        return value  # type: ignore[return-value]

    def set(self, ns: str, key: str, value: bytes, ttl: float | None = None) -> None:
        k, value, ttl = self._key(ns, key), check_value(value), check_ttl(ttl)
        px = max(1, round(ttl * 1000)) if ttl is not None else None
        if self._call(ns, "set", lambda: self._client.set(k, value, px=px)) is not _SKIPPED:
            self._stats.add(ns, "sets")

    def delete(self, ns: str, key: str) -> None:
        k = self._key(ns, key)
        if self._call(ns, "delete", lambda: self._client.unlink(k)) is not _SKIPPED:
            self._stats.add(ns, "deletes")

    def clear(self, ns: str) -> None:
        pattern = f"{self.prefix}:{check_ns(ns)}:*"

        def run() -> int:
            removed, batch = 0, []
            for k in self._client.scan_iter(match=pattern, count=500):
                batch.append(k)
                if len(batch) >= 500:
                    removed += self._client.unlink(*batch)
                    batch = []
            if batch:
                removed += self._client.unlink(*batch)
            return removed

        self._call(ns, "clear", run)

    def stats(self) -> dict[str, dict[str, int]]:
        return self._stats.snapshot()

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> RedisCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"RedisCache({self.url!r})"


__all__ = ["RedisCache", "redact_url"]
