from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.sparse as sp

from adlens.errors import InvalidInput
from adlens.recommend.evaluation import RankingTask, evaluate, top_k
from adlens.recommend.metrics import (
    average_precision,
    coverage,
    hit_rate_at_k,
    mrr_at_k,
    ndcg_at_k,
    precision_at_k,
    recall_at_k,
)

HITS = np.array(
    [
        [1, 0, 1, 0],  # hits at ranks 1 and 3, 2 relevant
        [0, 0, 0, 0],  # no hit, 3 relevant
        [0, 1, 0, 0],  # hit at rank 2, 1 relevant
        [1, 1, 1, 0],  # three hits, 5 relevant (more than k)
    ],
    dtype=bool,
)
NREL = np.array([2, 3, 1, 5])


def test_ndcg_by_hand() -> None:
    got = ndcg_at_k(HITS, NREL, 3)
    u0 = (1 / math.log(2) + 1 / math.log(4)) / (1 / math.log(2) + 1 / math.log(3))
    assert got == pytest.approx([u0, 0.0, math.log(2) / math.log(3), 1.0])
    # the log base cancels: the same with log2 (RecBole's form)
    assert u0 == pytest.approx((1 + 1 / math.log2(4)) / (1 + 1 / math.log2(3)))


def test_hit_mrr_precision_recall_by_hand() -> None:
    assert hit_rate_at_k(HITS, NREL, 3).tolist() == [1, 0, 1, 1]
    assert mrr_at_k(HITS, NREL, 3) == pytest.approx([1, 0, 0.5, 1])
    assert mrr_at_k(HITS, NREL, 1) == pytest.approx([1, 0, 0, 1])
    assert precision_at_k(HITS, NREL, 3) == pytest.approx([2 / 3, 0, 1 / 3, 1])
    assert recall_at_k(HITS, NREL, 3) == pytest.approx([1, 0, 1, 3 / 5])


def test_map_microsoft_and_capped() -> None:
    ms = average_precision(HITS, NREL, 3)
    capped = average_precision(HITS, NREL, 3, cap_at_k=True)
    assert ms == pytest.approx([(1 + 2 / 3) / 2, 0, 0.5, 3 / 5])
    assert capped == pytest.approx([(1 + 2 / 3) / 2, 0, 0.5, 1.0])


def test_bad_inputs_raise_invalid_input() -> None:
    with pytest.raises(InvalidInput):
        ndcg_at_k(HITS, NREL, 5)
    with pytest.raises(InvalidInput):
        recall_at_k(HITS, np.array([1, 0, 1, 1]), 2)
    with pytest.raises(InvalidInput):
        precision_at_k(HITS[0], NREL, 1)


def test_coverage_ignores_padding() -> None:
    assert coverage(np.array([[0, 1], [1, -1]]), 4) == 0.5


class Fixed:
    def __init__(self, scores: np.ndarray) -> None:
        self.scores = scores

    def score(self, users: np.ndarray, history: sp.csr_matrix) -> np.ndarray:
        return self.scores[users]


def test_evaluate_excludes_seen_items_and_breaks_ties_by_id() -> None:
    history = sp.csr_matrix(np.array([[1, 0, 0, 0, 0], [0, 1, 0, 0, 0]], dtype=np.float32))
    target = sp.csr_matrix(np.array([[0, 0, 1, 0, 0], [0, 0, 0, 0, 1]], dtype=np.float32))
    scores = np.array([[9.0, 5, 5, 1, 0], [0, 9, 1, 2, 3]])
    task = RankingTask(history=history, target=target, exclude=history)
    ranked = top_k(Fixed(scores), task, 3)
    assert ranked.tolist() == [[1, 2, 3], [4, 3, 2]]  # item 0 / 1 excluded; tie 1 vs 2 -> 1 first
    res = evaluate(Fixed(scores), task, ks=(1, 2))
    assert res["hit@1"] == 0.5 and res["hit@2"] == 1.0
    assert res["mrr@2"] == pytest.approx((0.5 + 1.0) / 2)
    assert res["users"] == 2


def test_candidates_mask_limits_the_ranking() -> None:
    history = sp.csr_matrix(np.array([[1, 0, 0, 0]], dtype=np.float32))
    target = sp.csr_matrix(np.array([[0, 0, 0, 1]], dtype=np.float32))
    task = RankingTask(history, target, history, candidates=np.array([True, True, True, False]))
    ranked = top_k(Fixed(np.array([[0.0, 1, 2, 3]])), task, 3)
    assert ranked.tolist() == [[2, 1, -1]]
