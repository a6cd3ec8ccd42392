"""Grid search on a validation task (never on test)."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from adlens.errors import InvalidInput
from adlens.recommend.evaluation import RankingTask, Scorer, evaluate


@dataclass
class GridResult:
    best_params: dict[str, Any]
    best_value: float
    best_model: Any
    table: list[tuple[dict[str, Any], float]] = field(default_factory=list)


def grid_search(
    fit: Callable[[dict[str, Any]], Scorer],
    grid: Mapping[str, Sequence[Any]],
    valid: RankingTask,
    metric: str = "ndcg@10",
) -> GridResult:
    """Fit one model per combination in ``grid`` and keep the best by ``metric`` on ``valid``."""
    if not grid:
        raise InvalidInput("empty grid")
    keys = list(grid)
    best: GridResult | None = None
    table: list[tuple[dict[str, Any], float]] = []
    for values in itertools.product(*(grid[k] for k in keys)):
        params = dict(zip(keys, values, strict=True))
        model = fit(params)
        value = evaluate(model, valid, ks=(10,))[metric]
        table.append((params, value))
        if best is None or value > best.best_value:
            best = GridResult(params, value, model)
    assert best is not None
    best.table = table
    return best


__all__ = ["GridResult", "grid_search"]
