"""Segments of a document: sentence-boundary chunks, the prepared segments and the raw similarities."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

__all__ = ["Prepared", "RawScores", "chunk_text"]


_SENT = re.compile(r"(?<=[.!?])\s+")


def chunk_text(text: str, words: int = 120, max_chunks: int = 12) -> list[str]:
    """Split ``text`` into chunks of about ``words`` words on sentence boundaries."""
    chunks: list[str] = []
    cur: list[str] = []
    n = 0
    for sent in _SENT.split(text.strip()):
        w = len(sent.split())
        if not w:
            continue
        if cur and n + w > words:
            chunks.append(" ".join(cur))
            cur, n = [], 0
            if len(chunks) >= max_chunks:
                return chunks
        cur.append(sent)
        n += w
    if cur and len(chunks) < max_chunks:
        chunks.append(" ".join(cur))
    return chunks


@dataclass
class Prepared:
    """A document cut into the segments the scorer embeds, with its literal keyword matches."""

    title: str
    full: str
    chunks: list[str]
    image_texts: list[str]
    image_vectors: list[np.ndarray]
    image_urls: list[str]
    lowered: str
    words: int
    matches: dict[int, list[str]] = field(default_factory=dict)


@dataclass
class RawScores:
    """Per-node and per-exemplar similarities of a batch of documents, before aggregation."""

    node: np.ndarray  # (n_docs, n_nodes)
    exemplar: np.ndarray  # (n_docs, n_roots)
    prepared: list[Prepared]
    image_sims: list[np.ndarray]
    text_vectors: list[np.ndarray] = field(default_factory=list)  # per doc: full text + chunks
    doc_vectors: np.ndarray | None = None  # (n_docs, d): weighted mean of title, full, best chunks
    view_vectors: np.ndarray | None = None  # (n_docs, d2): the second text view (E5) of the full text
