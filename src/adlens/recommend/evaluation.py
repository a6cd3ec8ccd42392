"""Ranking tasks (what a model sees, what it must find, what it may not recommend) and their evaluation.

A :class:`RankingTask` holds three users x items CSR matrices: ``history`` (the interactions a model
may use as input), ``target`` (the held-out relevant items) and ``exclude`` (items never to be
recommended: the user's training items, plus validation items when testing under RecBole), and an
optional ``candidates`` mask (the Microsoft protocol ranks only items present in the training data,
as cornac does). Models implement :class:`Scorer`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import scipy.sparse as sp

from adlens.errors import InvalidInput
from adlens.recommend.data import InteractionDataset
from adlens.recommend.metrics import coverage, summarise
from adlens.recommend.splits import Split


class Scorer(Protocol):
    """Anything that scores every item for a batch of users given their history rows."""

    def score(self, users: np.ndarray, history: sp.csr_matrix) -> np.ndarray:
        """``(len(users), n_items)`` scores; ``history`` holds the rows of exactly these users."""
        ...


@dataclass(frozen=True)
class RankingTask:
    history: sp.csr_matrix
    target: sp.csr_matrix
    exclude: sp.csr_matrix
    candidates: np.ndarray | None = None  # bool (n_items,)

    @property
    def users(self) -> np.ndarray:
        """Users with at least one target and one history item (the only ones evaluated, as both
        libraries do: RecBole skips users without test items, Microsoft scores users present in both
        the predictions, which exist for training users only, and the test set)."""
        return np.flatnonzero((np.diff(self.target.indptr) > 0) & (np.diff(self.history.indptr) > 0))


def _mat(ds: InteractionDataset, rows: np.ndarray) -> sp.csr_matrix:
    return ds.csr(rows)


def validation_task(ds: InteractionDataset, split: Split) -> RankingTask:
    """Train -> valid (used for tuning and early stopping only)."""
    if len(split.valid) == 0:
        raise InvalidInput("split has no validation rows; carve one with carve_validation()")
    train = _mat(ds, split.train)
    cands = _train_items(train) if split.protocol == "msr" else None
    return RankingTask(history=train, target=_mat(ds, split.valid), exclude=train, candidates=cands)


def holdout_task(ds: InteractionDataset, split: Split) -> RankingTask:
    """The published test setting for ``split.protocol``.

    ``msr``: history = exclude = train + valid (the whole 75 %), candidates = items seen in it.
    ``recbole``: history = train, exclude = train + valid (RecBole masks both when testing).
    """
    train = _mat(ds, split.train)
    seen = _mat(ds, np.concatenate([split.train, split.valid]))
    if split.protocol == "msr":
        return RankingTask(
            history=seen, target=_mat(ds, split.test), exclude=seen, candidates=_train_items(seen)
        )
    return RankingTask(history=train, target=_mat(ds, split.test), exclude=seen)


def _train_items(mat: sp.csr_matrix) -> np.ndarray:
    return np.asarray(mat.sum(axis=0)).ravel() > 0


def top_k(
    model: Scorer, task: RankingTask, k: int, users: np.ndarray | None = None, batch: int = 512
) -> np.ndarray:
    """``(len(users), k)`` item ids, best first (ties broken by lower item id); -1 pads short lists."""
    users = task.users if users is None else np.asarray(users, dtype=np.int64)
    out = np.full((len(users), k), -1, dtype=np.int64)
    for start in range(0, len(users), batch):
        u = users[start : start + batch]
        scores = np.asarray(model.score(u, task.history[u]), dtype=np.float64).copy()
        if scores.shape != (len(u), task.history.shape[1]):
            raise InvalidInput(
                f"scorer returned shape {scores.shape}, expected {(len(u), task.history.shape[1])}"
            )
        ex = task.exclude[u].tocoo()
        scores[ex.row, ex.col] = -np.inf
        if task.candidates is not None:
            scores[:, ~task.candidates] = -np.inf
        kk = min(k, scores.shape[1])
        part = np.argpartition(-scores, kk - 1, axis=1)[:, :kk]
        part_scores = np.take_along_axis(scores, part, axis=1)
        # sort by score desc, then item id asc
        order = np.lexsort((part, -part_scores), axis=1)
        best = np.take_along_axis(part, order, axis=1)
        best_scores = np.take_along_axis(part_scores, order, axis=1)
        best[~np.isfinite(best_scores)] = -1
        out[start : start + len(u), :kk] = best
    return out


def hits_matrix(topk: np.ndarray, target: sp.csr_matrix, users: np.ndarray) -> np.ndarray:
    """Boolean ``(users, K)``: is the item at each rank in the user's target set."""
    rows = target[users]
    hits = np.zeros(topk.shape, dtype=bool)
    for i in range(len(users)):
        items = rows.indices[rows.indptr[i] : rows.indptr[i + 1]]
        hits[i] = np.isin(topk[i], items)
    return hits


def evaluate(model: Scorer, task: RankingTask, ks: Iterable[int] = (10, 20)) -> dict[str, float]:
    """Mean metrics over the task's users, plus ``coverage@k`` and ``users``."""
    ks = tuple(sorted(ks))
    users = task.users
    if len(users) == 0:
        raise InvalidInput("task has no users with target items")
    ranked = top_k(model, task, max(ks), users)
    hits = hits_matrix(ranked, task.target, users)
    n_rel = np.diff(task.target[users].indptr)
    out = summarise(hits, n_rel, ks)
    n_items = int(task.candidates.sum()) if task.candidates is not None else task.history.shape[1]
    for k in ks:
        out[f"coverage@{k}"] = coverage(ranked[:, :k], n_items)
    out["users"] = float(len(users))
    return out


__all__ = ["RankingTask", "Scorer", "evaluate", "hits_matrix", "holdout_task", "top_k", "validation_task"]
