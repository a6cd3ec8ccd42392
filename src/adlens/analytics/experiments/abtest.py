"""A/B(/n) test use cases: per-user rows or aggregated counts in, an :class:`ABTestReport` out."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from adlens.analytics.experiments.cuped import fit_cuped
from adlens.analytics.experiments.io import (
    arm_labels,
    is_binary,
    numeric_column,
    order_arms,
    require_columns,
)
from adlens.analytics.experiments.means import MeanStats, compare_means
from adlens.analytics.experiments.multiple import CORRECTIONS
from adlens.analytics.experiments.plots import lift_plot, sequential_plot
from adlens.analytics.experiments.proportions import ProportionCounts, compare_proportions
from adlens.analytics.experiments.ratio import RatioSpec, RatioStats, compare_ratios
from adlens.analytics.experiments.report import ABTestReport, finish
from adlens.analytics.experiments.results import Comparison
from adlens.analytics.experiments.sequential import always_valid, mean_path, ratio_path
from adlens.analytics.experiments.srm import srm_check
from adlens.errors import InvalidInput


def _check_options(alpha: float, correction: str) -> None:
    if not 0.0 < alpha < 1.0:
        raise InvalidInput(f"alpha must be between 0 and 1, got {alpha}")
    if correction not in CORRECTIONS:
        raise InvalidInput(f"unknown correction '{correction}' (choose one of {', '.join(CORRECTIONS)})")


def covariate_map(covariate: str | Mapping[str, str] | None, metrics: Sequence[str]) -> dict[str, str]:
    """``"pre"`` applies to every metric; ``"revenue=pre_revenue"`` or a mapping to one metric each."""
    if covariate is None or covariate == "":
        return {}
    if isinstance(covariate, Mapping):
        out = dict(covariate)
    elif "=" in covariate:
        out = {}
        for part in filter(None, (p.strip() for p in covariate.split(","))):
            metric, _, cov = part.partition("=")
            out[metric.strip()] = cov.strip()
    else:
        return dict.fromkeys(metrics, covariate)
    unknown = [m for m in out if m not in metrics]
    if unknown:
        raise InvalidInput(f"covariate given for {', '.join(unknown)}, which is not among the metrics")
    return out


def _cuped_comparison(
    metric: str, kind: str, y_c: np.ndarray, y_t: np.ndarray, x_c: np.ndarray, x_t: np.ndarray,
    names: tuple[str, str], covariate: str, alpha: float,
) -> Comparison:  # fmt: skip
    fit = fit_cuped(np.concatenate([y_c, y_t]), np.concatenate([x_c, x_t]), covariate)
    raw = compare_means(
        metric, MeanStats.from_values(names[0], y_c), MeanStats.from_values(names[1], y_t), alpha
    )
    adj = compare_means(
        metric,
        MeanStats.from_values(names[0], fit.adjust(y_c, x_c)),
        MeanStats.from_values(names[1], fit.adjust(y_t, x_t)),
        alpha,
    )
    adj.kind = kind
    adj.test = "Welch t-test on CUPED-adjusted values"
    adj.cuped = {
        "covariate": covariate,
        "theta": fit.theta,
        "covariate_mean": fit.covariate_mean,
        "correlation": fit.correlation,
        "variance_reduction": 1.0 - (adj.se or 0.0) ** 2 / (raw.se or 1.0) ** 2,
        "unadjusted": {"abs_lift": raw.abs_lift, "abs_ci": raw.abs_ci, "p_value": raw.p_value, "se": raw.se},
    }
    return adj


def abtest_rows(
    df: pd.DataFrame,
    *,
    arm: str,
    metrics: Sequence[str] = (),
    ratios: Sequence[str | RatioSpec] = (),
    covariate: str | Mapping[str, str] | None = None,
    control: str | None = None,
    alpha: float = 0.05,
    correction: str = "holm",
    sequential: bool = False,
    order_by: str | None = None,
    tau: float | None = None,
    max_looks: int = 100,
    planned_split: Mapping[str, float] | None = None,
    srm_threshold: float = 0.001,
    plots: bool = False,
) -> ABTestReport:
    """Compare every arm with the control on each metric (0/1 columns: z-test; others: Welch) and ratio metric."""
    _check_options(alpha, correction)
    specs = [r if isinstance(r, RatioSpec) else RatioSpec.parse(r) for r in ratios]
    metrics = list(dict.fromkeys(metrics))
    if not metrics and not specs:
        raise InvalidInput("give at least one metric column (or a ratio metric)")
    if df.empty:
        raise InvalidInput("the data has no rows")
    covs = covariate_map(covariate, metrics)
    needed = [arm, *metrics, *(c for s in specs for c in (s.numerator, s.denominator)), *covs.values()]
    if order_by:
        needed.append(order_by)
    require_columns(df, list(dict.fromkeys(needed)))
    if order_by:
        df = df.sort_values(order_by, kind="mergesort")
    labels = arm_labels(df, arm).to_numpy()
    arms = order_arms(list(labels), control)
    ctrl = arms[0]
    numeric = [*metrics, *(c for s in specs for c in (s.numerator, s.denominator)), *covs.values()]
    columns = {c: numeric_column(df, c) for c in dict.fromkeys(numeric)}
    comparisons: list[Comparison] = []
    for treat in arms[1:]:
        in_pair = (labels == ctrl) | (labels == treat)
        is_t = labels[in_pair] == treat
        for metric in metrics:
            y = columns[metric][in_pair]
            y_c, y_t = y[~is_t], y[is_t]
            binary = is_binary(y)
            if metric in covs:
                x = columns[covs[metric]][in_pair]
                comp = _cuped_comparison(
                    metric, "proportion" if binary else "mean", y_c, y_t, x[~is_t], x[is_t], (ctrl, treat),
                    covs[metric], alpha,
                )  # fmt: skip
            elif binary:
                comp = compare_proportions(
                    metric,
                    ProportionCounts(ctrl, int(y_c.size), int(y_c.sum())),
                    ProportionCounts(treat, int(y_t.size), int(y_t.sum())),
                    alpha,
                )
            else:
                comp = compare_means(
                    metric, MeanStats.from_values(ctrl, y_c), MeanStats.from_values(treat, y_t), alpha
                )
            if sequential:
                comp.sequential = always_valid(*mean_path(is_t, y, max_looks), alpha=alpha, tau=tau).to_dict()
            comparisons.append(comp)
        for spec in specs:
            num, den = columns[spec.numerator][in_pair], columns[spec.denominator][in_pair]
            comp = compare_ratios(
                spec.name,
                RatioStats.from_values(ctrl, num[~is_t], den[~is_t], spec.name),
                RatioStats.from_values(treat, num[is_t], den[is_t], spec.name),
                alpha,
            )
            if sequential:
                comp.sequential = always_valid(
                    *ratio_path(is_t, num, den, max_looks), alpha=alpha, tau=tau
                ).to_dict()
            comparisons.append(comp)
    sizes = {a: int((labels == a).sum()) for a in arms}
    srm = srm_check(sizes, dict(planned_split) if planned_split else None, srm_threshold)
    report = ABTestReport(ctrl, arms, alpha, correction, sequential, len(comparisons), comparisons, srm)
    finish(report)
    if plots:
        add_plots(report)
    return report


def abtest_counts(
    counts: Sequence[ProportionCounts] = (),
    sums: Sequence[MeanStats] = (),
    *,
    metric: str = "conversion",
    value_metric: str = "value",
    control: str | None = None,
    alpha: float = 0.05,
    correction: str = "holm",
    sequential: bool = False,
    tau: float | None = None,
    planned_split: Mapping[str, float] | None = None,
    srm_threshold: float = 0.001,
    plots: bool = False,
) -> ABTestReport:
    """Aggregated input: users/conversions per arm and/or n/sum/sum-of-squares per arm."""
    _check_options(alpha, correction)
    if not counts and not sums:
        raise InvalidInput("give aggregated counts (users, conversions) or sums (n, sum, sum of squares)")
    by_c = {c.arm: c for c in counts}
    by_s = {s.arm: s for s in sums}
    if counts and sums and set(by_c) != set(by_s):
        raise InvalidInput(f"counts arms {sorted(by_c)} and sums arms {sorted(by_s)} differ")
    arms = order_arms(list(by_c or by_s), control)
    ctrl = arms[0]
    comparisons: list[Comparison] = []
    for treat in arms[1:]:
        if counts:
            comparisons.append(compare_proportions(metric, by_c[ctrl], by_c[treat], alpha))
        if sums:
            comparisons.append(compare_means(value_metric, by_s[ctrl], by_s[treat], alpha))
    if sequential:
        for comp in comparisons:
            res = always_valid(
                np.array([comp.control.n + comp.treatment.n]), np.array([comp.abs_lift]),
                np.array([(comp.se or 0.0) ** 2]), alpha=alpha, tau=tau,
            )  # fmt: skip
            comp.sequential = res.to_dict()
            comp.notes.append("aggregated counts give a single look; pass per-user rows for the full path")
    sizes = {a: int(by_c[a].users) if counts else by_s[a].n for a in arms}
    srm = srm_check(sizes, dict(planned_split) if planned_split else None, srm_threshold)
    report = ABTestReport(ctrl, arms, alpha, correction, sequential, len(comparisons), comparisons, srm)
    finish(report)
    if plots:
        add_plots(report)
    return report


def add_plots(report: ABTestReport) -> None:
    """Attach base64 PNGs: relative lift with CI per metric, and the always-valid p-value paths."""
    report.plots["lift"] = lift_plot(report.comparisons)
    if report.sequential and any(
        len((c.sequential or {}).get("path", {}).get("n", [])) > 1 for c in report.comparisons
    ):
        report.plots["sequential"] = sequential_plot(report.comparisons, report.alpha)


__all__ = ["abtest_counts", "abtest_rows", "add_plots", "covariate_map"]
