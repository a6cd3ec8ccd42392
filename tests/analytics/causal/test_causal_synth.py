"""Synthetic control against published weights: Basque (Abadie & Gardeazabal 2003), West Germany
(ADH 2015, two-step V as in pysyncon's test), California Prop 99 (synthdid's sc_estimate)."""

from __future__ import annotations

import pandas as pd
import pytest

from adlens.analytics.causal.placebo import leave_one_out, placebo_in_space
from adlens.analytics.causal.synth import Predictor, fit_synth, parse_predictor

BASQUE = "Basque Country (Pais Vasco)"
GERMANY_DONORS = [
    "USA", "UK", "Austria", "Belgium", "Denmark", "France", "Italy", "Netherlands", "Norway",
    "Switzerland", "Japan", "Greece", "Portugal", "Spain", "Australia", "New Zealand",
]  # fmt: skip


def basque_predictors() -> list[Predictor]:
    school = ["school.illit", "school.prim", "school.med", "school.high", "school.post.high", "invest"]
    sectors = [
        "sec.agriculture",
        "sec.energy",
        "sec.industry",
        "sec.construction",
        "sec.services.venta",
        "sec.services.nonventa",
    ]
    preds = [Predictor(v, tuple(range(1964, 1970))) for v in school]
    preds.append(Predictor("gdpcap", tuple(range(1960, 1970))))
    preds += [Predictor(v, tuple(range(1961, 1970, 2))) for v in sectors]
    preds.append(Predictor("popdens", (1969,)))
    return preds


@pytest.fixture(scope="module")
def basque_fit(basque):
    return fit_synth(
        basque,
        "regionname",
        "year",
        "gdpcap",
        BASQUE,
        1975,
        predictors=basque_predictors(),
        fit_periods=list(range(1960, 1970)),
    )


@pytest.fixture(scope="module")
def prop99_fit(prop99):
    return fit_synth(prop99, "State", "Year", "PacksPerCapita", "California", 1989)


def test_basque_weights_att_and_se(basque_fit):
    res, _, _ = basque_fit
    w = res.weights
    assert w["Cataluna"] == pytest.approx(0.8508, abs=0.002)
    assert w["Madrid (Comunidad De)"] == pytest.approx(0.1492, abs=0.002)
    assert w.drop(["Cataluna", "Madrid (Comunidad De)"]).max() < 1e-3
    # pysyncon test values: att -0.69956, se 0.07078 over 1975-1997
    assert res.att == pytest.approx(-0.6995647842110987, rel=0.005)
    assert res.att_se == pytest.approx(0.07078092130438395, rel=0.01)
    assert res.v is not None and res.v.sum() == pytest.approx(1.0)


def test_basque_placebo_p_value(basque_fit):
    res, data, donors = basque_fit
    pl = placebo_in_space(data, res, donors)
    assert pl.n_units == 18
    assert pl.p_value == pytest.approx(pl.rank / 18)
    assert pl.rank == 3 and pl.p_value == pytest.approx(0.16666666666666666)  # pysyncon test: 0.1667


def test_west_germany_two_step_v(germany):
    units = [*GERMANY_DONORS, "West Germany"]
    train = [
        parse_predictor(p)
        for p in [
            "gdp@1971-1980",
            "trade@1971-1980",
            "infrate@1971-1980",
            "industry@1971-1980",
            "schooling@1970,1975",
            "invest70@1980",
        ]
    ]
    first, _, _ = fit_synth(
        germany,
        "country",
        "year",
        "gdp",
        "West Germany",
        1990,
        predictors=train,
        fit_periods=list(range(1981, 1991)),
        units=units,
    )
    main = [
        parse_predictor(p)
        for p in [
            "gdp@1981-1990",
            "trade@1981-1990",
            "infrate@1981-1990",
            "industry@1981-1990",
            "schooling@1980,1985",
            "invest80@1980",
        ]
    ]
    res, _, _ = fit_synth(
        germany,
        "country",
        "year",
        "gdp",
        "West Germany",
        1990,
        predictors=main,
        fit_periods=list(range(1960, 1990)),
        units=units,
        v=first.v.to_numpy(),
    )
    published = {"Austria": 0.42, "USA": 0.22, "Japan": 0.16, "Switzerland": 0.11, "Netherlands": 0.10}
    for country, value in published.items():
        assert res.weights[country] == pytest.approx(value, abs=0.01), country
    assert res.weights.drop(list(published)).max() < 1e-3
    # ATT = mean gap over 1990-2003 (pysyncon: -1555.13, SE 317.65)
    assert res.att == pytest.approx(-1555.13, rel=0.005)
    assert res.att_se == pytest.approx(317.65, rel=0.01)


def test_prop99_outcome_only_matches_synthdid_sc(prop99_fit):
    res, _, _ = prop99_fit
    assert res.att == pytest.approx(-19.61966, abs=1e-4)
    published = {
        "Utah": 0.396,
        "Montana": 0.232,
        "Nevada": 0.204,
        "Connecticut": 0.104,
        "New Hampshire": 0.045,
        "Colorado": 0.013,
    }
    for state, value in published.items():
        assert res.weights[state] == pytest.approx(value, abs=6e-4)
    assert res.weights.sum() == pytest.approx(1.0)
    assert res.post_rmspe / res.pre_rmspe == pytest.approx(res.rmspe_ratio)


def test_prop99_exact_solver_is_close_and_no_worse_in_fit(prop99):
    exact, _, _ = fit_synth(prop99, "State", "Year", "PacksPerCapita", "California", 1989, solver="exact")
    fw, _, _ = fit_synth(prop99, "State", "Year", "PacksPerCapita", "California", 1989)
    assert exact.pre_rmspe <= fw.pre_rmspe + 1e-9
    assert exact.weights["Utah"] == pytest.approx(0.396, abs=0.01)
    assert exact.att == pytest.approx(-19.6, abs=0.3)


def test_prop99_placebo_and_leave_one_out(prop99_fit):
    res, data, donors = prop99_fit
    pl = placebo_in_space(data, res, donors)
    assert pl.n_units == 39
    assert pl.rank == 3 and pl.p_value == pytest.approx(3 / 39)
    assert set(pl.gaps.columns) == {*donors, "California"}
    assert bool(pl.table.loc["California", "is_treated"])
    filtered = placebo_in_space(data, res, donors, max_pre_rmspe_ratio=2.0)
    assert filtered.n_units < 39 and filtered.excluded
    loo = leave_one_out(data, res, donors)
    assert set(loo.att.index) == set(res.weights[res.weights > 1e-3].index)
    lo, hi = loo.att_range
    assert -25 < lo <= hi < -15


def test_covariate_prop99_spec_b_lands_near_stata(shared_data):
    # ADH covariate spec (PROVENANCE B): donor set and ATT, not exact weights (V is poorly identified)
    df = pd.read_csv(shared_data / "prop99-california-tobacco" / "smoking_data_with_covariates.csv")
    preds = [
        parse_predictor(p)
        for p in [
            "lnincome@1980-1988",
            "beer@1984-1988",
            "age15to24@1980-1988",
            "retprice@1980-1988",
            "cigsale@1988",
            "cigsale@1980",
            "cigsale@1975",
        ]
    ]
    res, _, _ = fit_synth(df, "state", "year", "cigsale", "California", 1989, predictors=preds, v_start="ols")
    top = set(res.weights[res.weights > 0.02].index)
    assert top <= {"Utah", "Nevada", "Montana", "Colorado", "Connecticut", "New Hampshire", "Idaho"}
    assert {"Utah", "Nevada"} <= top
    assert res.att == pytest.approx(-19.0, abs=2.0)
