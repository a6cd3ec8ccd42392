"""Pick the cache backend from settings."""

from __future__ import annotations

from typing import TYPE_CHECKING

from adlens.cache.base import Cache
from adlens.cache.disk import DiskCache
from adlens.cache.redis_cache import RedisCache
from adlens.errors import InvalidInput

if TYPE_CHECKING:
    from adlens.config import Settings


def open_cache(settings: Settings | None = None) -> Cache:
    """``DiskCache(settings.cache_dir / "kv")`` or ``RedisCache(settings.redis_url)`` per ``cache_backend``."""
    if settings is None:
        from adlens.config import get_settings

        settings = get_settings()
    if settings.cache_backend == "disk":
        return DiskCache(settings.cache_dir / "kv")
    if settings.cache_backend == "redis":
        return RedisCache(settings.redis_url.get_secret_value())
    raise InvalidInput(f"unknown cache backend {settings.cache_backend!r} (disk or redis)")


__all__ = ["open_cache"]
