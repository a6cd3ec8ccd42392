"""The filter-aware query planner of the embedded store.

Given the mask of rows that match (namespace, filter, not deleted):

* fewer than ``exact_scan_threshold`` matches -> exact scan over just those rows (a few thousand
  dot products cost well under a millisecond); from :data:`PRESCAN_MIN_ROWS` rows on, an int8
  pre-scan picks the best ``rescore_depth(k)`` rows and those are ranked on float32 (scores are
  always float32; the recall of this step is measured by bench/creators.py);
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

import faiss
import numpy as np

from adlens.store.ann import HnswIndex
from adlens.store.maskcache import Selection
from adlens.store.quantized import Int8Codes

PRESCAN_MIN_ROWS = 512  # int8 wins from ~600 scattered rows of 1M (0.13 vs 0.16 ms; 0.28 vs 0.49 at 2k)


@dataclass(frozen=True, slots=True)
class Plan:
    """What the planner did, for tests and benchmarks."""

    kind: Literal["exact", "ann", "ann+exact", "empty"]
    matches: int
    ef: int = 0


def rescore_depth(k: int) -> int:
    """How many int8 pre-scan candidates are ranked again on float32 rows."""
    return max(128, 4 * k)


def exact_topk(
    matrix: np.ndarray,
    q: np.ndarray,
    k: int,
    positions: np.ndarray | None = None,
    get_codes: Callable[[], Int8Codes | None] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Exact top-k (scores, positions) by inner product, best first.

    With ``get_codes`` and at least :data:`PRESCAN_MIN_ROWS` rows (and 4x :func:`rescore_depth`), the
    rows are first scored on their int8 codes and only the best ``rescore_depth(k)`` (plus every row
    within the codes' error margin of the last of them, and every clipped row) are scored on float32
    (see :mod:`adlens.store.quantized`); the scores returned are always float32 ones.
    ``get_codes`` may return ``None`` (codes not built yet): then every row is scored on float32.
    Equal scores are ordered by position, so a top k is always the start of a deeper top k (pages).

    The scores come from FAISS's ``fvec_inner_products_by_idx``: it reads only the selected rows in
    place (no gathered copy of them, no BLAS call), about 3-10x faster than ``matrix[positions] @ q``
    for a few thousand scattered rows here, where memory bandwidth is the limit. It runs in the
    calling thread (OpenMP threads 1: with a request per thread, thread pools only add contention).
    """
    if positions is None:
        positions = np.arange(matrix.shape[0], dtype=np.int64)
    m = int(positions.shape[0])
    if m == 0:
        return np.empty(0, np.float32), positions
    depth = rescore_depth(k)
    codes = get_codes() if get_codes is not None and m >= PRESCAN_MIN_ROWS and 4 * depth <= m else None
    if codes is not None:
        approx = codes.scores(q, positions)
        kth = np.partition(approx, m - depth)[m - depth]  # the depth-th best int8 score
        near = positions[approx >= kth - codes.margin(q)]  # ties and near-ties included, in order
        clipped = codes.clipped_among(positions)
        positions = np.union1d(near, clipped) if clipped.shape[0] else near
        m = int(positions.shape[0])
    matrix = np.ascontiguousarray(matrix, dtype=np.float32)
    qv = np.ascontiguousarray(q, dtype=np.float32)
    ids = np.ascontiguousarray(positions, dtype=np.int64)
    scores = np.empty(m, np.float32)
    faiss.omp_set_num_threads(1)
    faiss.fvec_inner_products_by_idx(  # type: ignore[attr-defined]
        faiss.swig_ptr(scores),
        faiss.swig_ptr(qv),
        faiss.swig_ptr(matrix),
        faiss.swig_ptr(ids),
        matrix.shape[1],
        1,
        m,
    )
    k = min(k, m)
    top = np.flatnonzero(scores >= np.partition(scores, m - k)[m - k]) if k < m else np.arange(m)
    order = top[np.lexsort((ids[top], -scores[top]))][:k]  # best first, ties by position
    return scores[order], ids[order]


def choose_ef(k: int, selectivity: float, ef_search: int, ef_max: int) -> int:
    sel = max(selectivity, 1e-6)
    return int(min(ef_max, max(k, math.ceil(ef_search * math.sqrt(1.0 / sel)))))


def plan_and_search(
    matrix: np.ndarray,
    q: np.ndarray,
    k: int,
    sel: Selection,
    *,
    all_allowed: bool,
    exact_scan_threshold: int,
    get_index: Callable[[], HnswIndex],
    get_codes: Callable[[], Int8Codes | None] | None = None,
    ef_search: int = 256,
    ef_max: int = 2048,
) -> tuple[np.ndarray, np.ndarray, Plan]:
    """Run the plan; returns (scores, positions, plan). ``sel`` covers ``matrix`` rows ``0..sel.n-1``."""
    n = sel.n
    matches = n if all_allowed else sel.count
    if matches == 0:
        return np.empty(0, np.float32), np.empty(0, np.int64), Plan("empty", 0)
    want = min(k, matches)
    if matches < exact_scan_threshold:
        s, p = exact_topk(matrix[:n], q, k, None if all_allowed else sel.positions(), get_codes)
        return s, p, Plan("exact", matches)
    index = get_index()
    ef = choose_ef(k, matches / max(n, 1), ef_search, ef_max)
    s, p = index.search(q, k, ef=ef, allowed_bits=None if all_allowed else sel.bits(index.ntotal))
    ok = p >= 0
    if int(ok.sum()) >= want:
        return s[ok], p[ok].astype(np.int64), Plan("ann", matches, ef)
    s, p = exact_topk(matrix[:n], q, k, None if all_allowed else sel.positions(), get_codes)
    return s, p, Plan("ann+exact", matches, ef)


__all__ = ["PRESCAN_MIN_ROWS", "Plan", "choose_ef", "exact_topk", "plan_and_search", "rescore_depth"]
