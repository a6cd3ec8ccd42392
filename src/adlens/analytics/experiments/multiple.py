"""Multiple-testing corrections: Holm (FWER), Benjamini–Hochberg (FDR), Bonferroni."""

from __future__ import annotations

from typing import Literal

import numpy as np

from adlens.errors import InvalidInput

Correction = Literal["holm", "bh", "bonferroni", "none"]
CORRECTIONS: tuple[str, ...] = ("holm", "bh", "bonferroni", "none")
CORRECTION_NAMES = {"holm": "Holm", "bh": "Benjamini–Hochberg", "bonferroni": "Bonferroni", "none": "no"}


def _check(pvalues: np.ndarray) -> np.ndarray:
    p = np.asarray(pvalues, dtype=float)
    if p.ndim != 1 or np.any(~np.isfinite(p)) or np.any((p < 0) | (p > 1)):
        raise InvalidInput("p-values must be finite numbers in [0, 1]")
    return p


def holm(pvalues: np.ndarray) -> np.ndarray:
    """Holm step-down adjusted p-values: max_{j<=i} min(1, (m - j + 1) p_(j))."""
    p = _check(pvalues)
    m = p.size
    order = np.argsort(p, kind="mergesort")
    adj = np.minimum(1.0, np.maximum.accumulate((m - np.arange(m)) * p[order]))
    out = np.empty(m)
    out[order] = adj
    return out


def benjamini_hochberg(pvalues: np.ndarray) -> np.ndarray:
    """BH step-up adjusted p-values: min_{j>=i} min(1, m p_(j) / j)."""
    p = _check(pvalues)
    m = p.size
    order = np.argsort(p, kind="mergesort")
    scaled = p[order] * m / np.arange(1, m + 1)
    adj = np.minimum(1.0, np.minimum.accumulate(scaled[::-1])[::-1])
    out = np.empty(m)
    out[order] = adj
    return out


def adjust(pvalues: np.ndarray, method: str = "holm") -> np.ndarray:
    """Adjusted p-values for ``method`` in ``holm``, ``bh``, ``bonferroni``, ``none``."""
    p = _check(pvalues)
    if p.size == 0:
        return p
    if method == "holm":
        return holm(p)
    if method == "bh":
        return benjamini_hochberg(p)
    if method == "bonferroni":
        return np.minimum(1.0, p * p.size)
    if method == "none":
        return p.copy()
    raise InvalidInput(f"unknown correction '{method}' (choose one of {', '.join(CORRECTIONS)})")


__all__ = ["CORRECTIONS", "CORRECTION_NAMES", "Correction", "adjust", "benjamini_hochberg", "holm"]
