"""Always-valid inference for continuous monitoring: the mixture SPRT with a normal mixture.

Johari, Koomen, Pekelis & Walsh (2017/2022, "Always valid inference"). For an estimated difference ``d`` with
(plug-in) variance ``s2`` and the mixing distribution theta ~ N(theta0, tau^2), the mixture likelihood ratio is

    Lambda = sqrt(s2 / (s2 + tau2)) * exp(tau2 (d - theta0)^2 / (2 s2 (s2 + tau2)))

which with ``s2 = V/n`` is exactly Johari et al.'s two-stream statistic. The always-valid p-value is the running
minimum of ``1/Lambda`` and the confidence sequence is the running intersection of
``{theta : Lambda(theta) < 1/alpha}``, i.e. ``d +- sqrt(2 s2 (s2 + tau2) / tau2 * (log(1/alpha) + log(sqrt((s2 + tau2)/s2))))``.
Both stay valid however often one peeks (asymptotically, with the variance estimated).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
from scipy import optimize

from adlens.errors import InvalidInput

METHOD = "mSPRT, normal mixture (Johari et al.)"


@lru_cache(maxsize=32)
def tau2_factor(alpha: float) -> float:
    """u minimising the confidence-sequence radius at a given variance when tau2 = u * s2."""

    def radius(log_u: float) -> float:
        u = math.exp(log_u)
        return (1.0 + u) / u * (math.log(1.0 / alpha) + 0.5 * math.log1p(u))

    res = optimize.minimize_scalar(radius, bounds=(-10.0, 10.0), method="bounded", options={"xatol": 1e-10})
    return math.exp(float(res.x))


def log_mixture_lr(d: np.ndarray, s2: np.ndarray, tau2: float, theta0: float = 0.0) -> np.ndarray:
    """log Lambda of the normal-mixture SPRT."""
    d, s2 = np.asarray(d, dtype=float), np.asarray(s2, dtype=float)
    return 0.5 * np.log(s2 / (s2 + tau2)) + tau2 * (d - theta0) ** 2 / (2.0 * s2 * (s2 + tau2))


def radius(s2: np.ndarray, tau2: float, alpha: float) -> np.ndarray:
    """Half-width of the (per-look) mixture confidence region."""
    s2 = np.asarray(s2, dtype=float)
    return np.sqrt(2.0 * s2 * (s2 + tau2) / tau2 * (math.log(1.0 / alpha) + 0.5 * np.log((s2 + tau2) / s2)))


@dataclass
class SequentialResult:
    method: str
    alpha: float
    tau: float
    p_value: float
    ci_low: float
    ci_high: float
    looks: int
    first_significant_at: int | None
    path: dict[str, list[float]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "alpha": self.alpha,
            "tau": self.tau,
            "p_value": self.p_value,
            "ci": {"low": self.ci_low, "high": self.ci_high, "level": 1.0 - self.alpha},
            "looks": self.looks,
            "first_significant_at": self.first_significant_at,
            "path": self.path,
        }


def always_valid(
    n: np.ndarray, d: np.ndarray, s2: np.ndarray, alpha: float = 0.05, tau: float | None = None
) -> SequentialResult:
    """Always-valid p-values and confidence sequence over looks with sample sizes ``n``.

    ``tau`` is the mixing standard deviation on the scale of the difference; by default it is tuned so that the
    confidence sequence is tightest at the last look (tau^2 = u*(alpha) * s2_final), i.e. for the planned horizon.
    """
    n, d, s2 = (np.asarray(a, dtype=float) for a in (n, d, s2))
    ok = np.isfinite(d) & np.isfinite(s2) & (s2 > 0)
    if not ok.any():
        raise InvalidInput("sequential test: no look has positive variance in both arms")
    n, d, s2 = n[ok], d[ok], s2[ok]
    if tau is None:
        tau2 = tau2_factor(alpha) * float(s2[-1])
    else:
        if not tau > 0:
            raise InvalidInput("sequential test: tau must be positive")
        tau2 = float(tau) ** 2
    p = np.minimum(1.0, np.minimum.accumulate(np.exp(-log_mixture_lr(d, s2, tau2))))
    r = radius(s2, tau2, alpha)
    low = np.maximum.accumulate(d - r)
    high = np.minimum.accumulate(d + r)
    hit = np.nonzero(p < alpha)[0]
    return SequentialResult(
        METHOD, alpha, math.sqrt(tau2), float(p[-1]), float(low[-1]), float(high[-1]), int(n.size),
        int(n[hit[0]]) if hit.size else None,
        {"n": n.tolist(), "estimate": d.tolist(), "p_value": p.tolist(), "ci_low": low.tolist(), "ci_high": high.tolist()},
    )  # fmt: skip


def look_points(total: int, max_looks: int) -> np.ndarray:
    """Row counts (1-based, inclusive) at which to look: evenly spaced, always including the last row."""
    if max_looks < 1:
        raise InvalidInput("max_looks must be at least 1")
    k = min(total, max_looks)
    return np.unique(np.ceil(np.linspace(total / k, total, k)).astype(int))


def _cum(values: np.ndarray, mask: np.ndarray, idx: np.ndarray) -> np.ndarray:
    return np.cumsum(np.where(mask, values, 0.0))[idx - 1]


def _var(n: np.ndarray, s: np.ndarray, ss: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(n > 1, (ss - s * s / n) / (n - 1), np.nan)


def mean_path(
    is_treatment: np.ndarray, y: np.ndarray, max_looks: int = 100
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per look: ``(n_total, difference in means, variance of the difference)`` in arrival order."""
    t = np.asarray(is_treatment, dtype=bool)
    y = np.asarray(y, dtype=float)
    idx = look_points(y.size, max_looks)
    out = []
    for mask in (~t, t):
        n = _cum(np.ones_like(y), mask, idx)
        s, ss = _cum(y, mask, idx), _cum(y * y, mask, idx)
        with np.errstate(divide="ignore", invalid="ignore"):
            out.append((n, s / n, _var(n, s, ss) / n))
    (_, m_c, v_c), (_, m_t, v_t) = out
    return idx.astype(float), m_t - m_c, v_c + v_t


def ratio_path(
    is_treatment: np.ndarray, num: np.ndarray, den: np.ndarray, max_looks: int = 100
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per look: ``(n_total, difference in ratios, delta-method variance of the difference)``."""
    t = np.asarray(is_treatment, dtype=bool)
    x, w = np.asarray(num, dtype=float), np.asarray(den, dtype=float)
    idx = look_points(x.size, max_looks)
    out = []
    with np.errstate(divide="ignore", invalid="ignore"):
        for mask in (~t, t):
            n = _cum(np.ones_like(x), mask, idx)
            sx, sw = _cum(x, mask, idx), _cum(w, mask, idx)
            vx, vw = _var(n, sx, _cum(x * x, mask, idx)), _var(n, sw, _cum(w * w, mask, idx))
            cxw = np.where(n > 1, (_cum(x * w, mask, idx) - sx * sw / n) / (n - 1), np.nan)
            r = sx / sw
            mw = sw / n
            out.append((r, (vx - 2 * r * cxw + r * r * vw) / (n * mw * mw)))
    (r_c, v_c), (r_t, v_t) = out
    return idx.astype(float), r_t - r_c, v_c + v_t


__all__ = ["METHOD", "SequentialResult", "always_valid", "log_mixture_lr", "look_points", "mean_path", "radius",
           "ratio_path", "tau2_factor"]  # fmt: skip
