"""Result records shared by every experiment test (plain dataclasses, JSON-able via ``to_dict``)."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Interval:
    """A confidence interval; ``None`` bounds mean unbounded (e.g. a Fieller interval that does not close)."""

    low: float | None
    high: float | None
    level: float
    method: str

    @property
    def bounded(self) -> bool:
        return self.low is not None and self.high is not None

    def contains(self, value: float) -> bool:
        lo = -math.inf if self.low is None else self.low
        hi = math.inf if self.high is None else self.high
        return lo <= value <= hi


@dataclass
class ArmSummary:
    """One arm of one metric: sample size, point estimate (rate, mean or ratio) and its standard error."""

    name: str
    n: int
    estimate: float
    se: float
    extra: dict[str, float] = field(default_factory=dict)


@dataclass
class Comparison:
    """Treatment vs control on one metric."""

    metric: str
    kind: str  # "proportion" | "mean" | "ratio"
    test: str
    control: ArmSummary
    treatment: ArmSummary
    abs_lift: float
    abs_ci: Interval
    rel_lift: float | None
    rel_ci: Interval | None
    rel_ci_fieller: Interval | None
    statistic: float
    p_value: float
    df: float | None = None
    se: float | None = None
    p_adjusted: float | None = None
    significant: bool | None = None
    cuped: dict[str, Any] | None = None
    sequential: dict[str, Any] | None = None
    notes: list[str] = field(default_factory=list)
    summary: str = ""

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


__all__ = ["ArmSummary", "Comparison", "Interval"]
