"""Result assembly: multiple-testing decisions and the plain-language summaries people read first."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from adlens.analytics.experiments.multiple import CORRECTION_NAMES, adjust
from adlens.analytics.experiments.results import Comparison, Interval
from adlens.analytics.experiments.srm import SRMResult


@dataclass
class ABTestReport:
    control: str
    arms: list[str]
    alpha: float
    correction: str
    sequential: bool
    n_tests: int
    comparisons: list[Comparison]
    srm: SRMResult | None
    warnings: list[str] = field(default_factory=list)
    summary: str = ""
    plots: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def fmt_p(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.2g}" if p < 0.01 else f"p = {p:.3g}"


def fmt_pct(x: float | None) -> str:
    return "∞" if x is None else f"{x * 100:.1f} %"


def fmt_num(x: float | None) -> str:
    if x is None:
        return "∞"
    return f"{x:,.4g}" if abs(x) < 1000 else f"{x:,.0f}"


def _ci_text(ci: Interval | None, pct: bool) -> str:
    if ci is None:
        return ""
    f = fmt_pct if pct else fmt_num
    level = f"{ci.level * 100:g} %"
    if not ci.bounded:
        return f" ({level} CI unbounded)"
    return f" ({level} CI {f(ci.low)} to {f(ci.high)})"


def decide(comparisons: list[Comparison], alpha: float, correction: str, sequential: bool) -> None:
    """Fill ``p_adjusted`` and ``significant`` over all comparisons (always-valid p-values when sequential)."""
    if not comparisons:
        return
    raw = np.array(
        [c.sequential["p_value"] if sequential and c.sequential else c.p_value for c in comparisons],
        dtype=float,
    )
    adj = adjust(raw, correction)
    for c, p in zip(comparisons, adj, strict=True):
        c.p_adjusted = float(p)
        c.significant = bool(p < alpha)


def comparison_summary(
    c: Comparison, alpha: float, correction: str, n_tests: int, unit: str, sequential: bool
) -> str:
    """E.g. 'Variant B converts 25.0 % better than A (95 % CI 3.1 % to 51.0 %), p = 0.012; significant after ...'."""
    t, a = c.treatment.name, c.control.name
    ci = c.rel_ci_fieller if c.rel_ci_fieller is not None and c.rel_ci_fieller.bounded else c.rel_ci
    if c.rel_lift is not None and math.isfinite(c.rel_lift):
        size = fmt_pct(abs(c.rel_lift))
        up = c.rel_lift >= 0
        if c.kind == "proportion" and not c.cuped:
            head = f"Variant {t} converts {size} {'better' if up else 'worse'} than {a} on {c.metric}"
        else:
            head = f"Variant {t} has {size} {'higher' if up else 'lower'} {c.metric} than {a}"
        head += _ci_text(ci, pct=True)
    elif c.kind == "proportion":
        lo, hi = c.abs_ci.low or 0.0, c.abs_ci.high or 0.0
        head = (
            f"Variant {t} changes {c.metric} by {c.abs_lift * 100:+.2f} percentage points vs {a} "
            f"({c.abs_ci.level * 100:g} % CI {lo * 100:+.2f} to {hi * 100:+.2f})"
        )
    else:
        head = f"Variant {t} changes {c.metric} by {c.abs_lift:+,.4g} vs {a}" + _ci_text(c.abs_ci, pct=False)
    if sequential and c.sequential:
        head += f", always-valid {fmt_p(c.sequential['p_value'])}"
    else:
        head += f", {fmt_p(c.p_value)}"
    verdict = "significant" if c.significant else "not significant"
    if n_tests > 1 and correction != "none":
        tail = f"{verdict} after {CORRECTION_NAMES[correction]} correction across {n_tests} {unit}"
    else:
        tail = f"{verdict} at α = {alpha:g}"
    if c.cuped:
        tail += f" (CUPED on {c.cuped['covariate']} cut the variance by {c.cuped['variance_reduction'] * 100:.0f} %)"
    return f"{head}; {tail}."


def finish(report: ABTestReport) -> ABTestReport:
    """Decide significance, write every summary, collect warnings."""
    decide(report.comparisons, report.alpha, report.correction, report.sequential)
    metrics = {c.metric for c in report.comparisons}
    unit = "metrics" if len(metrics) == report.n_tests else "comparisons"
    for c in report.comparisons:
        c.summary = comparison_summary(
            c, report.alpha, report.correction, report.n_tests, unit, report.sequential
        )
        report.warnings.extend(f"{c.metric} ({c.treatment.name} vs {c.control.name}): {n}" for n in c.notes)
    parts = []
    if report.srm is not None and report.srm.mismatch:
        parts.append("WARNING: " + report.srm.message[0].upper() + report.srm.message[1:] + ".")
        report.warnings.insert(0, report.srm.message)
    parts.extend(c.summary for c in report.comparisons)
    report.summary = " ".join(parts)
    return report


__all__ = ["ABTestReport", "comparison_summary", "decide", "finish", "fmt_p", "fmt_pct"]
