"""Baselines: most-popular, item-based kNN (cosine with shrinkage) and BPR matrix factorisation.

All fit on a users x items CSR training matrix and score through :meth:`score` (see
:class:`~adlens.recommend.evaluation.Scorer`). Hyper-parameters are chosen on a validation task only
(:func:`adlens.recommend.tuning.grid_search`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace

import numpy as np
import scipy.sparse as sp

from adlens.errors import InvalidInput
from adlens.recommend.evaluation import RankingTask, evaluate
from adlens.recommend.stopping import EarlyStopper, seed_everything


class Popularity:
    """Scores every item by its number of training interactions (same list for every user)."""

    name = "popularity"

    def __init__(self) -> None:
        self.counts: np.ndarray | None = None
        self.fit_seconds = 0.0

    def fit(self, train: sp.csr_matrix, valid: RankingTask | None = None) -> Popularity:
        t0 = time.perf_counter()
        self.counts = np.asarray(train.sum(axis=0), dtype=np.float64).ravel()
        self.fit_seconds = time.perf_counter() - t0
        return self

    def score(self, users: np.ndarray, history: sp.csr_matrix) -> np.ndarray:
        if self.counts is None:
            raise InvalidInput("model is not fitted")
        return np.tile(self.counts, (len(users), 1))


class ItemKNN:
    """Item-item cosine similarity with shrinkage, top-``neighbours`` per item; score = history @ S."""

    name = "itemknn"

    def __init__(self, neighbours: int = 100, shrink: float = 10.0) -> None:
        if neighbours < 1 or shrink < 0:
            raise InvalidInput("neighbours must be >= 1 and shrink >= 0")
        self.neighbours = neighbours
        self.shrink = shrink
        self.sim: np.ndarray | None = None
        self.fit_seconds = 0.0

    def fit(self, train: sp.csr_matrix, valid: RankingTask | None = None) -> ItemKNN:
        t0 = time.perf_counter()
        x = train.astype(np.float64)
        co = np.asarray((x.T @ x).todense())
        norms = np.sqrt(np.diag(co))
        sim = co / (np.outer(norms, norms) + self.shrink + 1e-12)
        np.fill_diagonal(sim, 0.0)
        n = sim.shape[0]
        if self.neighbours < n:
            # keep, for every target item j (column), its top neighbours i
            drop = np.argpartition(-sim, self.neighbours, axis=0)[self.neighbours :, :]
            np.put_along_axis(sim, drop, 0.0, axis=0)
        self.sim = sim
        self.fit_seconds = time.perf_counter() - t0
        return self

    def score(self, users: np.ndarray, history: sp.csr_matrix) -> np.ndarray:
        if self.sim is None:
            raise InvalidInput("model is not fitted")
        return np.asarray(history @ self.sim)


@dataclass
class BPRConfig:
    dim: int = 64
    lr: float = 1e-3
    weight_decay: float = 0.0
    batch_size: int = 2048
    max_epochs: int = 300
    patience: int = 10
    seed: int = 2020
    valid_metric: str = "mrr@10"
    threads: int = 1


@dataclass
class BPRMF:
    """BPR-MF (Rendle et al. 2009) in PyTorch: uniform negatives, Adam, early stopping on validation."""

    config: BPRConfig = field(default_factory=BPRConfig)
    name: str = "bpr"

    def __post_init__(self) -> None:
        self.user_emb: np.ndarray | None = None
        self.item_emb: np.ndarray | None = None
        self.best_epoch = -1
        self.epochs_run = 0
        self.fit_seconds = 0.0
        self.epoch_seconds: list[float] = []

    def fit(self, train: sp.csr_matrix, valid: RankingTask | None = None, epochs: int | None = None) -> BPRMF:
        """Train; with ``valid``, stop early on ``valid_metric``; else run exactly ``epochs``."""
        import torch

        cfg = self.config
        torch.set_num_threads(cfg.threads)
        seed_everything(cfg.seed)
        n_users, n_items = train.shape
        coo = train.tocoo()
        users, items = coo.row.astype(np.int64), coo.col.astype(np.int64)
        gen = torch.Generator().manual_seed(cfg.seed)
        u_emb = torch.nn.Embedding(n_users, cfg.dim)
        i_emb = torch.nn.Embedding(n_items, cfg.dim)
        torch.nn.init.xavier_normal_(u_emb.weight)
        torch.nn.init.xavier_normal_(i_emb.weight)
        params = [*u_emb.parameters(), *i_emb.parameters()]
        opt = torch.optim.Adam(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
        u_t, i_t = torch.from_numpy(users), torch.from_numpy(items)
        stopper = EarlyStopper(patience=cfg.patience)
        max_epochs = epochs if epochs is not None else cfg.max_epochs
        t0 = time.perf_counter()
        for epoch in range(max_epochs):
            te = time.perf_counter()
            perm = torch.randperm(len(u_t), generator=gen)
            negs = torch.randint(0, n_items, (len(u_t),), generator=gen)
            for s in range(0, len(perm), cfg.batch_size):
                idx = perm[s : s + cfg.batch_size]
                u, p, n = u_emb(u_t[idx]), i_emb(i_t[idx]), i_emb(negs[idx])
                diff = (u * p).sum(-1) - (u * n).sum(-1)
                loss = -torch.nn.functional.logsigmoid(diff).mean()
                opt.zero_grad()
                loss.backward()
                opt.step()
            self.epoch_seconds.append(time.perf_counter() - te)
            self.epochs_run = epoch + 1
            if valid is not None:
                self.user_emb = u_emb.weight.detach().numpy().copy()
                self.item_emb = i_emb.weight.detach().numpy().copy()
                value = evaluate(self, valid, ks=(10,))[cfg.valid_metric]
                if stopper.update(epoch, value, (self.user_emb, self.item_emb)):
                    break
        if valid is not None and stopper.best_state is not None:
            self.user_emb, self.item_emb = stopper.best_state
            self.best_epoch = stopper.best_epoch
        else:
            self.user_emb = u_emb.weight.detach().numpy().copy()
            self.item_emb = i_emb.weight.detach().numpy().copy()
            self.best_epoch = self.epochs_run - 1
        self.fit_seconds = time.perf_counter() - t0
        return self

    def score(self, users: np.ndarray, history: sp.csr_matrix) -> np.ndarray:
        if self.user_emb is None or self.item_emb is None:
            raise InvalidInput("model is not fitted")
        return self.user_emb[users] @ self.item_emb.T

    def with_config(self, **changes: object) -> BPRMF:
        return BPRMF(replace(self.config, **changes))  # type: ignore[arg-type]


__all__ = ["BPRMF", "BPRConfig", "ItemKNN", "Popularity"]
