"""The two-tower model: an item tower over content + id, a user tower over id, history and features.

Item tower: ``MLP(content) + id_embedding`` -> ``dim`` (content = title text embedding, multi-hot
categories, optional image vector; whatever the dataset has). User tower:
``MLP([user_id_embedding, mean-pooled history, user feature embeddings])`` -> ``dim``, where the
history of a user is the mean of per-item history vectors (a separate id table plus a projection of
the item's content). Both outputs are L2-normalised; the score is their dot product divided by a
temperature. During training the target item is removed from its own user's pooled history, so the
tower cannot see the answer.

Options (all off by default, so checkpoints saved before they existed load unchanged):
``pool_alpha`` pools ``sum / |H|^alpha`` instead of the mean (alpha = 1); ``user_residual`` adds the
pooled history to the MLP output, a direct item-to-item path (FISM-like: the score then contains
``<item, mean of history vectors>``) that the MLP only corrects. The model stays a dot product of one
user vector and one item vector, so it is served from the ANN index like before.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import torch
from torch import nn

from adlens.errors import InvalidInput


@dataclass(frozen=True)
class TowerShape:
    """Sizes fixed by the data; stored with checkpoints."""

    n_users: int
    n_items: int
    content_dim: int
    user_feature_sizes: tuple[tuple[str, int], ...]


def _mlp(d_in: int, hidden: int, d_out: int, dropout: float) -> nn.Sequential:
    return nn.Sequential(nn.Linear(d_in, hidden), nn.ReLU(), nn.Dropout(dropout), nn.Linear(hidden, d_out))


class TwoTower(nn.Module):
    """Two-tower retrieval model (see module docstring). ``content`` is ``(n_items, content_dim)``."""

    def __init__(
        self,
        shape: TowerShape,
        content: np.ndarray,
        user_features: dict[str, np.ndarray],
        *,
        dim: int = 128,
        id_dim: int = 64,
        hidden: int = 256,
        dropout: float = 0.1,
        temperature: float = 0.1,
        use_item_id: bool = True,
        use_user_id: bool = True,
        use_history: bool = True,
        use_user_features: bool = True,
        pool_alpha: float = 1.0,
        user_residual: bool = False,
    ) -> None:
        super().__init__()
        if content.shape != (shape.n_items, shape.content_dim):
            raise InvalidInput(f"content is {content.shape}, expected {(shape.n_items, shape.content_dim)}")
        if temperature <= 0:
            raise InvalidInput("temperature must be > 0")
        self.shape, self.dim, self.temperature = shape, dim, temperature
        self.use_item_id, self.use_user_id = use_item_id, use_user_id
        self.use_history, self.use_user_features = use_history, use_user_features
        self.pool_alpha, self.user_residual = pool_alpha, user_residual
        self.register_buffer("content", torch.as_tensor(content, dtype=torch.float32), persistent=False)
        self.has_content = shape.content_dim > 0
        if self.has_content:
            self.item_content = _mlp(shape.content_dim, hidden, dim, dropout)
            self.hist_content = nn.Linear(shape.content_dim, dim)
        self.item_id = nn.Embedding(shape.n_items, dim)
        self.hist_id = nn.Embedding(shape.n_items, dim)
        self.user_id = nn.Embedding(shape.n_users, id_dim)
        for emb in (self.item_id, self.hist_id, self.user_id):
            nn.init.normal_(emb.weight, std=0.01)
        self.feature_names = [name for name, _ in shape.user_feature_sizes]
        self.feature_emb = nn.ModuleDict({n: nn.Embedding(size, 16) for n, size in shape.user_feature_sizes})
        for name, _ in shape.user_feature_sizes:
            if name not in user_features or len(user_features[name]) != shape.n_users:
                raise InvalidInput(f"user feature {name!r} missing or of the wrong length")
            self.register_buffer(
                f"feat_{name}", torch.as_tensor(user_features[name], dtype=torch.long), persistent=False
            )
        user_in = id_dim + dim + 16 * len(self.feature_names)
        self.user_mlp = _mlp(user_in, hidden, dim, dropout)

    # -- item side -------------------------------------------------------------------------------
    def item_vectors(self) -> torch.Tensor:
        """``(n_items, dim)`` L2-normalised item embeddings."""
        v = self.item_content(self.content) if self.has_content else torch.zeros_like(self.item_id.weight)
        if self.use_item_id or not self.has_content:
            v = v + self.item_id.weight
        return nn.functional.normalize(v, dim=-1)

    def history_vectors(self) -> torch.Tensor:
        """``(n_items, dim)`` per-item vectors that are averaged into a user's history."""
        h = self.hist_id.weight
        if self.has_content:
            h = h + self.hist_content(self.content)
        return h

    # -- user side -------------------------------------------------------------------------------
    def user_vectors(
        self, users: torch.Tensor, hist_sum: torch.Tensor, hist_count: torch.Tensor
    ) -> torch.Tensor:
        """``(batch, dim)`` L2-normalised user embeddings from pooled-history sums and counts."""
        parts = []
        uid = self.user_id(users)
        parts.append(uid if self.use_user_id else torch.zeros_like(uid))
        pooled = hist_sum / hist_count.clamp(min=1.0).pow(self.pool_alpha).unsqueeze(-1)
        if not self.use_history:
            pooled = torch.zeros_like(pooled)
        parts.append(pooled)
        for name in self.feature_names:
            f = self.feature_emb[name](getattr(self, f"feat_{name}")[users])
            parts.append(f if self.use_user_features else torch.zeros_like(f))
        out = self.user_mlp(torch.cat(parts, dim=-1))
        if self.user_residual:
            out = out + pooled
        return nn.functional.normalize(out, dim=-1)

    def users_from_history(self, users: np.ndarray, history: sp.csr_matrix) -> torch.Tensor:
        """User embeddings for ``users`` whose history rows are ``history`` (inference)."""
        h = self.history_vectors()
        hist = _sparse_tensor(history)
        sums = torch.sparse.mm(hist, h)
        counts = torch.as_tensor(np.diff(history.indptr), dtype=torch.float32)
        return self.user_vectors(torch.as_tensor(users, dtype=torch.long), sums, counts)

    @torch.no_grad()
    def score(self, users: np.ndarray, history: sp.csr_matrix) -> np.ndarray:
        """``(len(users), n_items)`` scores (cosine / temperature)."""
        was_training = self.training
        self.eval()
        u = self.users_from_history(users, history)
        out = (u @ self.item_vectors().T / self.temperature).numpy()
        self.train(was_training)
        return out


def _sparse_tensor(mat: sp.csr_matrix) -> torch.Tensor:
    coo = mat.tocoo()
    idx = torch.as_tensor(np.vstack([coo.row, coo.col]), dtype=torch.long)
    return torch.sparse_coo_tensor(
        idx, torch.as_tensor(coo.data, dtype=torch.float32), mat.shape, check_invariants=True
    ).coalesce()


__all__ = ["TowerShape", "TwoTower"]
