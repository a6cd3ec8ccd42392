"""The history-aware two-tower options: leave-one-out + dropped history, seen-item masking, residual pooling."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from adlens.errors import InvalidInput
from adlens.recommend.evaluation import top_k, validation_task
from adlens.recommend.features import item_content
from adlens.recommend.splits import recbole_ratio_split
from adlens.recommend.train import TwoTowerConfig, batch_history, train_two_tower

from .conftest import genre_dataset

HISTORY = dict(user_residual=True, mask_seen="input", history_dropout=0.5, pool_alpha=0.5)
SMALL = TwoTowerConfig(
    dim=16, id_dim=8, hidden=32, batch_size=64, max_epochs=40, patience=8, lr=1e-2, use_text=False, **HISTORY
)


def test_batch_history_removes_the_target_and_drops_the_rest_at_the_given_rate() -> None:
    rng = np.random.default_rng(0)
    train = sp.csr_matrix((rng.random((50, 200)) < 0.5).astype(np.float32))
    users = np.repeat(np.arange(50), 4)
    targets = np.array([rng.choice(train[u].indices) for u in users])
    rows, kept = batch_history(train, users, targets, 0.0, np.random.default_rng(1))
    assert (rows != train[users]).nnz == 0
    for i, (u, t) in enumerate(zip(users, targets, strict=True)):
        assert set(kept[i].indices) == set(train[u].indices) - {t}
    _, dropped = batch_history(train, users, targets, 0.6, np.random.default_rng(1))
    assert dropped[np.arange(len(users)), targets].sum() == 0
    assert (dropped - kept).max() <= 0  # only removals
    assert 0.35 < dropped.nnz / kept.nnz < 0.45
    _, again = batch_history(train, users, targets, 0.6, np.random.default_rng(1))
    assert (again != dropped).nnz == 0


@pytest.mark.parametrize(("loss", "mask"), [("inbatch", "input"), ("full", "all")])
def test_history_model_learns_the_genre_pattern(loss: str, mask: str) -> None:
    ds = genre_dataset(n_users=60, n_items=40, per_user=8, seed=0)
    split = recbole_ratio_split(ds, (0.8, 0.1, 0.1), seed=5)
    valid = validation_task(ds, split)
    res = train_two_tower(
        ds, valid.history, item_content(ds).matrix, replace(SMALL, loss=loss, mask_seen=mask), valid
    )
    ranked = top_k(res.model, valid, 5, users=np.arange(ds.n_users))
    same = ((np.arange(ds.n_items) % 2)[ranked] == (np.arange(ds.n_users) % 2)[:, None]).mean()
    assert same > 0.95, f"only {same:.2f} of the top-5 match the user's genre"


def test_residual_pooling_reaches_the_score_and_is_seeded() -> None:
    ds = genre_dataset(n_users=20, n_items=16, per_user=5, seed=1)
    content = item_content(ds).matrix
    a = train_two_tower(ds, ds.csr(), content, SMALL, epochs=3).model
    b = train_two_tower(ds, ds.csr(), content, SMALL, epochs=3).model
    for (ka, ta), (_, tb) in zip(a.state_dict().items(), b.state_dict().items(), strict=True):
        assert torch.equal(ta, tb), ka
    # with the residual path the pooled history (sum / |H|^alpha) is added to the MLP output: with the
    # MLP reduced to a constant bias, the result depends on both the history and alpha's scale
    with torch.no_grad():
        for p in a.user_mlp.parameters():
            p.zero_()
        bias = torch.linspace(-1.0, 1.0, a.user_mlp[-1].bias.shape[0])
        a.user_mlp[-1].bias.copy_(bias)
        h = a.history_vectors()
        total = h[[1, 2]].sum(0, keepdim=True)
        u = a.user_vectors(torch.tensor([0]), total, torch.tensor([2.0]))
        expect = torch.nn.functional.normalize(bias + total / 2.0**0.5, dim=-1)
        alpha_one = torch.nn.functional.normalize(bias + total / 2.0, dim=-1)
    assert torch.allclose(u, expect, atol=1e-6)
    assert not torch.allclose(u, alpha_one, atol=1e-3)  # pool_alpha = 0.5 is really applied


def test_new_options_are_validated_and_default_to_the_old_model() -> None:
    with pytest.raises(InvalidInput):
        TwoTowerConfig(history_dropout=1.0)
    with pytest.raises(InvalidInput):
        TwoTowerConfig(pool_alpha=1.5)
    old = TwoTowerConfig.from_dict({"dim": 8})  # a checkpoint saved before these options existed
    assert (old.user_residual, old.mask_seen, old.history_dropout, old.pool_alpha) == (
        False,
        "none",
        0.0,
        1.0,
    )
    with pytest.raises(InvalidInput):
        TwoTowerConfig(mask_seen="some")
