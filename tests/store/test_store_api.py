"""The public surface of adlens.store and the factory."""

from __future__ import annotations

from pathlib import Path

import pytest

import adlens.store
from adlens.config import Settings
from adlens.errors import InvalidInput
from adlens.store import EmbeddedStore, VectorStore, open_store


def test_public_api_is_exactly_all() -> None:
    assert sorted(adlens.store.__all__) == [
        "CollectionInfo",
        "DEFAULT_NAMESPACE",
        "EmbeddedStore",
        "FusionMethod",
        "Hit",
        "MetaValue",
        "Metadata",
        "RRF_K",
        "Record",
        "VectorStore",
        "Where",
        "open_store",
        "parse_filter",
    ]
    assert all(hasattr(adlens.store, n) for n in adlens.store.__all__)


def test_factory_opens_embedded_store_in_data_dir(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, store_backend="embedded")
    store = open_store(settings, exact_scan_threshold=10)
    try:
        assert isinstance(store, EmbeddedStore) and isinstance(store, VectorStore)
        assert store.path == settings.data_dir / "store.sqlite" and store.exact_scan_threshold == 10
    finally:
        store.close()


def test_factory_rejects_unknown_backend() -> None:
    class Fake:
        store_backend = "qdrant"

    with pytest.raises(InvalidInput):
        open_store(Fake())
