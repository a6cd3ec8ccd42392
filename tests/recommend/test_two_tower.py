from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

from adlens.errors import InvalidInput, NotFound
from adlens.recommend.checkpoint import CheckpointStore, load_checkpoint, save_checkpoint
from adlens.recommend.evaluation import evaluate, holdout_task, top_k, validation_task
from adlens.recommend.features import item_content
from adlens.recommend.splits import recbole_ratio_split
from adlens.recommend.train import TwoTowerConfig, train_two_tower

from .conftest import genre_dataset

SMALL = TwoTowerConfig(
    dim=16, id_dim=8, hidden=32, batch_size=64, max_epochs=40, patience=8, lr=1e-2, text_dim=0, use_text=False
)


@pytest.fixture(scope="module")
def trained():
    ds = genre_dataset(n_users=60, n_items=40, per_user=8, seed=0)
    split = recbole_ratio_split(ds, (0.8, 0.1, 0.1), seed=5)
    content = item_content(ds)
    valid = validation_task(ds, split)
    result = train_two_tower(ds, valid.history, content.matrix, SMALL, valid)
    return ds, split, content, result


@pytest.mark.parametrize("loss", ["inbatch", "bpr"])
def test_learns_the_genre_pattern(loss: str) -> None:
    ds = genre_dataset(n_users=60, n_items=40, per_user=8, seed=0)
    split = recbole_ratio_split(ds, (0.8, 0.1, 0.1), seed=5)
    content = item_content(ds)
    valid = validation_task(ds, split)
    res = train_two_tower(ds, valid.history, content.matrix, replace(SMALL, loss=loss), valid)
    ranked = top_k(res.model, valid, 5, users=np.arange(ds.n_users))
    genre = np.arange(ds.n_items) % 2
    user_genre = np.arange(ds.n_users) % 2
    same = (genre[ranked] == user_genre[:, None]).mean()
    assert same > 0.95, f"only {same:.2f} of the top-5 match the user's genre"


def test_beats_random_on_held_out_items(trained) -> None:
    ds, split, _, result = trained
    test = holdout_task(ds, split)
    got = evaluate(result.model, test, ks=(10,))
    # ~13 unseen items of the user's genre vs ~33 unseen in all: random hit@10 ~ 0.3, genre-aware ~ 0.77
    assert got["hit@10"] > 0.55
    assert result.best_epoch >= 0 and result.epochs_run >= result.best_epoch + 1
    assert len(result.epoch_seconds) == result.epochs_run


def test_same_seed_same_model() -> None:
    ds = genre_dataset(n_users=20, n_items=16, per_user=5, seed=1)
    content = item_content(ds).matrix
    cfg = replace(SMALL, max_epochs=3)
    a = train_two_tower(ds, ds.csr(), content, cfg, epochs=3).model
    b = train_two_tower(ds, ds.csr(), content, cfg, epochs=3).model
    for (ka, ta), (_, tb) in zip(a.state_dict().items(), b.state_dict().items(), strict=True):
        assert torch.equal(ta, tb), ka


def test_checkpoint_round_trip_and_mismatch(trained, tmp_path: Path) -> None:
    ds, split, content, result = trained
    space = {"name": "text", "dim": 384, "model_version": "test-v1"}
    store = CheckpointStore(tmp_path / "ckpt")
    p1 = store.save(
        result.model, SMALL, content_parts=content.parts, text_space=space, metrics={"ndcg@10": 0.5}
    )
    p2 = store.save(result.model, SMALL, content_parts=content.parts, text_space=space)
    assert p1.name == "two-tower-0001.pt" and p2.name == "two-tower-0002.pt" and p1.is_file()
    ck = store.load(1, expect_config=SMALL, expect_text_space=space, expect_content_parts=content.parts)
    assert ck.metrics == {"ndcg@10": 0.5} and ck.config == SMALL
    model = ck.build(content.matrix, ds.user_features)
    users = np.arange(ds.n_users)
    hist = validation_task(ds, split).history
    assert np.allclose(model.score(users, hist), result.model.score(users, hist), atol=1e-6)

    with pytest.raises(InvalidInput, match="different config"):
        load_checkpoint(p1, expect_config=replace(SMALL, dim=32))
    with pytest.raises(InvalidInput, match="embedding space"):
        load_checkpoint(p1, expect_text_space={**space, "model_version": "test-v2"})
    with pytest.raises(InvalidInput, match="item features"):
        load_checkpoint(p1, expect_content_parts=("text",))
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(InvalidInput):
        load_checkpoint(tmp_path / "junk.pt")
    with pytest.raises(NotFound):
        CheckpointStore(tmp_path / "empty").load()


def test_save_is_atomic_and_leaves_no_temp_files(trained, tmp_path: Path) -> None:
    _, _, content, result = trained
    path = save_checkpoint(
        tmp_path / "m.pt", result.model, SMALL, content_parts=content.parts, text_space=None
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.pt"]
    assert load_checkpoint(path).text_space is None


def test_config_validation_and_yaml(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput):
        TwoTowerConfig(loss="hinge")
    with pytest.raises(InvalidInput, match="unknown"):
        TwoTowerConfig.from_dict({"dimm": 3})
    default = TwoTowerConfig.from_yaml()
    assert default.dim == 128 and default.loss in ("inbatch", "bpr", "full")
    bad = tmp_path / "bad.yaml"
    bad.write_text("two_tower: [1, 2")
    with pytest.raises(InvalidInput):
        TwoTowerConfig.from_yaml(bad)


def test_wrong_shapes_are_invalid_input() -> None:
    ds = genre_dataset(n_users=10, n_items=8, per_user=3)
    with pytest.raises(InvalidInput):
        train_two_tower(ds, ds.csr()[:5], item_content(ds).matrix, SMALL)
    with pytest.raises(InvalidInput):
        train_two_tower(ds, ds.csr(), np.zeros((3, 2), dtype=np.float32), SMALL)
