"""The seam's contract: anything that turns texts into vectors of a named :class:`Space`.

:class:`~adlens.embed.text.TextEmbedder` (MiniLM, ``text``) and :class:`~adlens.embed.clip.ClipEmbedder`
(``clip:<name>``) both satisfy it, so stores and search code depend on this protocol only.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np

from adlens.embed.spaces import Space


@runtime_checkable
class TextEncoder(Protocol):
    @property
    def space(self) -> Space: ...

    def embed(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        """L2-normalised float32 ``(len(texts), space.dim)``."""
        ...


__all__ = ["TextEncoder"]
