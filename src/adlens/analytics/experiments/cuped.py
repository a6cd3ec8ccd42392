"""CUPED (Deng et al. 2013): Y_adj = Y - theta (X - mean X), theta = cov(X, Y) / var(X) pooled over both arms."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from adlens.errors import InvalidInput


@dataclass(frozen=True)
class CupedFit:
    covariate: str
    theta: float
    covariate_mean: float
    correlation: float

    def adjust(self, y: np.ndarray, x: np.ndarray) -> np.ndarray:
        return np.asarray(y, dtype=float) - self.theta * (np.asarray(x, dtype=float) - self.covariate_mean)


def fit_cuped(y: np.ndarray, x: np.ndarray, covariate: str = "covariate") -> CupedFit:
    """Estimate theta on the pooled sample (all arms of the comparison together)."""
    y, x = np.asarray(y, dtype=float), np.asarray(x, dtype=float)
    if y.size < 3:
        raise InvalidInput("CUPED needs at least 3 users")
    var_x = float(x.var(ddof=1))
    if var_x == 0.0:
        raise InvalidInput(f"covariate '{covariate}' has zero variance: CUPED cannot use it")
    cov = float(np.cov(x, y, ddof=1)[0, 1])
    var_y = float(y.var(ddof=1))
    corr = cov / np.sqrt(var_x * var_y) if var_y > 0 else 0.0
    return CupedFit(covariate, cov / var_x, float(x.mean()), float(corr))


__all__ = ["CupedFit", "fit_cuped"]
