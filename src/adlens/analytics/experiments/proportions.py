"""Two-proportion z-test (pooled SE for the test, unpooled Wald SE for the interval)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy import stats

from adlens.analytics.experiments.lift import relative_lift, z_quantile
from adlens.analytics.experiments.results import ArmSummary, Comparison, Interval
from adlens.errors import InvalidInput


@dataclass(frozen=True)
class ProportionCounts:
    """Aggregated counts of one arm: ``users`` exposed, ``conversions`` among them."""

    arm: str
    users: int
    conversions: int

    def __post_init__(self) -> None:
        for name in ("users", "conversions"):
            value = getattr(self, name)
            if isinstance(value, bool) or not float(value).is_integer():
                raise InvalidInput(f"arm '{self.arm}': {name} must be a whole number, got {value!r}")
            if value < 0:
                raise InvalidInput(f"arm '{self.arm}': {name} must not be negative, got {value}")
        if self.users == 0:
            raise InvalidInput(f"arm '{self.arm}' has 0 users")
        if self.conversions > self.users:
            raise InvalidInput(
                f"arm '{self.arm}': conversions ({self.conversions}) exceed users ({self.users})"
            )

    @property
    def rate(self) -> float:
        return self.conversions / self.users

    def summary(self) -> ArmSummary:
        p = self.rate
        return ArmSummary(
            self.arm,
            int(self.users),
            p,
            math.sqrt(p * (1.0 - p) / self.users),
            {"conversions": float(self.conversions)},
        )


def compare_proportions(
    metric: str, control: ProportionCounts, treatment: ProportionCounts, alpha: float = 0.05
) -> Comparison:
    """z = (p_t - p_c) / sqrt(p(1-p)(1/n_c + 1/n_t)) with the pooled p; CI with the unpooled SE."""
    n_c, n_t = control.users, treatment.users
    p_c, p_t = control.rate, treatment.rate
    pooled = (control.conversions + treatment.conversions) / (n_c + n_t)
    se0 = math.sqrt(pooled * (1.0 - pooled) * (1.0 / n_c + 1.0 / n_t))
    if se0 == 0.0:
        raise InvalidInput(
            f"metric '{metric}' has zero variance: every user in both arms has the same value ({pooled:g})"
        )
    diff = p_t - p_c
    z = diff / se0
    p_value = float(2.0 * stats.norm.sf(abs(z)))
    v_c, v_t = p_c * (1.0 - p_c) / n_c, p_t * (1.0 - p_t) / n_t
    se1 = math.sqrt(v_c + v_t)
    half = z_quantile(alpha) * se1
    rel, rel_ci, fieller, note = relative_lift(p_t, v_t, p_c, v_c, alpha)
    notes = [note] if note else []
    degenerate = [a.arm for a in (control, treatment) if a.conversions in (0, a.users)]
    if degenerate:
        notes.append(
            f"arm(s) {', '.join(degenerate)} converted 0 % or 100 %: Wald intervals are degenerate there, "
            "collect more data before trusting them"
        )
    return Comparison(
        metric=metric,
        kind="proportion",
        test="two-proportion z-test",
        control=control.summary(),
        treatment=treatment.summary(),
        abs_lift=diff,
        abs_ci=Interval(diff - half, diff + half, 1.0 - alpha, "wald-unpooled"),
        rel_lift=rel,
        rel_ci=rel_ci,
        rel_ci_fieller=fieller,
        statistic=float(z),
        p_value=p_value,
        se=se1,
        notes=notes,
    )


__all__ = ["ProportionCounts", "compare_proportions"]
