"""Keyword (BM25) helpers: turning free text into a safe SQLite FTS5 query."""

from __future__ import annotations

import re

from adlens.errors import InvalidInput

_TOKEN_RE = re.compile(r"\w+", re.UNICODE)
MAX_QUERY_TERMS = 64


def fts_query(query: str) -> str:
    """Words of ``query`` as quoted FTS5 terms joined by OR (BM25 ranks by how many match)."""
    if not isinstance(query, str):
        raise InvalidInput("keyword query must be a string")
    terms = list(dict.fromkeys(t.lower() for t in _TOKEN_RE.findall(query)))[:MAX_QUERY_TERMS]
    if not terms:
        raise InvalidInput("keyword query has no searchable words")
    return " OR ".join(f'"{t}"' for t in terms)


__all__ = ["fts_query"]
