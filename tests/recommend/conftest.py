"""Small synthetic interaction data for the recommend tests."""

from __future__ import annotations

import numpy as np
import pytest

from adlens.recommend.data import IdMap, InteractionDataset


def genre_dataset(
    n_users: int = 60, n_items: int = 40, per_user: int = 8, seed: int = 0
) -> InteractionDataset:
    """Two genres; even users only interact with genre-0 items, odd users with genre-1 items."""
    rng = np.random.default_rng(seed)
    genre = np.arange(n_items) % 2
    users, items = [], []
    for u in range(n_users):
        pool = np.flatnonzero(genre == u % 2)
        chosen = rng.choice(pool, size=per_user, replace=False)
        users += [u] * per_user
        items += chosen.tolist()
    n = len(users)
    cats = np.stack([genre == 0, genre == 1], axis=1).astype(np.float32)
    return InteractionDataset(
        user_map=IdMap(tuple(f"u{i}" for i in range(n_users))),
        item_map=IdMap(tuple(f"i{i}" for i in range(n_items))),
        users=np.array(users, dtype=np.int64),
        items=np.array(items, dtype=np.int64),
        ratings=np.full(n, 4.0, dtype=np.float32),
        timestamps=np.arange(n, dtype=np.int64),
        item_titles=tuple(f"item {i}" for i in range(n_items)),
        item_categories=cats,
        category_names=("A", "B"),
        user_features={"gender": np.arange(n_users) % 2},
        user_feature_sizes={"gender": 2},
        name="synthetic-genres",
    )


@pytest.fixture()
def genres() -> InteractionDataset:
    return genre_dataset()


TINY_SPEC_ARGS = {
    "n_items": 60,
    "n_users": 80,
    "min_history": 8,
    "max_history": 20,
    "cold_users": 3,
    "seed": 11,
}


def tiny_config(**changes):
    """A small two-tower config that trains in about a second on the tiny catalogue."""
    from adlens.recommend.train import TwoTowerConfig

    base = dict(
        dim=32,
        id_dim=16,
        hidden=64,
        batch_size=256,
        max_epochs=15,
        patience=4,
        lr=5e-3,
        text_dim=16,
        dropout=0.1,
        # the shipped history options (configs/two_tower.yaml), so serving is tested with them
        user_residual=True,
        history_dropout=0.7,
        mask_seen="input",
    )
    return TwoTowerConfig(**{**base, **changes})


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """A runtime over a private home with one tiny model trained (real MiniLM text features) and indexed."""
    from adlens.config import Settings
    from adlens.recommend.pipeline import train_and_save
    from adlens.recommend.service import RecommendService
    from adlens.recommend.synthetic import SyntheticSpec, generate
    from adlens.runtime import Runtime

    runtime = Runtime(Settings(home=tmp_path_factory.mktemp("rec-home")))
    svc = RecommendService(runtime)
    cat = generate(SyntheticSpec(**TINY_SPEC_ARGS))
    version, fit = train_and_save(
        cat, tiny_config(), svc.root, embedder=runtime.text_embedder, cache_dir=svc.cache_dir, source="test"
    )
    try:
        yield runtime, svc, cat, version, fit
    finally:
        runtime.close()
