"""The ``store`` seam: collections of records with filtered kNN, BM25 and hybrid search."""

from adlens.store.base import (
    DEFAULT_NAMESPACE,
    RRF_K,
    CollectionInfo,
    FusionMethod,
    Hit,
    Metadata,
    MetaValue,
    Record,
    VectorStore,
    Where,
)
from adlens.store.embedded import EmbeddedStore
from adlens.store.factory import open_store
from adlens.store.filters import parse as parse_filter

__all__ = [
    "DEFAULT_NAMESPACE",
    "RRF_K",
    "CollectionInfo",
    "EmbeddedStore",
    "FusionMethod",
    "Hit",
    "MetaValue",
    "Metadata",
    "Record",
    "VectorStore",
    "Where",
    "open_store",
    "parse_filter",
]
