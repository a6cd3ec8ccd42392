"""Geo-test design: choose control markets for a planned treated set and estimate power.

1. The planned treated markets are aggregated (sum or mean) into one series; every series is
   indexed to its own pre-period mean, so markets of different size can be combined.
2. Control markets are chosen by synthetic-control fit on the history (simplex weights on the
   indexed series); markets with weight ≥ ``min_weight`` (or the ``n_controls`` largest) are kept.
3. Power comes from placebo-in-time simulations on the history: for every window of
   ``test_length`` periods that has at least ``min_train`` periods before it, weights are fitted on
   the periods before the window and the "effect" (mean relative gap in the window) is recorded.
   With no intervention these estimates form the null distribution; the critical value is its
   (1−α) quantile of |estimate|, and the power for a relative lift δ is the share of windows where
   |estimate + δ| exceeds it. The minimum detectable effect is the smallest δ with power ≥ 0.8.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from adlens.analytics.causal.synth_weights import simplex_ls
from adlens.analytics.panel import build_panel, split_treated
from adlens.errors import InvalidInput

__all__ = ["GeoDesign", "geo_design"]


@dataclass
class GeoDesign:
    """Chosen controls, fit quality, null distribution and the power curve."""

    treated: list[Any]
    controls: pd.Series  # weights of the chosen controls (sum to 1)
    all_weights: pd.Series
    holdout_mape: float
    fit_rmspe: float
    null_estimates: pd.Series  # window start → relative "effect" with no intervention
    critical_value: float
    power_curve: pd.DataFrame  # effect, power
    mde: float | None
    power_at_effect: float | None
    series: pd.DataFrame  # treated index vs synthetic index over the whole history


def _index(Y: pd.DataFrame, upto: int) -> pd.DataFrame:
    base = Y.iloc[:, :upto].mean(axis=1)
    if (base == 0).any():
        zero = base[base == 0].index.tolist()[:5]
        raise InvalidInput(f"market(s) {', '.join(map(str, zero))} have zero mean outcome in the history")
    return Y.div(base, axis=0)


def geo_design(
    df: pd.DataFrame,
    unit: str,
    time: str,
    outcome: str,
    treated: Sequence[Any],
    *,
    test_length: int,
    effect: float | None = None,
    candidates: Sequence[Any] | None = None,
    n_controls: int | None = None,
    min_weight: float = 0.01,
    min_train: int | None = None,
    alpha: float = 0.05,
    aggregate: Literal["sum", "mean"] = "sum",
    effects: Sequence[float] | None = None,
) -> GeoDesign:
    """Plan a geo test on historical (pre-launch) data; ``effect`` is a relative lift, e.g. 0.05."""
    panel = build_panel(df, unit, time, outcome)
    T = len(panel.times)
    if test_length < 1:
        raise InvalidInput("test_length must be at least 1 period")
    min_train = min_train or max(2 * test_length, 8)
    if min_train + test_length + 2 > T:
        raise InvalidInput(
            f"history too short: {T} periods; need at least {min_train + test_length + 2} "
            f"(training {min_train} + test {test_length} + 2 for the placebo windows)"
        )
    tr, donors, _, _ = split_treated(panel, list(treated), panel.times[1], min_donors=2)
    if candidates is not None:
        cand = [u for u in donors if u in set(candidates) or str(u) in {str(c) for c in candidates}]
        if len(cand) < 2:
            raise InvalidInput(
                "fewer than 2 candidate control markets remain after excluding the treated ones"
            )
        donors = cand
    Y = panel.Y
    agg = Y.loc[tr].sum() if aggregate == "sum" else Y.loc[tr].mean()
    full = pd.concat([Y.loc[donors], agg.rename("__treated__").to_frame().T])
    # control choice on all history but the last test_length periods; those are a holdout check
    fit_end = T - test_length
    idx = _index(full, fit_end)
    w = simplex_ls(
        idx.loc[donors].iloc[:, :fit_end].to_numpy().T, idx.loc["__treated__"].iloc[:fit_end].to_numpy()
    )
    all_w = pd.Series(w, index=donors, name="weight").sort_values(ascending=False)
    chosen = all_w.head(n_controls) if n_controls else all_w[all_w >= min_weight]
    if len(chosen) == 0:
        chosen = all_w.head(1)
    chosen = chosen / chosen.sum()
    synth = chosen.to_numpy() @ idx.loc[chosen.index].to_numpy()
    actual = idx.loc["__treated__"].to_numpy()
    holdout_mape = float(np.mean(np.abs(actual[fit_end:] - synth[fit_end:]) / np.abs(synth[fit_end:])))
    fit_rmspe = float(np.sqrt(np.mean((actual[:fit_end] - synth[:fit_end]) ** 2)))
    # placebo-in-time null distribution, refitting on each training window with the chosen controls
    nulls = {}
    ctrl = list(chosen.index)
    for s in range(min_train, T - test_length + 1):
        win = _index(full, s)
        wk = simplex_ls(win.loc[ctrl].iloc[:, :s].to_numpy().T, win.loc["__treated__"].iloc[:s].to_numpy())
        sy = wk @ win.loc[ctrl].iloc[:, s : s + test_length].to_numpy()
        ac = win.loc["__treated__"].iloc[s : s + test_length].to_numpy()
        nulls[panel.times[s]] = float(np.mean(ac / sy) - 1.0)
    null = pd.Series(nulls, name="estimate")
    crit = float(np.quantile(np.abs(null.to_numpy()), 1 - alpha))
    grid = np.asarray(
        effects if effects is not None else np.round(np.linspace(0, max(4 * crit, 0.01), 41), 6)
    )
    e = null.to_numpy()
    # a lift δ multiplies the treated series: estimate ≈ (1+δ)(1+e) − 1
    power = [float(np.mean(np.abs((1 + d) * (1 + e) - 1) > crit)) for d in grid]
    curve = pd.DataFrame({"effect": grid, "power": power})
    ok = curve[curve["power"] >= 0.8]
    mde = float(ok["effect"].iloc[0]) if len(ok) else None
    p_eff = None if effect is None else float(np.mean(np.abs((1 + effect) * (1 + e) - 1) > crit))
    series = pd.DataFrame({"treated": actual, "synthetic": synth}, index=Y.columns)
    return GeoDesign(
        treated=tr,
        controls=chosen.rename("weight"),
        all_weights=all_w,
        holdout_mape=holdout_mape,
        fit_rmspe=fit_rmspe,
        null_estimates=null,
        critical_value=crit,
        power_curve=curve,
        mde=mde,
        power_at_effect=p_eff,
        series=series,
    )
