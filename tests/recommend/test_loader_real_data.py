"""The MovieLens-100k loader and the published splits on the real files (skipped without the data)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from adlens.errors import NotFound
from adlens.recommend.data import load_movielens_100k
from adlens.recommend.evaluation import holdout_task, validation_task
from adlens.recommend.splits import make_split, recbole_split_counts


@pytest.fixture(scope="module")
def ml(shared_data: Path):
    path = shared_data / "movielens-100k"
    if not (path / "original" / "u.data").is_file():
        pytest.skip("MovieLens-100k not staged")
    return load_movielens_100k(path)


def test_loader_reads_everything(ml) -> None:
    assert (ml.n_users, ml.n_items, ml.n_interactions) == (943, 1682, 100000)
    assert ml.item_titles[0] == "Toy Story (1995)"
    assert ml.category_names[:2] == ("unknown", "Action")
    assert ml.item_categories.shape == (1682, 19)
    assert ml.item_categories[0, ml.category_names.index("Animation")] == 1
    assert set(ml.user_features) == {"age", "gender", "occupation"}
    assert ml.user_feature_sizes["occupation"] == 21
    assert ml.ratings.min() == 1 and ml.ratings.max() == 5
    # the first row of u.data is user 196, item 242
    assert ml.user_map.raw[ml.users[0]] == "196" and ml.item_map.raw[ml.items[0]] == "242"
    assert ml.csr().nnz == 100000


def test_published_splits_on_real_data(ml) -> None:
    msr = make_split(ml, "msr")
    assert len(msr.train) + len(msr.test) == 100000
    assert 0.74 < len(msr.train) / 100000 < 0.76
    rb = make_split(ml, "recbole")
    per_user = np.bincount(ml.users, minlength=ml.n_users)
    expected_test = sum(recbole_split_counts(int(n), [0.8, 0.1, 0.1])[2] for n in per_user)
    assert len(rb.test) == expected_test
    v, t = validation_task(ml, rb), holdout_task(ml, rb)
    assert t.exclude.nnz == len(rb.train) + len(rb.valid)  # test masks train + valid items
    assert v.exclude.nnz == len(rb.train)
    assert (t.target.multiply(t.exclude)).nnz == 0


def test_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(NotFound):
        load_movielens_100k(tmp_path)
