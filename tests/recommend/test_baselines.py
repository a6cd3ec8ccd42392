from __future__ import annotations

import numpy as np
import pytest

from adlens.errors import InvalidInput
from adlens.recommend.baselines import BPRMF, BPRConfig, ItemKNN, Popularity
from adlens.recommend.evaluation import evaluate, top_k, validation_task
from adlens.recommend.splits import recbole_ratio_split
from adlens.recommend.tuning import grid_search

from .conftest import genre_dataset


@pytest.fixture(scope="module")
def task():
    ds = genre_dataset(n_users=60, n_items=40, per_user=10, seed=0)
    return validation_task(ds, recbole_ratio_split(ds, (0.8, 0.1, 0.1), seed=5))


def test_popularity_ranks_by_count(task) -> None:
    pop = Popularity().fit(task.history)
    scores = pop.score(np.array([0, 1]), task.history[[0, 1]])
    counts = np.asarray(task.history.sum(axis=0)).ravel()
    assert np.array_equal(scores[0], counts) and np.array_equal(scores[1], counts)


def test_itemknn_finds_the_genre_structure(task) -> None:
    knn = ItemKNN(neighbours=10, shrink=0.0).fit(task.history)
    assert np.allclose(np.diag(knn.sim), 0)
    assert (knn.sim != 0).sum(axis=0).max() <= 10
    assert (
        evaluate(knn, task, ks=(5,))["hit@5"]
        > evaluate(Popularity().fit(task.history), task, ks=(5,))["hit@5"]
    )
    with pytest.raises(InvalidInput):
        ItemKNN(neighbours=0)


def test_bpr_learns_and_early_stops(task) -> None:
    bpr = BPRMF(BPRConfig(dim=8, lr=0.05, batch_size=64, max_epochs=60, patience=5, valid_metric="ndcg@10"))
    bpr.fit(task.history, task)
    assert bpr.best_epoch < bpr.epochs_run
    ranked = top_k(bpr, task, 5, users=np.arange(60))
    same = ((np.arange(40) % 2)[ranked] == (np.arange(60) % 2)[:, None]).mean()
    assert same > 0.9, f"only {same:.2f} of the top-5 match the user's genre"
    with pytest.raises(InvalidInput):
        BPRMF().score(np.array([0]), task.history[[0]])


def test_grid_search_picks_the_best_on_validation(task) -> None:
    g = grid_search(lambda p: ItemKNN(**p).fit(task.history), {"neighbours": [1, 20], "shrink": [0.0]}, task)
    assert len(g.table) == 2
    assert g.best_value == max(v for _, v in g.table)
