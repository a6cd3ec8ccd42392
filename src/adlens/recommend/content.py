"""The item tower's input as a fitted, reusable transform: text embedding (+PCA) and genres.

:func:`adlens.recommend.features.item_content` builds the content matrix of a fixed catalogue.
Serving must also encode items that arrive later (cold-start items), so :class:`ContentEncoder`
keeps what was fitted (the PCA mean and axes, the genre vocabulary, the text embedding space) and
produces exactly the same rows for catalogue items as ``item_content`` does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from adlens.errors import InvalidInput, SpaceMismatch


def _unit_rows(x: np.ndarray) -> np.ndarray:
    return (x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-6)).astype(np.float32)


@dataclass(frozen=True)
class ContentEncoder:
    """Text (optional PCA to ``text_dim``) and multi-hot genres, each block L2-normalised."""

    parts: tuple[str, ...]
    text_space: dict[str, Any] | None
    genres: tuple[str, ...]
    text_dim: int = 0
    pca_mean: np.ndarray | None = None  # (d_text,)
    pca_axes: np.ndarray | None = None  # (<= text_dim, d_text)

    @property
    def uses_text(self) -> bool:
        return self.text_space is not None

    @property
    def dim(self) -> int:
        text = 0
        if self.text_space is not None:
            text = self.text_dim if self.pca_axes is not None else int(self.text_space["dim"])
        return text + (len(self.genres) if "categories" in self.parts else 0)

    @classmethod
    def fit(
        cls,
        text: np.ndarray | None,
        text_space: dict[str, Any] | None,
        genres: Sequence[str],
        *,
        use_categories: bool = True,
        text_dim: int = 0,
    ) -> ContentEncoder:
        """Fit on the catalogue's text embeddings (``None`` without text) and genre vocabulary."""
        parts: list[str] = []
        mean = axes = None
        if text is not None:
            if text_space is None:
                raise InvalidInput("text embeddings need their embedding space")
            x = np.asarray(text, dtype=np.float64)
            if 0 < text_dim < x.shape[1]:
                mean = x.mean(axis=0)
                _, _, vt = np.linalg.svd(x - mean, full_matrices=False)
                axes = vt[:text_dim].copy()
                axes *= np.sign(axes[np.arange(len(axes)), np.abs(axes).argmax(axis=1)])[:, None]
                parts.append(f"text-pca{text_dim}")
            else:
                parts.append("text")
        if use_categories and genres:
            parts.append("categories")
        return cls(
            tuple(parts),
            text_space if text is not None else None,
            tuple(genres),
            text_dim if axes is not None else 0,
            None if mean is None else mean.astype(np.float64),
            axes,
        )

    def genre_matrix(self, genre_lists: Sequence[Sequence[str]]) -> np.ndarray:
        index = {g: j for j, g in enumerate(self.genres)}
        out = np.zeros((len(genre_lists), len(self.genres)), dtype=np.float32)
        for i, gs in enumerate(genre_lists):
            for g in gs:
                if g not in index:
                    raise InvalidInput(f"unknown genre {g!r}; known: {', '.join(self.genres)}")
                out[i, index[g]] = 1.0
        return out

    def check_space(self, space: dict[str, Any]) -> None:
        """Refuse text vectors from another embedding space than the one the model was trained on."""
        if self.text_space is not None and dict(space) != dict(self.text_space):
            raise SpaceMismatch(
                f"the model was trained on text space {self.text_space}, the embedder gives {dict(space)}",
                detail={"expected": self.text_space, "got": dict(space)},
            )

    def encode(self, text: np.ndarray | None, categories: np.ndarray | None) -> np.ndarray:
        """``(n, dim)`` content rows from text embeddings ``(n, d_text)`` and multi-hot ``(n, n_genres)``."""
        blocks: list[np.ndarray] = []
        n = None
        if self.uses_text:
            if text is None:
                raise InvalidInput("this model needs a text embedding for every item")
            x = np.asarray(text, dtype=np.float64)
            n = len(x)
            if self.pca_axes is not None and self.pca_mean is not None:
                proj = np.zeros((len(x), self.text_dim), dtype=np.float64)
                proj[:, : len(self.pca_axes)] = (x - self.pca_mean) @ self.pca_axes.T
                x = proj
            blocks.append(_unit_rows(x.astype(np.float32)))
        if "categories" in self.parts:
            if categories is None:
                raise InvalidInput("this model needs the genres of every item")
            cats = np.asarray(categories, dtype=np.float32)
            if cats.shape[1] != len(self.genres) or (n is not None and len(cats) != n):
                raise InvalidInput(f"genre matrix is {cats.shape}, expected (n, {len(self.genres)})")
            n = len(cats)
            blocks.append(_unit_rows(cats))
        if not blocks:
            return np.zeros((0 if n is None else n, 0), dtype=np.float32)
        return np.concatenate(blocks, axis=1)

    def to_meta(self) -> dict[str, Any]:
        return {
            "parts": list(self.parts),
            "text_space": self.text_space,
            "genres": list(self.genres),
            "text_dim": self.text_dim,
        }

    @classmethod
    def from_meta(
        cls, meta: dict[str, Any], mean: np.ndarray | None, axes: np.ndarray | None
    ) -> ContentEncoder:
        return cls(
            tuple(meta["parts"]),
            meta.get("text_space"),
            tuple(meta["genres"]),
            int(meta.get("text_dim", 0)),
            mean,
            axes,
        )


__all__ = ["ContentEncoder"]
