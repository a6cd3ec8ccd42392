"""Small formatting helpers shared by the causal use cases (JSON-safe floats, plain-language numbers)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from adlens.analytics.panel import to_plain

__all__ = ["f", "num", "series_rows"]


def f(x: Any) -> float | None:
    x = float(x)
    return x if np.isfinite(x) else None


def num(x: float | None, digits: int = 3) -> str:
    return (
        "n/a"
        if x is None or not np.isfinite(x)
        else f"{x:,.{digits}g}"
        if abs(x) >= 1000
        else f"{x:.{digits}f}"
    )


def series_rows(index: Sequence[Any], **cols: Any) -> list[dict[str, Any]]:
    return [{"time": to_plain(t), **{k: f(v[i]) for k, v in cols.items()}} for i, t in enumerate(index)]
