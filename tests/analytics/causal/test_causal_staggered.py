"""Event study with pre-trend test, and Callaway–Sant'Anna on simulated staggered panels."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from adlens.analytics.causal.did import did_2x2
from adlens.analytics.causal.event_study import event_study
from adlens.analytics.causal.staggered import callaway_santanna
from adlens.errors import InvalidInput


def staggered_panel(n: int = 300, seed: int = 1, pretrend: float = 0.0) -> pd.DataFrame:
    """Cohorts first treated at t=4 and t=7 plus never-treated; effect grows 2 per period of exposure."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        g = [4, 7, np.inf][i % 3]
        a = rng.normal()
        for t in range(10):
            eff = 2.0 * (t - g + 1) if t >= g else 0.0
            trend = pretrend * t if np.isfinite(g) else 0.0
            rows.append((f"u{i}", 2000 + t, a + 0.3 * t + trend + eff + rng.normal(), int(t >= g)))
    return pd.DataFrame(rows, columns=["unit", "year", "y", "d"])


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    return staggered_panel()


def test_cs_recovers_heterogeneous_effects(panel):
    r = callaway_santanna(panel, "unit", "year", "y", "d")
    truth = np.mean([2.0 * (t - g + 1) for g in (4, 7) for t in range(10) if t >= g])  # equal cohort sizes
    assert abs(r.att - truth) < 3 * r.se
    dyn = r.dynamic
    for e in range(0, 3):
        assert dyn.loc[e, "att"] == pytest.approx(2.0 * (e + 1), abs=4 * dyn.loc[e, "se"])
    assert (dyn.loc[dyn.index < -1, "att"].abs() < 4 * dyn.loc[dyn.index < -1, "se"]).all()
    nyt = callaway_santanna(panel, "unit", "year", "y", "d", control_group="not_yet_treated")
    assert abs(nyt.att - truth) < 3 * nyt.se


def test_cs_group_time_equals_2x2_did(panel):
    r = callaway_santanna(panel, "unit", "year", "y", "d")
    cell = r.group_time.query("cohort == 2004 and time == 2006").iloc[0]
    g = panel.assign(cohort=panel.groupby("unit")["d"].transform(lambda s: 0))
    first = panel[panel["d"] == 1].groupby("unit")["year"].min()
    g["cohort"] = g["unit"].map(first)
    sub = g[(g["cohort"].isna() | (g["cohort"] == 2004)) & g["year"].isin([2003, 2006])].copy()
    sub["grp"] = sub["cohort"].notna().astype(int)
    sub["post"] = (sub["year"] == 2006).astype(int)
    two = did_2x2(sub, "y", "grp", "post", cluster="unit")
    assert cell["att"] == pytest.approx(two.att, abs=1e-10)
    # the influence-function SE equals the unclustered-by-period two-sample SE of the differences
    assert cell["se"] == pytest.approx(two.se, rel=0.02)


def test_cs_bootstrap_se_close_to_analytic(panel):
    a = callaway_santanna(panel, "unit", "year", "y", "d")
    b = callaway_santanna(panel, "unit", "year", "y", "d", se_method="bootstrap", n_boot=999, seed=3)
    assert b.att == a.att
    assert b.se == pytest.approx(a.se, rel=0.15)


def test_cs_needs_never_treated_units():
    df = staggered_panel(n=60)
    df = df[~df["unit"].isin([f"u{i}" for i in range(2, 60, 3)])]
    with pytest.raises(InvalidInput, match="never-treated"):
        callaway_santanna(df, "unit", "year", "y", "d")
    assert np.isfinite(callaway_santanna(df, "unit", "year", "y", "d", control_group="not_yet_treated").att)


def test_event_study_matches_dummy_regression_and_pretrend_test():
    df = staggered_panel(n=90, seed=5)
    es = event_study(df, "unit", "year", "y", "d", leads=3, lags=2)
    first = df[df["d"] == 1].groupby("unit")["year"].min()
    rel = (df["year"] - df["unit"].map(first)).clip(-3, 2)
    X = df.copy()
    for e in [-3, -2, 0, 1, 2]:
        X[f"e{e + 10}"] = (rel == e).astype(float).fillna(0.0)
    formula = "y ~ " + " + ".join(f"e{e + 10}" for e in [-3, -2, 0, 1, 2]) + " + C(unit) + C(year)"
    sm = smf.ols(formula, X).fit(cov_type="cluster", cov_kwds={"groups": pd.factorize(X["unit"])[0]})
    for e in [-3, -2, 0, 1, 2]:
        assert es.coefs.loc[e, "estimate"] == pytest.approx(sm.params[f"e{e + 10}"], abs=1e-8)
        assert es.coefs.loc[e, "se"] == pytest.approx(sm.bse[f"e{e + 10}"], rel=1e-6)
    assert es.coefs.loc[-1, "estimate"] == 0.0
    assert es.pretrend_df == 2
    assert es.pretrend_p > 0.01


def test_event_study_detects_a_pretrend():
    es = event_study(staggered_panel(n=150, seed=2, pretrend=0.6), "unit", "year", "y", "d", leads=3, lags=2)
    assert es.pretrend_p < 0.001


def test_non_absorbing_treatment_is_refused():
    df = pd.DataFrame(
        {
            "u": ["a"] * 4 + ["b"] * 4,
            "t": [1, 2, 3, 4] * 2,
            "y": np.arange(8.0),
            "d": [0, 1, 0, 1, 0, 0, 0, 0],
        }
    )
    with pytest.raises(InvalidInput, match="absorbing"):
        event_study(df, "u", "t", "y", "d")
