from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from adlens.errors import InvalidInput
from adlens.recommend.splits import (
    carve_validation,
    msr_stratified_split,
    recbole_ratio_split,
    recbole_split_counts,
)

from .conftest import genre_dataset


def pandas_stratified(df: pd.DataFrame, ratio: float, by: str, seed: int) -> tuple[set[int], set[int]]:
    """Microsoft Recommenders' pandas algorithm, written out independently for comparison."""
    df = df.copy()
    np.random.seed(seed)
    df["random"] = np.random.rand(df.shape[0])
    df = df.sort_values([by, "random"])
    groups = df.groupby(by)
    df["count"] = groups[by].transform("count")
    df["rank"] = groups.cumcount() + 1
    train = df[df["rank"] <= round(ratio * df["count"])]
    test = df[df["rank"] > round(ratio * df["count"])]
    return set(train["row"]), set(test["row"])


@pytest.mark.parametrize("by", ["user", "item"])
def test_msr_split_matches_the_pandas_algorithm(by: str) -> None:
    ds = genre_dataset(n_users=50, n_items=30, per_user=7, seed=3)
    df = pd.DataFrame({"user": ds.users, "item": ds.items, "row": np.arange(ds.n_interactions)})
    want_train, want_test = pandas_stratified(df, 0.75, by, 42)
    split = msr_stratified_split(ds, 0.75, filter_by=by, seed=42)
    assert set(split.train.tolist()) == want_train
    assert set(split.test.tolist()) == want_test
    assert len(split.valid) == 0


def test_msr_split_sizes_per_group_and_determinism() -> None:
    ds = genre_dataset(n_users=40, n_items=30, per_user=6, seed=1)
    a = msr_stratified_split(ds, 0.75, filter_by="user", seed=42)
    b = msr_stratified_split(ds, 0.75, filter_by="user", seed=42)
    c = msr_stratified_split(ds, 0.75, filter_by="user", seed=43)
    assert np.array_equal(a.train, b.train) and not np.array_equal(a.train, c.train)
    per_user_train = np.bincount(ds.users[a.train], minlength=ds.n_users)
    assert set(per_user_train.tolist()) == {round(0.75 * 6)}  # 4.5 -> 4 (half to even, as pandas)
    assert not set(a.train.tolist()) & set(a.test.tolist())
    assert len(a.train) + len(a.test) == ds.n_interactions


def test_recbole_counts_follow_its_rounding_rule() -> None:
    assert recbole_split_counts(20, [0.8, 0.1, 0.1]) == [16, 2, 2]
    assert recbole_split_counts(25, [0.8, 0.1, 0.1]) == [21, 2, 2]  # int() floors valid/test
    assert recbole_split_counts(5, [0.8, 0.1, 0.1]) == [3, 1, 1]  # "no empty part" correction
    assert recbole_split_counts(2, [0.8, 0.1, 0.1]) == [1, 0, 1]  # stops once train has 1 row


def test_recbole_split_sizes_no_leakage_and_seed() -> None:
    ds = genre_dataset(n_users=30, n_items=40, per_user=13, seed=2)
    s = recbole_ratio_split(ds, (0.8, 0.1, 0.1), seed=2020)
    parts = [s.train, s.valid, s.test]
    for u in range(ds.n_users):
        sizes = [int((ds.users[p] == u).sum()) for p in parts]
        assert sizes == recbole_split_counts(13, [0.8, 0.1, 0.1])
    everything = np.concatenate(parts)
    assert len(np.unique(everything)) == ds.n_interactions == len(everything)
    again = recbole_ratio_split(ds, (0.8, 0.1, 0.1), seed=2020)
    other = recbole_ratio_split(ds, (0.8, 0.1, 0.1), seed=1)
    assert np.array_equal(s.test, again.test) and not np.array_equal(s.test, other.test)


def test_carve_validation_only_uses_train_rows() -> None:
    ds = genre_dataset(n_users=20, n_items=30, per_user=10, seed=4)
    s = msr_stratified_split(ds, 0.75, filter_by="user")
    v = carve_validation(ds, s, 0.1, seed=7)
    assert set(v.valid.tolist()) <= set(s.train.tolist())
    assert not set(v.valid.tolist()) & set(v.train.tolist())
    assert np.array_equal(v.test, s.test)
    assert len(v.valid) == ds.n_users  # floor(0.1 * 8) -> at least one per user
    with pytest.raises(InvalidInput):
        carve_validation(ds, s, 0.7)


def test_bad_split_arguments() -> None:
    ds = genre_dataset(n_users=4, n_items=10, per_user=3)
    with pytest.raises(InvalidInput):
        msr_stratified_split(ds, 1.5)
    with pytest.raises(InvalidInput):
        msr_stratified_split(ds, filter_by="movie")
