"""The filter-aware query planner of the embedded store.

Given the mask of rows that match (namespace, filter, not deleted):

* fewer than ``exact_scan_threshold`` matches -> exact scan: one matrix product over just those
  rows (recall 1.0; a few thousand dot products cost well under a millisecond);
* otherwise ANN (HNSW) with the mask as an in-search filter, ``efSearch`` raised as the
  selectivity drops (``ef = clamp(ef_search * sqrt(1 / selectivity), k, ef_max)``);
* if ANN returns fewer than ``min(k, matches)`` rows, fall back to the exact scan, so the
  invariant holds: when at least k rows match, exactly k come back.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np

from adlens.store.ann import HnswIndex


@dataclass(frozen=True, slots=True)
class Plan:
    """What the planner did, for tests and benchmarks."""

    kind: Literal["exact", "ann", "ann+exact", "empty"]
    matches: int
    ef: int = 0


def exact_topk(
    matrix: np.ndarray, q: np.ndarray, k: int, positions: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Exact top-k (scores, positions) by inner product, best first."""
    if positions is None:
        scores = matrix @ q
        positions = np.arange(matrix.shape[0])
    elif positions.shape[0] * 4 > matrix.shape[0]:
        scores = (matrix @ q)[positions]  # one contiguous pass beats a large gather
    else:
        scores = matrix[positions] @ q
    if scores.shape[0] == 0:
        return scores, positions
    k = min(k, scores.shape[0])
    top = np.argpartition(-scores, k - 1)[:k] if k < scores.shape[0] else np.arange(scores.shape[0])
    order = top[np.argsort(-scores[top], kind="stable")]
    return scores[order], positions[order]


def choose_ef(k: int, selectivity: float, ef_search: int, ef_max: int) -> int:
    sel = max(selectivity, 1e-6)
    return int(min(ef_max, max(k, math.ceil(ef_search * math.sqrt(1.0 / sel)))))


def plan_and_search(
    matrix: np.ndarray,
    q: np.ndarray,
    k: int,
    mask: np.ndarray,
    *,
    all_allowed: bool,
    exact_scan_threshold: int,
    get_index: Callable[[], HnswIndex],
    ef_search: int = 128,
    ef_max: int = 2048,
) -> tuple[np.ndarray, np.ndarray, Plan]:
    """Run the plan; returns (scores, positions, plan). ``mask`` covers ``matrix`` rows."""
    n = int(mask.shape[0])
    matches = n if all_allowed else int(np.count_nonzero(mask))
    if matches == 0:
        return np.empty(0, np.float32), np.empty(0, np.int64), Plan("empty", 0)
    want = min(k, matches)
    if matches < exact_scan_threshold:
        pos = None if all_allowed else np.flatnonzero(mask)
        s, p = exact_topk(matrix[:n], q, k, pos)
        return s, p, Plan("exact", matches)
    index = get_index()
    ef = choose_ef(k, matches / max(n, 1), ef_search, ef_max)
    s, p = index.search(q, k, ef=ef, allowed=None if all_allowed else mask)
    ok = p >= 0
    if int(ok.sum()) >= want:
        return s[ok], p[ok].astype(np.int64), Plan("ann", matches, ef)
    pos = None if all_allowed else np.flatnonzero(mask)
    s, p = exact_topk(matrix[:n], q, k, pos)
    return s, p, Plan("ann+exact", matches, ef)


__all__ = ["Plan", "choose_ef", "exact_topk", "plan_and_search"]
