"""Abadie's synthetic control: outcome-only or with covariate predictors and a nested V search.

Outcome-only (no predictors): W minimises the mean squared pre-period gap (V = identity on the
pre-period outcomes, no scaling). The default ``solver="synthdid"`` solves it the way the R
``synthdid`` package's ``sc_estimate`` does (Frank–Wolfe, ridge 1e-6·σ, no intercept, sparsified),
which reproduces Arkhangelsky et al. (2021) Table 1; ``solver="exact"`` solves the plain
constrained least squares to optimality. With predictors: each predictor is a variable averaged over given
periods (ADH 2010/2015, pysyncon/R ``Synth`` "special predictors"); rows are divided by their
standard deviation across all units, and V is either given or chosen by :func:`nested_v` to minimise
the outcome MSPE over the fit window.

The reported effect ``att`` is the average gap (treated − synthetic) over the post-period
``start … end``; ``att_se`` is the pysyncon-style ``sd(gaps)/sqrt(n)`` over the same periods.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from adlens.analytics.causal.sdid import sc_weights_batch, sdid_fit
from adlens.analytics.causal.synth_weights import nested_v, simplex_ls
from adlens.analytics.panel import (
    Panel,
    build_panel,
    coerce_time,
    match_periods,
    require_columns,
    split_treated,
)
from adlens.errors import InvalidInput

__all__ = [
    "Predictor",
    "SynthData",
    "SynthResult",
    "fit_synth",
    "parse_predictor",
    "prepare_synth",
    "synth_fit_one",
]


@dataclass(frozen=True)
class Predictor:
    """A predictor: ``variable`` averaged over ``periods`` (``None`` → the predictor window)."""

    variable: str
    periods: tuple[Any, ...] | None = None

    @property
    def label(self) -> str:
        if self.periods is None:
            return self.variable
        p = self.periods
        span = f"{p[0]}" if len(p) == 1 else f"{p[0]}-{p[-1]}" if _is_range(p) else ",".join(map(str, p))
        return f"{self.variable}@{span}"


def _is_range(p: Sequence[Any]) -> bool:
    try:
        return all(int(b) - int(a) == 1 for a, b in itertools.pairwise(p))
    except (TypeError, ValueError):
        return False


def parse_predictor(text: str) -> Predictor:
    """Parse ``var``, ``var@1988``, ``var@1980-1988`` or ``var@1961,1963,1965``."""
    var, _, spec = text.partition("@")
    var = var.strip()
    if not var:
        raise InvalidInput(f"bad predictor {text!r}: expected VAR or VAR@PERIODS")
    if not spec:
        return Predictor(var)
    periods: list[Any] = []
    try:
        for part in spec.split(","):
            part = part.strip()
            if "-" in part[1:]:
                a, b = part.split("-", 1) if not part.startswith("-") else (part, part)
                periods.extend(range(int(a), int(b) + 1))
            else:
                periods.append(int(part))
    except ValueError as exc:
        raise InvalidInput(f"bad predictor periods in {text!r}: use e.g. 1980-1988 or 1961,1963") from exc
    return Predictor(var, tuple(periods))


@dataclass
class SynthData:
    """Everything needed to (re)fit a synthetic control for any unit of the panel."""

    panel: Panel
    start: Any
    T0: int
    end: Any
    predictors: list[Predictor]
    X: pd.DataFrame | None  # predictor rows × units (unscaled)
    fit_times: list[Any]
    v: np.ndarray | None = None
    v_start: Literal["equal", "ols"] = "equal"
    solver: Literal["synthdid", "exact"] = "synthdid"


@dataclass
class SynthResult:
    """Weights, V, gap series and fit diagnostics for one treated unit."""

    treated: Any
    start: Any
    weights: pd.Series
    gap: pd.Series
    treated_series: pd.Series
    synthetic: pd.Series
    att: float
    att_se: float
    pre_rmspe: float
    post_rmspe: float
    v: pd.Series | None = None
    predictor_balance: pd.DataFrame | None = field(default=None, repr=False)

    @property
    def rmspe_ratio(self) -> float:
        return self.post_rmspe / self.pre_rmspe if self.pre_rmspe > 0 else float("inf")


def _predictor_matrix(
    df: pd.DataFrame, unit: str, time: str, units: list[Any], preds: list[Predictor], window: Sequence[Any]
) -> pd.DataFrame:
    rows = {}
    for p in preds:
        require_columns(df, p.variable)
        col = pd.to_numeric(df[p.variable], errors="coerce")
        if col.notna().sum() == 0:
            raise InvalidInput(f"predictor column {p.variable!r} has no numeric values")
        periods = list(p.periods) if p.periods is not None else list(window)
        sub = df.loc[df[time].isin(periods)].assign(_v=col)
        means = sub.groupby(unit)["_v"].mean().reindex(units)
        empty = means[means.isna()].index.tolist()
        if empty:
            raise InvalidInput(
                f"predictor {p.label} has no data for unit(s) {', '.join(map(str, empty[:5]))} in periods {periods[0]}–{periods[-1]}"
            )
        rows[p.label] = means
    return pd.DataFrame(rows).T


def prepare_synth(
    df: pd.DataFrame,
    unit: str,
    time: str,
    outcome: str,
    treated: Any,
    start: Any,
    *,
    predictors: Sequence[Predictor | str] | None = None,
    predictor_periods: Sequence[Any] | None = None,
    fit_periods: Sequence[Any] | None = None,
    end: Any | None = None,
    units: Sequence[Any] | None = None,
    v: Sequence[float] | None = None,
    v_start: Literal["equal", "ols"] = "equal",
    solver: Literal["synthdid", "exact"] = "synthdid",
) -> tuple[SynthData, Any, list[Any]]:
    """Validate inputs and build :class:`SynthData`; returns ``(data, treated, donors)``."""
    require_columns(df, unit, time, outcome)
    if units is not None:
        df = df[df[unit].isin(list(units)) | df[unit].astype(str).isin([str(u) for u in units])]
    panel = build_panel(df, unit, time, outcome)
    tr, donors, start_v, T0 = split_treated(panel, [treated], start, min_donors=2, min_pre=2)
    times = panel.times
    end_v = times[-1] if end is None else match_periods(panel, [end])[0]
    pre_times = times[:T0]
    preds = [parse_predictor(p) if isinstance(p, str) else p for p in (predictors or [])]
    X = None
    if preds:
        d2 = df.copy()
        d2[time] = coerce_time(d2[time], time)
        if d2[unit].dtype == object:
            d2[unit] = d2[unit].astype(str).str.strip()
        X = _predictor_matrix(d2, unit, time, panel.units, preds, predictor_periods or pre_times)
    fit = match_periods(panel, fit_periods) if fit_periods is not None else pre_times
    if len(fit) < 1:
        raise InvalidInput("give at least one fit period")
    if v is not None and (X is None or len(v) != X.shape[0]):
        raise InvalidInput("a custom V needs one value per predictor")
    data = SynthData(
        panel=panel,
        start=start_v,
        T0=T0,
        end=end_v,
        predictors=preds,
        X=X,
        fit_times=fit,
        v=None if v is None else np.asarray(v, dtype=float),
        v_start=v_start,
        solver=solver,
    )
    return data, tr[0], donors


def synth_fit_one(data: SynthData, treated: Any, donors: Sequence[Any]) -> SynthResult:
    """Fit W (and V when predictors are given and V is not fixed) for ``treated`` from ``donors``."""
    Y = data.panel.Y
    donors = list(donors)
    if len(donors) < 2:
        raise InvalidInput(f"too few donor units for {treated}: {len(donors)}")
    Z = Y.loc[:, data.fit_times]
    v_series = None
    balance = None
    if data.X is None and data.solver == "synthdid" and len(data.fit_times) >= 2:
        post_times = [t for t in Y.columns if data.start <= t <= data.end]
        M = Y.loc[[*donors, treated], list(data.fit_times) + post_times].to_numpy()
        w = sdid_fit(M, len(donors), len(data.fit_times), "sc").omega
    elif data.X is None:
        w = simplex_ls(Z.loc[donors].to_numpy().T, Z.loc[treated].to_numpy())
    else:
        X = data.X[[*donors, treated]]
        sd = X.std(axis=1, ddof=1).replace(0.0, 1.0)
        Xs = X.div(sd, axis=0)
        X0, x1 = Xs[donors].to_numpy(), Xs[treated].to_numpy()
        Z0, z1 = Z.loc[donors].to_numpy().T, Z.loc[treated].to_numpy()
        if data.v is not None:
            v = data.v / data.v.sum()
            w = simplex_ls(X0, x1, v)
        else:
            v, w, _ = nested_v(X0, x1, Z0, z1, start=data.v_start)
        v_series = pd.Series(v, index=X.index, name="v")
        balance = pd.DataFrame(
            {
                "treated": X[treated],
                "synthetic": X[donors].to_numpy() @ w,
                "donor_mean": X[donors].mean(axis=1),
            }
        )
    return _result(data, treated, donors, w, v_series, balance)


def _result(
    data: SynthData,
    treated: Any,
    donors: list[Any],
    w: np.ndarray,
    v_series: pd.Series | None = None,
    balance: pd.DataFrame | None = None,
) -> SynthResult:
    Y = data.panel.Y
    weights = pd.Series(w, index=donors, name="weight")
    synthetic = pd.Series(weights.to_numpy() @ Y.loc[donors].to_numpy(), index=Y.columns, name="synthetic")
    actual = Y.loc[treated].rename("treated")
    gap = (actual - synthetic).rename("gap")
    pre = gap.iloc[: data.T0]
    post = gap[(gap.index >= data.start) & (gap.index <= data.end)]
    if post.empty:
        raise InvalidInput(f"no post-treatment periods between {data.start} and {data.end}")
    n_post = len(post)
    return SynthResult(
        treated=treated,
        start=data.start,
        weights=weights,
        gap=gap,
        treated_series=actual,
        synthetic=synthetic,
        att=float(post.mean()),
        att_se=float(post.std(ddof=1) / np.sqrt(n_post)) if n_post > 1 else float("nan"),
        pre_rmspe=float(np.sqrt((pre**2).mean())),
        post_rmspe=float(np.sqrt((post**2).mean())),
        v=v_series,
        predictor_balance=balance,
    )


def synth_fit_many(data: SynthData, problems: Sequence[tuple[Any, Sequence[Any]]]) -> list[SynthResult]:
    """Fit several (treated, donors) problems; outcome-only synthdid fits with equal donor counts run batched."""
    sizes = {len(d) for _, d in problems}
    if (
        data.X is not None
        or data.solver != "synthdid"
        or len(sizes) != 1
        or len(data.fit_times) < 2
        or not problems
    ):
        return [synth_fit_one(data, t, d) for t, d in problems]
    if sizes.pop() < 2:
        raise InvalidInput("too few donor units for the placebo/leave-one-out fits")
    Z = data.panel.Y.loc[:, data.fit_times]
    Z0 = np.stack([Z.loc[list(d)].to_numpy().T for _, d in problems])
    z1 = np.stack([Z.loc[t].to_numpy() for t, _ in problems])
    W = sc_weights_batch(Z0, z1)
    return [_result(data, t, list(d), W[k]) for k, (t, d) in enumerate(problems)]


def fit_synth(
    df: pd.DataFrame,
    unit: str,
    time: str,
    outcome: str,
    treated: Any,
    start: Any,
    **options: Any,
) -> tuple[SynthResult, SynthData, list[Any]]:
    """Prepare and fit in one call; returns ``(result, data, donors)`` for placebo/LOO reuse."""
    data, tr, donors = prepare_synth(df, unit, time, outcome, treated, start, **options)
    return synth_fit_one(data, tr, donors), data, donors
