"""Welch's unequal-variance t-test from summary statistics (n, mean, variance)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

from adlens.analytics.experiments.lift import relative_lift
from adlens.analytics.experiments.results import ArmSummary, Comparison, Interval
from adlens.errors import InvalidInput


@dataclass(frozen=True)
class MeanStats:
    """Summary of one arm: size, mean and sample variance (ddof=1)."""

    arm: str
    n: int
    mean: float
    var: float

    @classmethod
    def from_values(cls, arm: str, values: np.ndarray) -> MeanStats:
        values = np.asarray(values, dtype=float)
        if values.size < 2:
            raise InvalidInput(f"arm '{arm}' needs at least 2 users for a t-test, has {values.size}")
        return cls(arm, int(values.size), float(values.mean()), float(values.var(ddof=1)))

    @classmethod
    def from_sums(cls, arm: str, n: float, total: float, total_sq: float) -> MeanStats:
        """From aggregated ``n``, sum and sum of squares."""
        if n < 0 or total_sq < 0:
            raise InvalidInput(f"arm '{arm}': n and sum of squares must not be negative")
        if not float(n).is_integer():
            raise InvalidInput(f"arm '{arm}': n must be a whole number, got {n!r}")
        if n < 2:
            raise InvalidInput(f"arm '{arm}' needs n >= 2 for a t-test, has {n:g}")
        mean = total / n
        ss = total_sq - total * total / n
        if ss < -1e-9 * max(1.0, abs(total_sq)):
            raise InvalidInput(
                f"arm '{arm}': sums are inconsistent (sum of squares {total_sq:g} < sum^2/n {total * total / n:g})"
            )
        return cls(arm, int(n), float(mean), float(max(ss, 0.0) / (n - 1)))

    def summary(self) -> ArmSummary:
        return ArmSummary(self.arm, self.n, self.mean, math.sqrt(self.var / self.n), {"variance": self.var})


def welch(control: MeanStats, treatment: MeanStats) -> tuple[float, float, float, float]:
    """``(difference, se, t, Welch–Satterthwaite df)``."""
    a, b = control.var / control.n, treatment.var / treatment.n
    se2 = a + b
    diff = treatment.mean - control.mean
    se = math.sqrt(se2)
    df = se2**2 / (a**2 / (control.n - 1) + b**2 / (treatment.n - 1))
    return diff, se, diff / se, df


def compare_means(metric: str, control: MeanStats, treatment: MeanStats, alpha: float = 0.05) -> Comparison:
    """Welch's t-test; CI for the difference with the t quantile at the Welch df."""
    if control.var == 0.0 and treatment.var == 0.0:
        raise InvalidInput(
            f"metric '{metric}' has zero variance in both arms ('{control.arm}' and '{treatment.arm}'): "
            "a t-test is undefined"
        )
    notes = [
        f"metric '{metric}' has zero variance in arm '{s.arm}'" for s in (control, treatment) if s.var == 0.0
    ]
    diff, se, t, df = welch(control, treatment)
    p_value = float(2.0 * stats.t.sf(abs(t), df))
    half = float(stats.t.ppf(1.0 - alpha / 2.0, df)) * se
    v_c, v_t = control.var / control.n, treatment.var / treatment.n
    rel, rel_ci, fieller, note = relative_lift(treatment.mean, v_t, control.mean, v_c, alpha)
    if note:
        notes.append(note)
    return Comparison(
        metric=metric,
        kind="mean",
        test="Welch t-test",
        control=control.summary(),
        treatment=treatment.summary(),
        abs_lift=diff,
        abs_ci=Interval(diff - half, diff + half, 1.0 - alpha, "welch-t"),
        rel_lift=rel,
        rel_ci=rel_ci,
        rel_ci_fieller=fieller,
        statistic=float(t),
        p_value=p_value,
        df=float(df),
        se=se,
        notes=notes,
    )


__all__ = ["MeanStats", "compare_means", "welch"]
