"""Event-study (dynamic TWFE) coefficients with a joint pre-trend Wald test.

The outcome is regressed on relative-period dummies ``1[t − g_i = e]`` for treated units (``g_i`` is
the unit's first treated period), with unit and period fixed effects and CR1 errors clustered by
unit; ``e = −1`` is the reference period. Event times beyond ``leads``/``lags`` are binned into the
end points. The pre-trend test is the Wald statistic ``b'V⁻¹b`` for all lead coefficients, reported
as χ²(k) and as F(k, G−1) = χ²/k.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from adlens.analytics.causal.did import cluster_ols, prepare_long, twoway_demean
from adlens.errors import InvalidInput

__all__ = ["EventStudy", "cohorts_from_treatment", "event_study"]


@dataclass
class EventStudy:
    """Coefficients per event time (reference e=−1 has 0) with CIs, plus the pre-trend test."""

    coefs: pd.DataFrame  # index event time: estimate, se, ci_low, ci_high
    pretrend_chi2: float
    pretrend_df: int
    pretrend_p: float
    pretrend_f_p: float
    n_obs: int
    n_clusters: int


def cohorts_from_treatment(work: pd.DataFrame, unit: str, time: str, treatment: str) -> pd.Series:
    """First treated period per unit (NaN for never-treated); refuses treatment that switches off."""
    d = pd.to_numeric(work[treatment], errors="coerce")
    if d.isna().any() or not set(d.unique()) <= {0, 1}:
        raise InvalidInput(f"treatment column {treatment!r} must be 0/1 with no missing values")
    ordered = work.assign(_d=d).sort_values([unit, time])
    switches_off = ordered.groupby(unit)["_d"].apply(lambda s: bool((s.diff() < 0).any()))
    if switches_off.any():
        bad = switches_off[switches_off].index.tolist()[:5]
        raise InvalidInput(
            f"treatment must be absorbing (stay on once it starts); it switches off for {', '.join(map(str, bad))}"
        )
    first = ordered.loc[ordered["_d"] == 1].groupby(unit)[time].min()
    return first.reindex(ordered[unit].unique())


def event_study(
    df: pd.DataFrame,
    unit: str,
    time: str,
    outcome: str,
    treatment: str,
    *,
    leads: int = 5,
    lags: int = 5,
    level: float = 0.95,
) -> EventStudy:
    """Dynamic TWFE on a long panel with a 0/1 absorbing ``treatment`` column (integer-spaced periods)."""
    work = prepare_long(df, unit, time, outcome, treatment)
    g = cohorts_from_treatment(work, unit, time, treatment)
    if g.notna().sum() == 0:
        raise InvalidInput("no unit is ever treated")
    times = np.sort(work[time].unique())
    pos = {t: i for i, t in enumerate(times)}  # event time counted in periods, so dates work too
    tpos = work[time].map(pos).to_numpy()
    gpos = work[unit].map(g).map(lambda v: pos.get(v, np.nan) if pd.notna(v) else np.nan).to_numpy(float)
    rel = tpos - gpos
    rel = np.where(np.isnan(rel), np.nan, np.clip(rel, -leads, lags))
    events = [e for e in range(-leads, lags + 1) if e != -1 and np.any(rel == e)]
    if not any(e < -1 for e in events):
        raise InvalidInput("no pre-treatment periods before e=−1 to test for pre-trends (need leads ≥ 2)")
    D = pd.DataFrame({f"e{e}": (rel == e).astype(float) for e in events})
    uc, _ = pd.factorize(work[unit])
    tc, _ = pd.factorize(work[time])
    Z = twoway_demean(np.column_stack([work[outcome].to_numpy(float), D.to_numpy()]), uc, tc)
    fit = cluster_ols(
        Z[:, 0], pd.DataFrame(Z[:, 1:], columns=D.columns), work[unit].to_numpy(), uc.max() + tc.max() + 1
    )
    q = stats.t.ppf(0.5 + level / 2, df=max(fit.n_clusters - 1, 1))
    rows = {}
    for e in range(-leads, lags + 1):
        if e == -1:
            rows[e] = (0.0, 0.0)
        elif f"e{e}" in fit.params:
            rows[e] = (float(fit.params[f"e{e}"]), float(fit.se[f"e{e}"]))
    coefs = pd.DataFrame(rows, index=["estimate", "se"]).T
    coefs["ci_low"] = coefs["estimate"] - q * coefs["se"]
    coefs["ci_high"] = coefs["estimate"] + q * coefs["se"]
    coefs.index.name = "event_time"
    pre = [f"e{e}" for e in events if e < -1]
    b = fit.params[pre].to_numpy()
    V = fit.cov.loc[pre, pre].to_numpy()
    chi2 = float(b @ np.linalg.pinv(V) @ b)
    k = len(pre)
    return EventStudy(
        coefs=coefs,
        pretrend_chi2=chi2,
        pretrend_df=k,
        pretrend_p=float(stats.chi2.sf(chi2, k)),
        pretrend_f_p=float(stats.f.sf(chi2 / k, k, max(fit.n_clusters - 1, 1))),
        n_obs=fit.n_obs,
        n_clusters=fit.n_clusters,
    )
