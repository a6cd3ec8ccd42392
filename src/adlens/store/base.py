"""The ``store`` seam: one protocol, several honest implementations.

A *collection* has named vector fields with fixed dimensions (e.g. ``{"text": 384, "visual": 1280}``).
Vectors are compared by inner product after L2 normalisation, i.e. cosine similarity; every
backend normalises on write and on query, so ``Hit.score`` is a cosine in [-1, 1] for
:meth:`VectorStore.search`. Records live in *namespaces* inside a collection (a crawl, a tenant);
ids are unique per namespace. Every record carries a vector for every field of its collection.

Fusion used by :meth:`VectorStore.hybrid_search` (both backends, see :mod:`adlens.store.fusion`):

* candidates: the top ``max(k, 50)`` (``fusion_depth``) of the vector search and of the BM25 search,
  both with the same ``where``/``namespace``;
* ``method="rrf"``: ``score = sum over lists of 1 / (60 + rank)`` with 1-based ranks; a record absent
  from one list gets nothing from it. ``components = {"vector": cosine or absent, "keyword": bm25 or
  absent, "vector_rank": r, "keyword_rank": r}``;
* ``method="weighted"``: ``score = alpha * v + (1 - alpha) * b`` where ``v = (cos + 1) / 2`` (cosine
  mapped to [0, 1]) and ``b = bm25 / max(bm25 over the candidates)`` (0 when absent from the keyword
  list); a record absent from the vector list has its cosine computed exactly so ``v`` is never guessed.
  ``components = {"vector": cos, "keyword": bm25 (0 if absent), "vector_norm": v, "keyword_norm": b}``;
* ties are broken by (namespace, id); at most k hits are returned.

BM25 scores are SQLite FTS5's ``bm25()`` negated (higher is better), default parameters k1=1.2, b=0.75.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

import numpy as np

from adlens.store.filters import Node

MetaValue = str | int | float | bool | list[str] | None
Metadata = dict[str, MetaValue]
Where = Mapping[str, Any] | Node  # a filter (adlens.store.filters), as JSON-like data or parsed
FusionMethod = Literal["rrf", "weighted"]

DEFAULT_NAMESPACE = "default"
RRF_K = 60


@dataclass(slots=True)
class Record:
    """One stored item: an id (unique per namespace), one vector per field, metadata and text."""

    id: str
    vectors: dict[str, np.ndarray]
    metadata: Metadata = field(default_factory=dict)
    text: str = ""


@dataclass(slots=True)
class Hit:
    """One search result. ``components`` explains the score (e.g. cosine and BM25 parts)."""

    id: str
    score: float
    metadata: Metadata
    text: str
    components: dict[str, float] = field(default_factory=dict)
    namespace: str = DEFAULT_NAMESPACE


@dataclass(frozen=True, slots=True)
class CollectionInfo:
    """Name and vector fields (name -> dimension) of a collection."""

    name: str
    vector_fields: dict[str, int]


@runtime_checkable
class VectorStore(Protocol):
    """Collections of records with filtered kNN, BM25 and hybrid search.

    Errors: unknown collection -> ``NotFound``; wrong dimension, NaN/inf, malformed filter,
    bad names -> ``InvalidInput``; a backend that cannot be reached -> ``Unavailable``.
    """

    def create_collection(
        self, name: str, vector_fields: dict[str, int], *, exist_ok: bool = True
    ) -> CollectionInfo:
        """Create a collection; with ``exist_ok`` an identical existing one is returned."""
        ...

    def drop_collection(self, name: str) -> None:
        """Remove a collection and everything in it (``NotFound`` if absent)."""
        ...

    def list_collections(self) -> list[CollectionInfo]: ...

    def upsert(self, collection: str, records: Sequence[Record], namespace: str = DEFAULT_NAMESPACE) -> int:
        """Insert or replace records by id; all-or-nothing; returns when durable. Returns count."""
        ...

    def delete(self, collection: str, ids: Sequence[str], namespace: str = DEFAULT_NAMESPACE) -> int:
        """Delete records by id; returns how many existed."""
        ...

    def delete_namespace(self, collection: str, namespace: str) -> int:
        """Delete every record of a namespace; returns how many there were."""
        ...

    def list_namespaces(self, collection: str) -> list[str]: ...

    def get(self, collection: str, ids: Sequence[str], namespace: str = DEFAULT_NAMESPACE) -> list[Record]:
        """Records for the ids that exist, in the order asked (missing ids are skipped)."""
        ...

    def count(self, collection: str, namespace: str | None = None, where: Where | None = None) -> int: ...

    def search(
        self,
        collection: str,
        vector: np.ndarray | Sequence[float],
        *,
        field: str,
        k: int,
        where: Where | None = None,
        namespace: str | None = None,
    ) -> list[Hit]:
        """Top-k by cosine. When at least k records match, exactly k hits come back."""
        ...

    def keyword_search(
        self,
        collection: str,
        query: str,
        *,
        k: int,
        where: Where | None = None,
        namespace: str | None = None,
    ) -> list[Hit]:
        """Top-k by BM25 over the records' text (score higher is better)."""
        ...

    def hybrid_search(
        self,
        collection: str,
        vector: np.ndarray | Sequence[float],
        query: str,
        *,
        field: str,
        k: int,
        where: Where | None = None,
        namespace: str | None = None,
        method: FusionMethod = "rrf",
        alpha: float = 0.5,
    ) -> list[Hit]:
        """Vector and keyword results fused as described in the module docstring."""
        ...

    def iter_records(
        self, collection: str, namespace: str | None = None, *, batch_size: int = 1000
    ) -> Iterator[tuple[str, Record]]:
        """Every record as ``(namespace, record)``, for re-indexing and migrations."""
        ...

    def close(self) -> None: ...


__all__ = [
    "DEFAULT_NAMESPACE",
    "RRF_K",
    "CollectionInfo",
    "FusionMethod",
    "Hit",
    "MetaValue",
    "Metadata",
    "Record",
    "VectorStore",
    "Where",
]
