"""Training the two-tower model: configuration (YAML), losses, early stopping, a fitted scorer.

Losses (``loss`` in the config):

* ``inbatch``: sampled softmax over the batch's positives (Yi et al. 2019), logits
  ``s(u, j) - log q_j`` with ``q_j`` the item's share of training interactions (the logQ correction;
  ``logq: false`` turns it off); repeated items in a batch are masked as accidental hits.
* ``bpr``: ``-log sigmoid(s(u, i) - s(u, j))`` with one uniform negative per positive.
* ``full``: softmax over the whole catalogue (cheap at MovieLens scale; a reference point).

History options: every example sees the user's training items minus its target (leave-one-out);
``history_dropout`` also drops each other item with that probability (denoising, as in Mult-DAE), and
``mask_seen`` keeps known positives out of the negatives (``input``: the items the tower saw).

Early stopping watches ``valid_metric`` on a validation task carved from the training data; the test
split is never touched here. Seeds make runs repeatable on one machine and torch version.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
import torch
import yaml

from adlens.errors import InvalidInput
from adlens.recommend.data import InteractionDataset
from adlens.recommend.evaluation import RankingTask, evaluate
from adlens.recommend.model import TowerShape, TwoTower, _sparse_tensor
from adlens.recommend.stopping import EarlyStopper, seed_everything

LOSSES = ("inbatch", "bpr", "full")
MASKS = ("none", "input", "all")
"""``mask_seen``: which of a user's known positives are kept out of the negatives of the softmax:
none; ``input`` (the history items the user tower saw for this example); ``all`` (every training item
of the user except the target)."""
DEFAULT_CONFIG_PATH = Path(__file__).with_name("configs") / "two_tower.yaml"


@dataclass(frozen=True)
class TwoTowerConfig:
    """Every knob of the model and its training; saved with each checkpoint."""

    dim: int = 128
    id_dim: int = 64
    hidden: int = 256
    dropout: float = 0.1
    temperature: float = 0.1
    loss: str = "inbatch"
    logq: bool = True
    lr: float = 1e-3
    weight_decay: float = 0.0
    batch_size: int = 1024
    max_epochs: int = 60
    patience: int = 5
    seed: int = 2020
    threads: int = 1
    valid_metric: str = "ndcg@10"
    use_text: bool = True
    text_dim: int = 64
    use_categories: bool = True
    use_item_id: bool = True
    use_user_id: bool = True
    use_history: bool = True
    use_user_features: bool = True
    pool_alpha: float = 1.0
    user_residual: bool = False
    history_dropout: float = 0.0
    mask_seen: str = "none"

    def __post_init__(self) -> None:
        if self.loss not in LOSSES:
            raise InvalidInput(f"loss must be one of {', '.join(LOSSES)}, got {self.loss!r}")
        for name in ("dim", "id_dim", "hidden", "batch_size", "max_epochs", "threads"):
            if getattr(self, name) < 1:
                raise InvalidInput(f"{name} must be >= 1")
        if not 0.0 <= self.dropout < 1.0 or self.lr <= 0 or self.temperature <= 0:
            raise InvalidInput("dropout must be in [0, 1), lr and temperature > 0")
        if self.mask_seen not in MASKS:
            raise InvalidInput(f"mask_seen must be one of {', '.join(MASKS)}, got {self.mask_seen!r}")
        if not 0.0 <= self.history_dropout < 1.0 or not 0.0 <= self.pool_alpha <= 1.0:
            raise InvalidInput("history_dropout must be in [0, 1) and pool_alpha in [0, 1]")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TwoTowerConfig:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise InvalidInput(f"unknown two-tower config keys: {', '.join(unknown)}")
        return cls(**data)

    @classmethod
    def from_yaml(cls, path: str | Path = DEFAULT_CONFIG_PATH) -> TwoTowerConfig:
        try:
            data = yaml.safe_load(Path(path).read_text()) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise InvalidInput(f"cannot read config {path}: {exc}") from None
        if not isinstance(data, dict):
            raise InvalidInput(f"config {path} must be a mapping")
        return cls.from_dict(data.get("two_tower", data))


@dataclass
class TrainResult:
    model: TwoTower
    config: TwoTowerConfig
    best_epoch: int
    epochs_run: int
    valid_history: list[float] = field(default_factory=list)
    epoch_seconds: list[float] = field(default_factory=list)
    fit_seconds: float = 0.0


def build_model(ds: InteractionDataset, content: np.ndarray, config: TwoTowerConfig) -> TwoTower:
    """A fresh model sized for ``ds`` and ``content``."""
    shape = TowerShape(
        n_users=ds.n_users,
        n_items=ds.n_items,
        content_dim=content.shape[1],
        user_feature_sizes=tuple(sorted(ds.user_feature_sizes.items())),
    )
    return build_model_from_shape(shape, content, ds.user_features, config)


def build_model_from_shape(
    shape: TowerShape, content: np.ndarray, user_features: dict[str, np.ndarray], config: TwoTowerConfig
) -> TwoTower:
    return TwoTower(
        shape,
        content,
        user_features,
        dim=config.dim,
        id_dim=config.id_dim,
        hidden=config.hidden,
        dropout=config.dropout,
        temperature=config.temperature,
        use_item_id=config.use_item_id,
        use_user_id=config.use_user_id,
        use_history=config.use_history,
        use_user_features=config.use_user_features,
        pool_alpha=config.pool_alpha,
        user_residual=config.user_residual,
    )


def _loss(
    cfg: TwoTowerConfig,
    u: torch.Tensor,
    v_all: torch.Tensor,
    pos: torch.Tensor,
    log_q: torch.Tensor,
    gen: torch.Generator,
    seen: torch.Tensor | None = None,
) -> torch.Tensor:
    """The batch loss; ``seen`` marks each example's other known positives, which are then not used
    as negatives (``mask_seen``): batch x items for the full softmax, batch x batch (over the batch's
    positives) for the in-batch one. BPR draws one uniform negative and takes no mask."""
    tau = cfg.temperature
    if cfg.loss == "full":
        full = u @ v_all.T / tau
        if seen is not None:
            full = full.masked_fill(seen, float("-inf"))
        return torch.nn.functional.cross_entropy(full, pos)
    if cfg.loss == "bpr":
        neg = torch.randint(0, v_all.shape[0], pos.shape, generator=gen)
        diff = ((u * v_all[pos]).sum(-1) - (u * v_all[neg]).sum(-1)) / tau
        return -torch.nn.functional.logsigmoid(diff).mean()
    logits = u @ v_all[pos].T / tau
    if cfg.logq:
        logits = logits - log_q[pos].unsqueeze(0)
    same = pos.unsqueeze(0) == pos.unsqueeze(1)
    same.fill_diagonal_(False)
    if seen is not None:
        same = same | seen
        same.fill_diagonal_(False)
    logits = logits.masked_fill(same, float("-inf"))
    return torch.nn.functional.cross_entropy(logits, torch.arange(len(pos)))


def _seen_mask(src: sp.csr_matrix, targets: torch.Tensor, loss: str) -> torch.Tensor:
    """Boolean mask of known positives for the softmax, built without a dense float copy: the rows'
    entries at the batch's positives (in-batch loss: batch x batch) or at every item (full softmax,
    each example's own target unmasked)."""
    t = targets.numpy()
    if loss == "full":
        seen = torch.zeros(src.shape, dtype=torch.bool)
        rows = np.repeat(np.arange(src.shape[0]), np.diff(src.indptr))
        nz = src.data != 0
        seen[torch.from_numpy(rows[nz]), torch.from_numpy(src.indices[nz].astype(np.int64))] = True
        seen[torch.arange(len(t)), targets] = False
        return seen
    return torch.from_numpy(src[:, t].toarray() != 0)


def batch_history(
    train: sp.csr_matrix, users: np.ndarray, targets: np.ndarray, dropout: float, rng: np.random.Generator
) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    """``(rows, kept)`` for a batch of (user, target) pairs: the users' full training rows, and the
    history each example sees: the row without its target (leave-one-out) and with every other item
    dropped with probability ``dropout`` (denoising; the kept items are averaged, so no rescaling)."""
    rows = train[users]
    row_of = np.repeat(np.arange(len(users)), np.diff(rows.indptr))
    keep = rows.indices != targets[row_of]
    if dropout > 0.0:
        keep &= rng.random(len(keep)) >= dropout
    kept = sp.csr_matrix((rows.data * keep, rows.indices.copy(), rows.indptr.copy()), shape=rows.shape)
    kept.eliminate_zeros()
    return rows, kept


def train_two_tower(
    ds: InteractionDataset,
    train: sp.csr_matrix,
    content: np.ndarray,
    config: TwoTowerConfig,
    valid: RankingTask | None = None,
    *,
    epochs: int | None = None,
    log: Any = None,
    on_epoch: Any = None,
) -> TrainResult:
    """Fit on the ``train`` matrix; early-stop on ``valid`` (or run exactly ``epochs`` without it).

    ``on_epoch(epoch, n_epochs, valid_value_or_None)`` is called after every epoch (progress bars,
    cancellation: an exception raised there stops training).
    """
    if train.shape != (ds.n_users, ds.n_items):
        raise InvalidInput(f"train matrix is {train.shape}, expected {(ds.n_users, ds.n_items)}")
    torch.set_num_threads(config.threads)
    seed_everything(config.seed)
    model = build_model(ds, content, config)
    gen = torch.Generator().manual_seed(config.seed)
    rng = np.random.default_rng(config.seed)
    opt = torch.optim.Adam(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    train = train.tocsr()
    coo = train.tocoo()
    users_np, items_np = coo.row.astype(np.int64), coo.col.astype(np.int64)
    users_t, items_t = torch.from_numpy(users_np), torch.from_numpy(items_np)
    counts = torch.as_tensor(np.diff(train.indptr), dtype=torch.float32)
    freq = np.asarray(train.sum(axis=0)).ravel() + 1.0
    log_q = torch.as_tensor(np.log(freq / freq.sum()), dtype=torch.float32)
    hist = _sparse_tensor(train)
    stopper = EarlyStopper(patience=config.patience)
    n_epochs = epochs if epochs is not None else config.max_epochs
    result = TrainResult(model, config, -1, 0)
    t_start = time.perf_counter()
    for epoch in range(n_epochs):
        t0 = time.perf_counter()
        model.train()
        perm = torch.randperm(len(users_t), generator=gen)
        for s in range(0, len(perm), config.batch_size):
            idx = perm[s : s + config.batch_size]
            bu, bi = users_t[idx], items_t[idx]
            h = model.history_vectors()
            seen: torch.Tensor | None = None
            if config.history_dropout > 0.0 or config.mask_seen != "none":
                rows, kept = batch_history(train, bu.numpy(), bi.numpy(), config.history_dropout, rng)
                sums = torch.sparse.mm(_sparse_tensor(kept), h)
                n_kept = torch.as_tensor(np.diff(kept.indptr), dtype=torch.float32)
                u = model.user_vectors(bu, sums, n_kept)
                if config.mask_seen != "none" and config.loss != "bpr":
                    seen = _seen_mask(kept if config.mask_seen == "input" else rows, bi, config.loss)
            else:
                sums = torch.sparse.mm(hist, h)[bu] - h[bi]  # leave the target out of its own history
                u = model.user_vectors(bu, sums, counts[bu] - 1.0)
            loss = _loss(config, u, model.item_vectors(), bi, log_q, gen, seen)
            opt.zero_grad()
            loss.backward()
            opt.step()
        result.epoch_seconds.append(time.perf_counter() - t0)
        result.epochs_run = epoch + 1
        value: float | None = None
        stop = False
        if valid is not None:
            value = evaluate(model, valid, ks=(10,))[config.valid_metric]
            if log is not None:
                log(f"epoch {epoch} loss {loss.item():.4f} valid {config.valid_metric} {value:.4f}")
            state = {k: t.detach().clone() for k, t in model.state_dict().items()}
            stop = stopper.update(epoch, value, state)
        if on_epoch is not None:
            on_epoch(epoch, n_epochs, value)
        if stop:
            break
    if valid is not None and stopper.best_state is not None:
        model.load_state_dict(stopper.best_state)
        result.best_epoch = stopper.best_epoch
        result.valid_history = stopper.history
    else:
        result.best_epoch = result.epochs_run - 1
    model.eval()
    result.fit_seconds = time.perf_counter() - t_start
    return result


__all__ = [
    "DEFAULT_CONFIG_PATH",
    "LOSSES",
    "MASKS",
    "TrainResult",
    "TwoTowerConfig",
    "batch_history",
    "build_model",
    "build_model_from_shape",
    "train_two_tower",
]
