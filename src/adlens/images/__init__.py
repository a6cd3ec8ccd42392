"""The ``images`` application: crawl a site's images, then find them by describing them.

Store layout in :mod:`adlens.images.schema`, the stored vectors in :mod:`adlens.images.vectors`,
natural-language queries in :mod:`adlens.images.query`, ranking in :mod:`adlens.images.search`.
"""

from adlens.images.query import ParsedQuery, parse_query
from adlens.images.schema import (
    COLLECTION,
    VECTOR_FIELDS,
    bm25_text,
    build_record,
    ensure_collection,
    record_id,
    store_metadata,
)
from adlens.images.search import ImageSearch, SearchResponse
from adlens.images.vectors import build_vectors, build_vectors_many

__all__ = [
    "COLLECTION",
    "VECTOR_FIELDS",
    "ImageSearch",
    "ParsedQuery",
    "SearchResponse",
    "bm25_text",
    "build_record",
    "build_vectors",
    "build_vectors_many",
    "ensure_collection",
    "parse_query",
    "record_id",
    "store_metadata",
]
