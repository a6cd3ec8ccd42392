"""Store layout of the ``images`` application: one collection, one namespace per crawl.

Collection :data:`COLLECTION` (``"images"``) with the vector fields :data:`VECTOR_FIELDS`:

* ``text`` (384, TEXT_SPACE): the fused text-space vector searched by natural-language queries
  (built by :func:`adlens.images.vectors.build_vectors`; the fusion is documented there);
* ``visual`` (1280, VISUAL_SPACE): the image backbone's features (image-to-image search, dedupe);
* ``content`` (384): what is *in* the image only (concepts, OCR, colours, visual projection);
* ``context`` (384): what the page *says* about the image only (alt, caption, heading, nearby text).

Record ids are :func:`record_id` of the image URL; metadata keys are listed in :data:`META_KEYS`
(written by the crawler, filterable with the store's ``where``). :func:`bm25_text` is the keyword
document, :func:`store_metadata` coerces metadata into what the store accepts and
:func:`build_record` puts it all together.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

import numpy as np

from adlens.store import Record
from adlens.store.base import Metadata, VectorStore

COLLECTION = "images"
VECTOR_FIELDS: dict[str, int] = {"text": 384, "visual": 1280, "content": 384, "context": 384}

#: Metadata keys the crawler writes (flat; see the images contract).
META_KEYS: tuple[str, ...] = (
    "image_url",
    "page_url",
    "page_title",
    "page_domain",
    "image_domain",
    "alt",
    "title",
    "caption",
    "aria_label",
    "classes",
    "heading",
    "context",
    "source",
    "format",
    "width",
    "height",
    "declared_width",
    "declared_height",
    "bytes",
    "content_hash",
    "phash",
    "concepts",
    "concept_scores",
    "ocr_text",
    "has_text",
    "has_people",
    "has_visual",
    "page_count",
    "also_on",
    "crawled_at",
    "thumb_url",
)

#: Fields of the keyword document, in order (see :func:`bm25_text`).
BM25_FIELDS: tuple[str, ...] = (
    "alt",
    "title",
    "caption",
    "aria_label",
    "heading",
    "filename",
    "context",
    "ocr_text",
    "concepts",
)

MAX_BM25_CHARS = 4000


def ensure_collection(store: VectorStore) -> None:
    """Create the ``images`` collection if it does not exist (idempotent)."""
    store.create_collection(COLLECTION, dict(VECTOR_FIELDS), exist_ok=True)


def normalise_url(url: str) -> str:
    """Lower-case scheme and host, drop the fragment and a default port; keep path and query."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    port = parts.port
    if port and not ((scheme == "http" and port == 80) or (scheme == "https" and port == 443)):
        host = f"{host}:{port}"
    if parts.username:
        host = f"{parts.username}@{host}"
    return urlunsplit((scheme, host, parts.path or "/", parts.query, ""))


def record_id(image_url: str) -> str:
    """Stable record id: sha1 of the normalised absolute image URL, first 20 hex digits."""
    key = image_url if image_url.startswith("data:") else normalise_url(image_url)
    return hashlib.sha1(key.encode("utf-8")).hexdigest()[:20]


_WORD_SPLIT = re.compile(r"[^A-Za-z0-9]+")
_HASHY = re.compile(r"^(?:[0-9a-f]{8,}|\d+|[0-9]+x[0-9]+|w\d+|h\d+)$", re.IGNORECASE)
_IMG_EXT = {"png", "jpg", "jpeg", "webp", "gif", "svg", "avif", "bmp", "ico", "tif", "tiff"}


def filename_words(image_url: str) -> str:
    """Words of the file name (``/img/apple-watch_hero@2x.png`` -> ``apple watch hero``)."""
    path = urlsplit(image_url).path if not image_url.startswith("data:") else ""
    name = unquote(path.rsplit("/", 1)[-1])
    words = [
        w
        for w in _WORD_SPLIT.split(name)
        if w and w.lower() not in _IMG_EXT and not _HASHY.match(w) and w.lower() != "2x"
    ]
    return " ".join(words)


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value if v)
    return str(value)


def bm25_text(meta: Mapping[str, Any]) -> str:
    """The keyword document of an image: alt, title, caption, aria-label, heading, file-name words,
    context, OCR text and concept labels, de-duplicated, at most :data:`MAX_BM25_CHARS` characters."""
    seen: list[str] = []
    for key in BM25_FIELDS:
        if key == "filename":
            value = filename_words(str(meta.get("image_url") or ""))
        else:
            value = _as_text(meta.get(key)).strip()
        if value and value not in seen:
            seen.append(value)
    return " . ".join(seen)[:MAX_BM25_CHARS]


def context_text(meta: Mapping[str, Any], max_chars: int = 1000) -> str:
    """What the page says about the image, for the ``context`` vector (alt first, nearby text last)."""
    parts: list[str] = []
    for key in ("alt", "title", "caption", "aria_label", "heading", "page_title", "context"):
        value = _as_text(meta.get(key)).strip()
        if value and value not in parts:
            parts.append(value)
    if not parts:
        words = filename_words(str(meta.get("image_url") or ""))
        if words:
            parts.append(words)
    return ". ".join(parts)[:max_chars]


def _meta_value(value: Any) -> Any:
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, int):
        return value if abs(value) <= 2**53 else float(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, list | tuple | set):
        return [str(v) for v in value if v is not None]
    if isinstance(value, Mapping):
        return json.dumps(value, sort_keys=True, default=str)
    return str(value)


def store_metadata(meta: Mapping[str, Any]) -> Metadata:
    """Metadata the store accepts: dicts (e.g. ``concept_scores``) become JSON strings, tuples lists,
    numpy scalars Python numbers, non-finite floats null; invalid keys are dropped."""
    out: Metadata = {}
    for key, value in meta.items():
        if isinstance(key, str) and re.match(r"^[A-Za-z_][A-Za-z0-9_.\-]{0,63}$", key):
            out[key] = _meta_value(value)
    return out


def build_record(meta: Mapping[str, Any], vectors: Mapping[str, np.ndarray]) -> Record:
    """A store record for one image: id from ``meta["image_url"]``, metadata coerced, BM25 text."""
    return Record(
        id=record_id(str(meta["image_url"])),
        vectors=dict(vectors),
        metadata=store_metadata(meta),
        text=bm25_text(meta),
    )


__all__ = [
    "BM25_FIELDS",
    "COLLECTION",
    "META_KEYS",
    "VECTOR_FIELDS",
    "bm25_text",
    "build_record",
    "context_text",
    "ensure_collection",
    "filename_words",
    "normalise_url",
    "record_id",
    "store_metadata",
]
