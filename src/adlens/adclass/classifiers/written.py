"""Our own written example posts per theme (``data/theme_examples.yaml``, CC0), for the packaged head."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from importlib import resources

import yaml


@lru_cache(maxsize=1)
def _load() -> dict[str, tuple[str, ...]]:
    text = resources.files("adlens.adclass").joinpath("data/theme_examples.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text) or {}
    return {str(k): tuple(str(t) for t in v or []) for k, v in data.items()}


def written_examples(classes: Sequence[str]) -> list[tuple[str, str]]:
    """``(text, theme)`` pairs for the themes in ``classes`` (themes we wrote no examples for are skipped)."""
    known = _load()
    return [(text, name) for name in classes for text in known.get(name, ())]


__all__ = ["written_examples"]
