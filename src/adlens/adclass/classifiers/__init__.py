"""Ad classifiers for brand keywords: relevance + theme, behind one :class:`Classifier` interface.

``get_classifier("fast" | "llm" | "ensemble", runtime)`` returns a classifier; ``train_head`` fits the
theme head used by ``fast`` from labelled examples (the labelling loop's "retrain").
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from adlens.adclass.classifiers.base import (
    EMPTY_NOTE,
    MAX_AD_CHARS,
    TRUNCATION_NOTE,
    Ad,
    AdText,
    BrandProfile,
    Classifier,
    Prediction,
    ad_text,
)
from adlens.adclass.classifiers.brand import profile_for
from adlens.adclass.classifiers.fast import FastClassifier
from adlens.adclass.classifiers.themes import UNRELATED, Theme, ThemeSet
from adlens.adclass.classifiers.training import train_head
from adlens.adclass.classifiers.views import mpnet_source
from adlens.errors import InvalidInput

BACKENDS = ("fast", "llm", "ensemble")


def get_classifier(
    name: str,
    runtime: Any,
    themes: ThemeSet | None = None,
    head_path: Path | None = None,
) -> Classifier:
    """The classifier called ``name`` over ``runtime``'s embedder (and llm for ``llm``/``ensemble``).

    Without ``themes``, the deployment's theme set (``settings.adclass_themes_path``) or the packaged one.
    Raises ``InvalidInput`` for an unknown name and ``Unavailable`` when the llm cannot be loaded (or a
    configured themes file cannot be used).
    """
    if name not in BACKENDS:
        raise InvalidInput(f"unknown classifier {name!r}; use one of: {', '.join(BACKENDS)}")
    if themes is None:
        from adlens.adclass.deployment import configured_themes

        themes = configured_themes(getattr(runtime, "settings", None))
    fast = FastClassifier(runtime.text_embedder, themes, head_path, second_view=mpnet_source(runtime))
    if name == "fast":
        return fast
    from adlens.adclass.classifiers.llm import LlmClassifier

    llm = LlmClassifier.from_runtime(runtime, themes, fallback=fast)
    if name == "llm":
        return llm
    from adlens.adclass.classifiers.ensemble import EnsembleClassifier

    return EnsembleClassifier(fast, llm)


def available_backends() -> Sequence[str]:
    return BACKENDS


__all__ = [
    "BACKENDS",
    "EMPTY_NOTE",
    "MAX_AD_CHARS",
    "TRUNCATION_NOTE",
    "UNRELATED",
    "Ad",
    "AdText",
    "BrandProfile",
    "Classifier",
    "FastClassifier",
    "Prediction",
    "Theme",
    "ThemeSet",
    "ad_text",
    "available_backends",
    "get_classifier",
    "profile_for",
    "train_head",
]
