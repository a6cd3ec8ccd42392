"""Top-k ranking metrics, vectorised over users (binary relevance).

Inputs are a ``hits`` matrix (users x K, True where the item at that rank is relevant, ranks
1..K from the left) and ``n_relevant`` (users,), the number of relevant items each user has.
Definitions (both libraries agree unless noted):

* nDCG@k = sum_{hit r<=k} 1/ln(1+r) / sum_{r<=min(n_rel,k)} 1/ln(1+r). Microsoft ``ndcg_at_k``
  (``score_type="binary"``, ``discfun_type="loge"``) and RecBole ``ndcg`` (log2) are the same number:
  the log base cancels in the ratio.
* HR@k (RecBole ``hit``): 1 if any hit in the top k.
* MRR@k (RecBole ``mrr``): 1 / rank of the first hit within the top k, else 0.
* Precision@k: hits in the top k / k (both libraries divide by k, even when fewer items are ranked).
* Recall@k: hits in the top k / n_rel (Microsoft ``recall_at_k`` and RecBole ``recall`` both divide by
  the number of the user's test items, so recall@10 < 1 whenever a user has > 10 test items).
* MAP (Microsoft ``map``): sum_{hit r<=k} precision@r / n_rel.
  MAP@k (RecBole ``map`` and Microsoft ``map_at_k``): the same sum / min(n_rel, k).
* Coverage@k: distinct items recommended in any top-k list / catalogue size.

Users with ``n_relevant == 0`` must be dropped before averaging (both libraries skip them).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from adlens.errors import InvalidInput


def _check(hits: np.ndarray, n_relevant: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    hits = np.asarray(hits, dtype=bool)
    n_rel = np.asarray(n_relevant, dtype=np.float64)
    if hits.ndim != 2 or n_rel.shape != (hits.shape[0],):
        raise InvalidInput("hits must be (users, K) and n_relevant (users,)")
    if k < 1 or k > hits.shape[1]:
        raise InvalidInput(f"k must be in 1..{hits.shape[1]}, got {k}")
    if np.any(n_rel <= 0):
        raise InvalidInput("every user needs at least one relevant item")
    return hits[:, :k], n_rel


def _discounts(k: int) -> np.ndarray:
    return 1.0 / np.log1p(np.arange(1, k + 1, dtype=np.float64))


def ndcg_at_k(hits: np.ndarray, n_relevant: np.ndarray, k: int) -> np.ndarray:
    """Per-user binary nDCG@k (natural-log discount)."""
    h, n_rel = _check(hits, n_relevant, k)
    disc = _discounts(k)
    dcg = (h * disc).sum(axis=1)
    ideal = np.cumsum(disc)[np.minimum(n_rel, k).astype(np.int64) - 1]
    return dcg / ideal


def hit_rate_at_k(hits: np.ndarray, n_relevant: np.ndarray, k: int) -> np.ndarray:
    h, _ = _check(hits, n_relevant, k)
    return np.asarray(h.any(axis=1), dtype=np.float64)


def mrr_at_k(hits: np.ndarray, n_relevant: np.ndarray, k: int) -> np.ndarray:
    h, _ = _check(hits, n_relevant, k)
    first = np.argmax(h, axis=1)
    return np.where(h.any(axis=1), 1.0 / (first + 1), 0.0)


def precision_at_k(hits: np.ndarray, n_relevant: np.ndarray, k: int) -> np.ndarray:
    h, _ = _check(hits, n_relevant, k)
    return h.sum(axis=1) / k


def recall_at_k(hits: np.ndarray, n_relevant: np.ndarray, k: int) -> np.ndarray:
    h, n_rel = _check(hits, n_relevant, k)
    return h.sum(axis=1) / n_rel


def average_precision(
    hits: np.ndarray, n_relevant: np.ndarray, k: int, *, cap_at_k: bool = False
) -> np.ndarray:
    """Per-user AP over the top k: Microsoft ``map`` (÷ n_rel) or, with ``cap_at_k``, ``map_at_k`` (÷ min(n_rel, k))."""
    h, n_rel = _check(hits, n_relevant, k)
    prec = np.cumsum(h, axis=1) / np.arange(1, k + 1)
    denom = np.minimum(n_rel, k) if cap_at_k else n_rel
    return (prec * h).sum(axis=1) / denom


def coverage(topk: np.ndarray, n_items: int) -> float:
    """Share of the catalogue that appears in at least one top-k list."""
    topk = np.asarray(topk)
    if n_items < 1:
        raise InvalidInput("n_items must be >= 1")
    valid = topk[topk >= 0]
    return float(len(np.unique(valid)) / n_items)


def summarise(hits: np.ndarray, n_relevant: np.ndarray, ks: Iterable[int] = (10, 20)) -> dict[str, float]:
    """Mean of every metric at every k in ``ks`` (keys like ``ndcg@10``, ``map``, ``map@10``)."""
    out: dict[str, float] = {}
    for k in ks:
        out[f"ndcg@{k}"] = float(ndcg_at_k(hits, n_relevant, k).mean())
        out[f"hit@{k}"] = float(hit_rate_at_k(hits, n_relevant, k).mean())
        out[f"mrr@{k}"] = float(mrr_at_k(hits, n_relevant, k).mean())
        out[f"precision@{k}"] = float(precision_at_k(hits, n_relevant, k).mean())
        out[f"recall@{k}"] = float(recall_at_k(hits, n_relevant, k).mean())
        out[f"map@{k}"] = float(average_precision(hits, n_relevant, k, cap_at_k=True).mean())
    first = min(ks)
    out["map"] = float(average_precision(hits, n_relevant, first).mean())
    return out


__all__ = [
    "average_precision",
    "coverage",
    "hit_rate_at_k",
    "mrr_at_k",
    "ndcg_at_k",
    "precision_at_k",
    "recall_at_k",
    "summarise",
]
