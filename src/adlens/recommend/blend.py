"""A score blend of two recommenders: per-user z-scored scores, ``a + weight * b``.

Used by the evaluation to mix the two-tower model with an item-item signal (ItemKNN); the weight is
chosen on the validation split only. Reported as its own row, never as "the two-tower model".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp


def _z(scores: np.ndarray) -> np.ndarray:
    s = np.asarray(scores, dtype=np.float64)
    return (s - s.mean(axis=1, keepdims=True)) / (s.std(axis=1, keepdims=True) + 1e-9)


@dataclass
class ZBlend:
    """``z(a.score) + weight * z(b.score)`` per user row (a :class:`~adlens.recommend.evaluation.Scorer`)."""

    a: Any
    b: Any
    weight: float = 0.5

    def score(self, users: np.ndarray, history: sp.csr_matrix) -> np.ndarray:
        return _z(self.a.score(users, history)) + self.weight * _z(self.b.score(users, history))


__all__ = ["ZBlend"]
