"""Early stopping on a validation metric, and deterministic seeding."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

import numpy as np


def seed_everything(seed: int) -> None:
    """Seed Python, numpy and torch (CPU). Runs repeat exactly on one machine with the same thread count."""
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


@dataclass
class EarlyStopper:
    """Track the best value of a bigger-is-better metric; stop after ``patience`` epochs without gain."""

    patience: int = 5
    min_delta: float = 0.0
    best: float = float("-inf")
    best_epoch: int = -1
    best_state: Any = None
    history: list[float] = field(default_factory=list)

    def update(self, epoch: int, value: float, state: Any = None) -> bool:
        """Record ``value``; return True when training should stop."""
        self.history.append(value)
        if value > self.best + self.min_delta:
            self.best, self.best_epoch, self.best_state = value, epoch, state
        return epoch - self.best_epoch >= self.patience


__all__ = ["EarlyStopper", "seed_everything"]
