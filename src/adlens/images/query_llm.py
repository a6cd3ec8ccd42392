"""The optional LLM query parser: the llm seam fills the same :class:`ParsedQuery` under a JSON Schema.

The packaged model is a small *base* model, so the prompt is a few-shot completion. Any failure (model
unavailable, timeout, output that does not fit the schema, or an answer that drops every word of the
query) falls back to :func:`adlens.images.query.parse_query`, with the reason in ``notes`` and
``parser = "rules"``, so a caller always gets a usable parse and knows which parser produced it.
"""

from __future__ import annotations

import json
from typing import Any

from adlens.errors import AdlensError
from adlens.images.query import FORMAT_WORDS, ParsedQuery, parse_query

LLM_TIMEOUT_S = 20.0
_FORMATS = sorted(set(FORMAT_WORDS.values()))
_INT = {"type": ["integer", "null"], "minimum": 1, "maximum": 20000}
_LIST = {"type": "array", "items": {"type": "string", "maxLength": 40}, "maxItems": 5}

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "semantic": {"type": "string", "maxLength": 200},
        "formats": {"type": "array", "items": {"type": "string", "enum": _FORMATS}, "maxItems": 4},
        "min_width": _INT,
        "min_height": _INT,
        "max_width": _INT,
        "max_height": _INT,
        "exclude_concepts": _LIST,
        "page_terms": _LIST,
        "sites": _LIST,
        "count": {"type": ["integer", "null"], "minimum": 1, "maximum": 100},
    },
    "required": ["semantic", "formats", "exclude_concepts", "count"],
    "additionalProperties": False,
}

_EXAMPLES: list[tuple[str, dict[str, Any]]] = [
    ("Find PNG images of Apple Watch", {"semantic": "Apple Watch", "formats": ["png"], "exclude_concepts": [], "count": None}),
    ("show me 5 product photos without people", {"semantic": "product photos", "formats": [], "exclude_concepts": ["people"], "count": 5}),
    ("banners at least 1200px wide with no text on the pricing page", {"semantic": "banners", "formats": [], "min_width": 1200, "exclude_concepts": ["text"], "page_terms": ["pricing"], "count": None}),
    ("small jpg or webp icons from example.com", {"semantic": "icons", "formats": ["jpeg", "webp"], "max_width": 128, "max_height": 128, "exclude_concepts": [], "sites": ["example.com"], "count": None}),
]  # fmt: skip


def build_prompt(query: str) -> str:
    """A few-shot completion prompt ending where the model writes the JSON."""
    lines = [
        "Turn an image search request into JSON filters. 'semantic' keeps only what the image shows.",
        "",
    ]
    for q, out in _EXAMPLES:
        lines += [f"Request: {q}", f"JSON: {json.dumps(out)}", ""]
    lines += [f"Request: {query}", "JSON:"]
    return "\n".join(lines)


def _from_llm(raw: str, doc: dict[str, Any]) -> ParsedQuery:
    q = ParsedQuery(raw=raw, semantic=str(doc.get("semantic") or "").strip(), parser="llm")
    q.formats = [f for f in dict.fromkeys(doc.get("formats") or []) if f in _FORMATS]
    for key in ("min_width", "min_height", "max_width", "max_height", "count"):
        value = doc.get(key)
        setattr(q, key, int(value) if isinstance(value, int) and value > 0 else None)
    q.exclude_concepts = [str(c).lower().strip() for c in doc.get("exclude_concepts") or [] if str(c).strip()]
    q.page_terms = [str(p).lower().strip() for p in doc.get("page_terms") or [] if str(p).strip()]
    q.sites = [str(s).lower().strip().removeprefix("www.") for s in doc.get("sites") or [] if "." in str(s)]
    return q


def parse_query_llm(raw: str, llm: Any, *, timeout: float = LLM_TIMEOUT_S) -> ParsedQuery:
    """Parse with the LLM; fall back to the rules (and say why in ``notes``) on any failure."""
    rules = parse_query(raw)  # validates the input and is the fallback
    try:
        if llm is None:
            raise RuntimeError("no language model configured")
        doc = llm.generate_json(build_prompt(raw), SCHEMA, max_tokens=200, timeout=timeout)
        parsed = _from_llm(raw, doc)
        if not parsed.semantic and rules.semantic:
            raise ValueError("the model dropped the semantic part of the query")
        parsed.phrases = rules.phrases
        parsed.prefer_formats = rules.prefer_formats
        parsed.orientation = rules.orientation
        return parsed
    except (AdlensError, RuntimeError, ValueError, TypeError, TimeoutError) as exc:
        rules.notes.append(f"LLM parser failed ({type(exc).__name__}: {exc}); used the rule-based parser")
        return rules


__all__ = ["LLM_TIMEOUT_S", "SCHEMA", "build_prompt", "parse_query_llm"]
