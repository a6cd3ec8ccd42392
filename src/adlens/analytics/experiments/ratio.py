"""Ratio metrics (sum of numerators / sum of denominators, e.g. CTR, CPA, ROAS) with delta-method variance.

Users are the randomisation unit, so the per-user pairs (num_i, den_i) are i.i.d. and
Var(R) ~= (s_num^2 - 2 R s_num,den + R^2 s_den^2) / (n * mean_den^2).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

from adlens.analytics.experiments.lift import relative_lift, z_quantile
from adlens.analytics.experiments.results import ArmSummary, Comparison, Interval
from adlens.errors import InvalidInput


@dataclass(frozen=True)
class RatioSpec:
    """A named ratio metric ``name = numerator / denominator`` over per-user columns."""

    name: str
    numerator: str
    denominator: str

    @classmethod
    def parse(cls, text: str) -> RatioSpec:
        """Parse ``"ctr=clicks/impressions"`` (the name defaults to ``clicks/impressions``)."""
        name, _, expr = text.partition("=") if "=" in text else (text, "", text)
        num, sep, den = expr.partition("/")
        if not sep or not num.strip() or not den.strip():
            raise InvalidInput(f"ratio metric '{text}' must look like name=numerator/denominator")
        return cls(name.strip(), num.strip(), den.strip())


@dataclass(frozen=True)
class RatioStats:
    """Per-arm moments of a ratio metric."""

    arm: str
    n: int
    num_mean: float
    den_mean: float
    var_num: float
    var_den: float
    cov: float

    @classmethod
    def from_values(cls, arm: str, num: np.ndarray, den: np.ndarray, metric: str = "ratio") -> RatioStats:
        num, den = np.asarray(num, dtype=float), np.asarray(den, dtype=float)
        if num.size < 2:
            raise InvalidInput(f"arm '{arm}' needs at least 2 users for ratio metric '{metric}'")
        if den.sum() == 0.0:
            raise InvalidInput(f"ratio metric '{metric}': the denominator sums to 0 in arm '{arm}'")
        cov = np.cov(num, den, ddof=1)
        return cls(
            arm, int(num.size), float(num.mean()), float(den.mean()), float(cov[0, 0]), float(cov[1, 1]),
            float(cov[0, 1]),
        )  # fmt: skip

    @property
    def ratio(self) -> float:
        return self.num_mean / self.den_mean

    @property
    def var_ratio(self) -> float:
        """Delta-method variance of the ratio estimate."""
        r = self.ratio
        v = (self.var_num - 2.0 * r * self.cov + r * r * self.var_den) / (self.n * self.den_mean**2)
        return max(v, 0.0)

    def summary(self) -> ArmSummary:
        return ArmSummary(
            self.arm,
            self.n,
            self.ratio,
            math.sqrt(self.var_ratio),
            {"numerator_sum": self.num_mean * self.n, "denominator_sum": self.den_mean * self.n},
        )


def compare_ratios(
    metric: str, control: RatioStats, treatment: RatioStats, alpha: float = 0.05
) -> Comparison:
    """Delta-method z-test of R_t - R_c; relative lift R_t/R_c - 1 with delta and Fieller intervals."""
    v_c, v_t = control.var_ratio, treatment.var_ratio
    se = math.sqrt(v_c + v_t)
    if se == 0.0:
        raise InvalidInput(f"ratio metric '{metric}' has zero variance in both arms")
    diff = treatment.ratio - control.ratio
    z = diff / se
    half = z_quantile(alpha) * se
    rel, rel_ci, fieller, note = relative_lift(treatment.ratio, v_t, control.ratio, v_c, alpha)
    return Comparison(
        metric=metric,
        kind="ratio",
        test="delta-method z-test",
        control=control.summary(),
        treatment=treatment.summary(),
        abs_lift=diff,
        abs_ci=Interval(diff - half, diff + half, 1.0 - alpha, "delta"),
        rel_lift=rel,
        rel_ci=rel_ci,
        rel_ci_fieller=fieller,
        statistic=float(z),
        p_value=float(2.0 * stats.norm.sf(abs(z))),
        se=se,
        notes=[note] if note else [],
    )


__all__ = ["RatioSpec", "RatioStats", "compare_ratios"]
