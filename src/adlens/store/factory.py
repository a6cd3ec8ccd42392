"""Pick the store backend from settings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from adlens.errors import InvalidInput
from adlens.store.base import VectorStore


def open_store(settings: Any, **kwargs: Any) -> VectorStore:
    """``embedded`` -> ``settings.data_dir / "store.sqlite"``; ``milvus`` -> ``settings.milvus_uri``.

    Extra keyword arguments go to the backend's constructor.
    """
    backend = getattr(settings, "store_backend", "embedded")
    if backend == "embedded":
        from adlens.store.embedded import EmbeddedStore

        threshold = getattr(settings, "exact_scan_threshold", None)
        if threshold is not None:
            kwargs.setdefault("exact_scan_threshold", threshold)
        return EmbeddedStore(Path(settings.data_dir) / "store.sqlite", **kwargs)
    if backend == "milvus":
        from adlens.store.milvus_store import MilvusStore

        token = getattr(settings, "milvus_token", None)
        secret = token.get_secret_value() if token is not None else None
        return MilvusStore(
            settings.milvus_uri,
            token=secret,
            side_index=Path(settings.data_dir) / "milvus_keyword.sqlite",
            **kwargs,
        )
    raise InvalidInput(f"unknown store backend {backend!r}: use 'embedded' or 'milvus'")


__all__ = ["open_store"]
