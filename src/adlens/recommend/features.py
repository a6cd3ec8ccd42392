"""Item content features for the item tower: title text embeddings (cached), categories, images.

Title embeddings come from :class:`adlens.embed.TextEmbedder` (MiniLM, the shared ``text`` space) and
are cached as ``.npy`` under ``cache_dir``, keyed by the titles and the space's model version, so a
different embedder version never reuses stale vectors.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from adlens.errors import InvalidInput
from adlens.recommend.data import InteractionDataset


@dataclass(frozen=True)
class ItemContent:
    """The dense content matrix and what went into it (recorded in checkpoints)."""

    matrix: np.ndarray  # (n_items, d) float32
    parts: tuple[str, ...]  # e.g. ("text", "categories")
    text_space: dict[str, Any] | None  # the embedding space of the text part, if any


def title_embeddings(
    titles: tuple[str, ...] | list[str], cache_dir: str | Path, embedder: Any = None
) -> tuple[np.ndarray, dict[str, Any]]:
    """``(n, 384)`` MiniLM embeddings of ``titles`` and the space they live in (cached on disk)."""
    if embedder is None:
        from adlens.embed.text import TextEmbedder

        embedder = TextEmbedder(Path(cache_dir) / "models")
    space = embedder.space.as_dict()
    key = hashlib.sha256(json.dumps([space, list(titles)]).encode()).hexdigest()[:16]
    path = Path(cache_dir) / f"titles-{key}.npy"
    if path.is_file():
        emb = np.load(path)
        if emb.shape == (len(titles), space["dim"]):
            return emb, space
    emb = np.asarray(embedder.embed(list(titles)), dtype=np.float32)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".npy.tmp")
    with os.fdopen(fd, "wb") as fh:
        np.save(fh, emb)
    os.replace(tmp, path)
    return emb, space


def pca(x: np.ndarray, dim: int) -> np.ndarray:
    """Project centred ``x`` on its top ``dim`` principal axes (signs fixed for determinism).

    A catalogue with fewer items than ``dim`` has fewer axes: the missing columns are zeros, so the
    output width (and every model shape behind it) stays ``dim``.
    """
    centred = x - x.mean(axis=0, keepdims=True)
    _, _, vt = np.linalg.svd(centred.astype(np.float64), full_matrices=False)
    axes = vt[:dim]
    axes *= np.sign(axes[np.arange(len(axes)), np.abs(axes).argmax(axis=1)])[:, None]
    out = np.zeros((x.shape[0], dim), dtype=np.float32)
    out[:, : len(axes)] = centred @ axes.T
    return out


def item_content(
    ds: InteractionDataset,
    *,
    text: np.ndarray | None = None,
    text_space: dict[str, Any] | None = None,
    use_categories: bool = True,
    use_images: bool = True,
    text_dim: int = 0,
) -> ItemContent:
    """Concatenate the available item features (text, categories, image), each block L2-scaled.

    ``text_dim > 0`` first reduces the text block to that many principal components (an exact,
    deterministic SVD), which keeps the item tower cheap on two CPU cores.
    """
    blocks: list[np.ndarray] = []
    parts: list[str] = []
    if text is not None:
        if text.shape[0] != ds.n_items:
            raise InvalidInput(f"text embeddings have {text.shape[0]} rows for {ds.n_items} items")
        block = np.asarray(text, dtype=np.float32)
        if 0 < text_dim < block.shape[1]:
            block = pca(block, text_dim)
        blocks.append(block / np.maximum(np.linalg.norm(block, axis=1, keepdims=True), 1e-6))
        parts.append("text" if not 0 < text_dim < text.shape[1] else f"text-pca{text_dim}")
    if use_categories and ds.item_categories is not None:
        cats = ds.item_categories.astype(np.float32)
        norms = np.linalg.norm(cats, axis=1, keepdims=True)
        blocks.append(cats / np.maximum(norms, 1e-6))
        parts.append("categories")
    if use_images and ds.item_image_features is not None:
        img = ds.item_image_features.astype(np.float32)
        blocks.append(img / np.maximum(np.linalg.norm(img, axis=1, keepdims=True), 1e-6))
        parts.append("image")
    matrix = np.concatenate(blocks, axis=1) if blocks else np.zeros((ds.n_items, 0), dtype=np.float32)
    return ItemContent(matrix, tuple(parts), text_space if text is not None else None)


__all__ = ["ItemContent", "item_content", "pca", "title_embeddings"]
