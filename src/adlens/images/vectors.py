"""The vectors stored for each image, and how the text-space parts are fused.

For one image (the embed seam's :class:`~adlens.embed.ImageAnalysis`, analysed **without** page
context, plus the crawler's metadata):

* ``content`` = ``analysis.text_vector``: ConSE over ImageNet concepts + OCR text + colours (see
  :mod:`adlens.embed.image`); for an image with no analysis (SVG indexed by its text, undecodable but
  kept) the embedding of its OCR/SVG text, else of its context;
* ``context`` = the MiniLM embedding of :func:`adlens.images.schema.context_text` (alt, title,
  caption, aria-label, heading, page title, nearby text; file-name words when there is nothing else);
* ``text`` = ``normalise(W_CONTENT * content + W_CONTEXT * context)`` — the shipped fusion, 1:1 (the
  context weight is the best mean dev R@10 over caption-quality and 4-word-alt page text in
  ``eval/images.py``; Flickr8k test R@10 85.8 % / 54.9 % vs 23.5 % for the image content alone; see
  docs/images.md);
* ``visual`` = the 1280-d backbone features; an image without them gets :data:`VISUAL_PLACEHOLDER`
  (a fixed unit vector; the crawler marks such records ``has_visual=False`` and image-to-image search
  skips them).

Every vector is L2-normalised and never zero (the store rejects zero vectors).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from adlens.embed import ImageAnalysis
from adlens.embed.protocol import TextEncoder
from adlens.images.schema import VECTOR_FIELDS, context_text, filename_words

#: Weight of the image-content vector in the fused ``text`` vector.
W_CONTENT = 1.0
#: Weight of the page-context vector in the fused ``text`` vector.
W_CONTEXT = 1.0

_VIS_DIM = VECTOR_FIELDS["visual"]
_TXT_DIM = VECTOR_FIELDS["text"]
VISUAL_PLACEHOLDER: np.ndarray = np.full(_VIS_DIM, 1.0 / np.sqrt(_VIS_DIM), dtype=np.float32)

Item = tuple[ImageAnalysis | None, Mapping[str, Any]]


def _unit(v: np.ndarray) -> np.ndarray:
    n = float(np.linalg.norm(v))
    return (v / n).astype(np.float32) if n > 0 and np.isfinite(n) else v.astype(np.float32)


def fuse(parts: Sequence[tuple[float, np.ndarray | None]]) -> np.ndarray | None:
    """``normalise(sum w * v)`` over the parts that are present (None when nothing is)."""
    total: np.ndarray | None = None
    for w, v in parts:
        if v is None or w == 0:
            continue
        total = w * v if total is None else total + w * v
    if total is None or float(np.linalg.norm(total)) == 0.0:
        return None
    return _unit(total)


def _fallback_text(analysis: ImageAnalysis | None, meta: Mapping[str, Any]) -> str:
    """Text standing in for the image content when there is no analysis."""
    for key in ("ocr_text", "concepts"):
        value = meta.get(key)
        if isinstance(value, list):
            value = ", ".join(str(v) for v in value)
        if value and str(value).strip():
            return str(value).strip()[:1000]
    return ""


def build_vectors_many(
    items: Sequence[Item],
    text_embedder: TextEncoder,
    *,
    w_content: float = W_CONTENT,
    w_context: float = W_CONTEXT,
) -> list[dict[str, np.ndarray]]:
    """Vectors for several images, embedding every text in one batch (see the module docstring)."""
    texts: list[str] = []
    index: dict[str, int] = {}

    def slot(text: str) -> int | None:
        if not text:
            return None
        if text not in index:
            index[text] = len(texts)
            texts.append(text)
        return index[text]

    plans: list[tuple[int | None, int | None, int | None]] = []
    for analysis, meta in items:
        ctx = slot(context_text(meta))
        fb = slot(_fallback_text(analysis, meta)) if analysis is None else None
        last = None
        if ctx is None and fb is None and analysis is None:
            last = slot(filename_words(str(meta.get("image_url") or "")) or "image")
        plans.append((ctx, fb, last))
    mat = (
        np.asarray(text_embedder.embed(texts), dtype=np.float32)
        if texts
        else np.zeros((0, _TXT_DIM), np.float32)
    )
    out: list[dict[str, np.ndarray]] = []
    for (analysis, _meta), (ctx, fb, last) in zip(items, plans, strict=True):
        context = mat[ctx] if ctx is not None else None
        if analysis is not None:
            content: np.ndarray | None = _unit(np.asarray(analysis.text_vector, np.float32))
            visual = _unit(np.asarray(analysis.visual, np.float32))
        else:
            content = mat[fb] if fb is not None else None
            visual = VISUAL_PLACEHOLDER
        if content is None or not np.any(content):
            content = context if context is not None else (mat[last] if last is not None else None)
        if context is None:
            context = content
        assert content is not None and context is not None  # one of them always exists
        text = fuse([(w_content, content), (w_context, context)])
        out.append(
            {
                "text": text if text is not None else content,
                "visual": visual if np.any(visual) else VISUAL_PLACEHOLDER,
                "content": content,
                "context": context,
            }
        )
    return out


def build_vectors(
    analysis: ImageAnalysis | None, meta: Mapping[str, Any], text_embedder: TextEncoder
) -> dict[str, np.ndarray]:
    """The vectors to upsert for one image: ``{"text", "visual", "content", "context"}``."""
    return build_vectors_many([(analysis, meta)], text_embedder)[0]


__all__ = [
    "VECTOR_FIELDS",
    "VISUAL_PLACEHOLDER",
    "W_CONTENT",
    "W_CONTEXT",
    "build_vectors",
    "build_vectors_many",
    "fuse",
]
