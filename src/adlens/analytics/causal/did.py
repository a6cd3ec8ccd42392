"""Difference-in-differences: the 2×2 design and two-way fixed effects, with cluster-robust SEs.

Cluster-robust variance is CR1 (the Stata/statsmodels default):
``V = (G/(G−1))·((N−1)/(N−K))·(X'X)⁻¹ Σ_g X_g'u_g u_g'X_g (X'X)⁻¹`` where K counts every estimated
parameter including absorbed fixed effects (units + periods − 1), i.e. exactly what statsmodels gives
for the dummy-variable regression with clustered errors, and ``linearmodels.PanelOLS(...,
entity_effects=True, time_effects=True).fit(cov_type="clustered", cluster_entity=True,
debiased=True, group_debias=True)``. Inference uses a t distribution with G−1 degrees of freedom.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from adlens.analytics.panel import coerce_time, require_columns
from adlens.errors import InvalidInput

__all__ = [
    "DidResult",
    "OlsFit",
    "cluster_ols",
    "did_2x2",
    "prepare_long",
    "twfe",
    "twoway_demean",
]


@dataclass
class OlsFit:
    """OLS coefficients with a cluster-robust covariance."""

    params: pd.Series
    cov: pd.DataFrame
    n_obs: int
    n_clusters: int

    @property
    def se(self) -> pd.Series:
        return pd.Series(np.sqrt(np.diag(self.cov.to_numpy())), index=self.params.index)

    def t_test(self, name: str) -> tuple[float, float]:
        se = float(self.se[name])
        if se == 0.0:  # a perfect fit: no sampling variation left to test against
            return float("nan"), float("nan")
        t = float(self.params[name]) / se
        return t, float(2 * stats.t.sf(abs(t), df=max(self.n_clusters - 1, 1)))


def cluster_ols(y: np.ndarray, X: pd.DataFrame, clusters: np.ndarray | None, k_absorbed: int = 0) -> OlsFit:
    """OLS with CR1 cluster-robust (or HC1 when ``clusters`` is None) covariance."""
    Xm = X.to_numpy(dtype=float)
    n, k = Xm.shape
    XtX = Xm.T @ Xm
    if np.linalg.matrix_rank(XtX) < k:
        raise InvalidInput(
            "the regressors are collinear (e.g. no variation in treatment after removing fixed effects)"
        )
    XtX_inv = np.linalg.inv(XtX)
    beta = XtX_inv @ Xm.T @ y
    u = y - Xm @ beta
    kk = k + k_absorbed
    if clusters is None:
        meat = (Xm * u[:, None]).T @ (Xm * u[:, None])
        scale = n / (n - kk)
        g = n
    else:
        codes, uniq = pd.factorize(clusters)
        g = len(uniq)
        if g < 2:
            raise InvalidInput("need at least 2 clusters for cluster-robust standard errors")
        scores = np.zeros((g, k))
        np.add.at(scores, codes, Xm * u[:, None])
        meat = scores.T @ scores
        scale = g / (g - 1) * (n - 1) / (n - kk)
    cov = scale * XtX_inv @ meat @ XtX_inv
    names = list(X.columns)
    return OlsFit(
        params=pd.Series(beta, index=names),
        cov=pd.DataFrame(cov, index=names, columns=names),
        n_obs=n,
        n_clusters=g,
    )


@dataclass
class DidResult:
    """An ATT with its standard error, confidence interval and the inputs summary."""

    method: str
    att: float
    se: float
    ci: tuple[float, float]
    p_value: float
    n_obs: int
    n_clusters: int
    details: dict[str, Any] = field(default_factory=dict)


def _result(method: str, fit: OlsFit, name: str, level: float, details: dict[str, Any]) -> DidResult:
    att, se = float(fit.params[name]), float(fit.se[name])
    _t, p = fit.t_test(name)
    q = stats.t.ppf(0.5 + level / 2, df=max(fit.n_clusters - 1, 1))
    return DidResult(method, att, se, (att - q * se, att + q * se), p, fit.n_obs, fit.n_clusters, details)


def _binary(df: pd.DataFrame, col: str) -> pd.Series:
    s = pd.to_numeric(df[col], errors="coerce")
    vals = set(s.dropna().unique())
    if not vals <= {0, 1}:
        raise InvalidInput(f"column {col!r} must be 0/1; found values such as {sorted(vals - {0, 1})[:3]}")
    return s


def did_2x2(
    df: pd.DataFrame,
    outcome: str,
    group: str,
    post: str,
    cluster: str | None = None,
    level: float = 0.95,
) -> DidResult:
    """Regress ``outcome`` on group, post and group×post; the interaction is the DiD.

    Rows with a missing outcome are dropped (the count is reported in ``details``).
    """
    require_columns(df, outcome, group, post, cluster)
    y = pd.to_numeric(df[outcome], errors="coerce")
    if df[outcome].notna().sum() and y.notna().sum() == 0:
        raise InvalidInput(f"outcome column {outcome!r} is not numeric")
    g, p = _binary(df, group), _binary(df, post)
    keep = y.notna() & g.notna() & p.notna()
    if cluster is not None:
        keep &= df[cluster].notna()
    dropped = int((~keep).sum())
    y, g, p = y[keep], g[keep], p[keep]
    cells = pd.DataFrame({"y": y, "g": g, "p": p}).groupby(["g", "p"])["y"].agg(["mean", "count"])
    if len(cells) < 4:
        raise InvalidInput("the 2×2 design needs observations in all four group × period cells")
    if y.std() == 0:
        raise InvalidInput(f"outcome {outcome!r} is constant")
    X = pd.DataFrame({"const": 1.0, group: g, post: p, f"{group}:{post}": g * p})
    fit = cluster_ols(y.to_numpy(float), X, None if cluster is None else df.loc[keep, cluster].to_numpy())
    means = {f"{group}={int(a)},{post}={int(b)}": float(r["mean"]) for (a, b), r in cells.iterrows()}
    counts = {f"{group}={int(a)},{post}={int(b)}": int(r["count"]) for (a, b), r in cells.iterrows()}
    return _result(
        "2x2",
        fit,
        f"{group}:{post}",
        level,
        {"cell_means": means, "cell_counts": counts, "dropped_rows": dropped},
    )


def twoway_demean(
    values: np.ndarray,
    unit_codes: np.ndarray,
    time_codes: np.ndarray,
    tol: float = 1e-12,
    max_iter: int = 10_000,
) -> np.ndarray:
    """Remove unit and time means (alternating projections; exact in one pass on balanced panels)."""
    out = np.array(values, dtype=float, copy=True)
    if out.ndim == 1:
        out = out[:, None]
    nu, nt = unit_codes.max() + 1, time_codes.max() + 1
    cu = np.bincount(unit_codes, minlength=nu).astype(float)
    ct = np.bincount(time_codes, minlength=nt).astype(float)
    for _ in range(max_iter):
        before = out.copy()
        for codes, counts, m in ((unit_codes, cu, nu), (time_codes, ct, nt)):
            sums = np.zeros((m, out.shape[1]))
            np.add.at(sums, codes, out)
            out -= (sums / counts[:, None])[codes]
        if np.max(np.abs(out - before)) < tol * (1 + np.max(np.abs(out))):
            break
    return out


def prepare_long(df: pd.DataFrame, unit: str, time: str, outcome: str, *extra: str) -> pd.DataFrame:
    """Select, type-check and de-duplicate the columns of a long panel (gaps allowed)."""
    require_columns(df, unit, time, outcome, *extra)
    work = df[[unit, time, outcome, *extra]].copy()
    work[time] = coerce_time(work[time], time)
    y = pd.to_numeric(work[outcome], errors="coerce")
    if (y.isna() & work[outcome].notna()).any():
        raise InvalidInput(f"outcome column {outcome!r} has non-numeric values")
    work[outcome] = y
    if np.isinf(y).any():
        raise InvalidInput(f"outcome {outcome!r} has infinite values")
    missing = int(work[outcome].isna().sum())
    if missing:
        raise InvalidInput(f"outcome {outcome!r} is missing in {missing} row(s); drop or fill them first")
    dup = work.duplicated([unit, time], keep=False)
    if dup.any():
        ex = work.loc[dup, [unit, time]].drop_duplicates().head(3)
        raise InvalidInput(
            "duplicate rows for the same unit and period, e.g. "
            + "; ".join(f"{u} @ {t}" for u, t in ex.itertuples(index=False))
        )
    if work[outcome].std() == 0:
        raise InvalidInput(f"outcome {outcome!r} is constant")
    return work


def twfe(
    df: pd.DataFrame,
    unit: str,
    time: str,
    outcome: str,
    treatment: str,
    level: float = 0.95,
) -> DidResult:
    """Two-way fixed effects: outcome on a 0/1 ``treatment`` with unit and time effects, clustered by unit."""
    work = prepare_long(df, unit, time, outcome, treatment)
    d = _binary(work, treatment)
    if d.isna().any():
        raise InvalidInput(f"treatment column {treatment!r} has missing values")
    uc, _ = pd.factorize(work[unit])
    tc, _ = pd.factorize(work[time])
    Z = twoway_demean(np.column_stack([work[outcome].to_numpy(float), d.to_numpy(float)]), uc, tc)
    fit = cluster_ols(
        Z[:, 0], pd.DataFrame({treatment: Z[:, 1]}), work[unit].to_numpy(), k_absorbed=uc.max() + tc.max() + 1
    )
    cohorts = work.loc[d == 1].groupby(unit)[time].min()
    details: dict[str, Any] = {
        "n_units": int(work[unit].nunique()),
        "n_periods": int(work[time].nunique()),
        "n_treated_units": int(cohorts.size),
        "n_cohorts": int(cohorts.nunique()),
    }
    if cohorts.nunique() > 1:
        details["warning"] = (
            "treatment starts at different times: the TWFE coefficient can be biased under heterogeneous "
            "effects; prefer the Callaway–Sant'Anna estimator (method=cs)"
        )
    return _result("twfe", fit, treatment, level, details)
