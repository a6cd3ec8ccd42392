"""2×2 DiD (Card & Krueger 1994) and TWFE, cross-checked against statsmodels and linearmodels."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from linearmodels import PanelOLS

from adlens.analytics.causal.did import did_2x2, twfe
from adlens.errors import InvalidInput


def test_card_krueger_fte_did(card_krueger):
    # sample: every store-wave with a non-missing FTE (PA 77/77, NJ 321/319 stores), as in Table 3 row 1
    r = did_2x2(card_krueger, "fte", "nj", "d", cluster="id")
    assert r.att == pytest.approx(
        2.76, abs=0.01
    )  # published 2.76 (difference of rounded means); exact 2.7536
    assert r.att == pytest.approx(2.7536, abs=1e-4)
    m = r.details["cell_means"]
    assert m["nj=0,d=0"] == pytest.approx(23.33, abs=0.005)
    assert m["nj=1,d=0"] == pytest.approx(20.44, abs=0.005)
    assert m["nj=0,d=1"] == pytest.approx(21.17, abs=0.005)
    assert m["nj=1,d=1"] == pytest.approx(21.03, abs=0.005)
    assert r.details["dropped_rows"] == 26
    assert r.n_clusters == 410


def test_fte_definition_matches_components(card_krueger):
    ok = card_krueger[["ft", "pt", "mgrs", "fte"]].dropna()
    np.testing.assert_allclose(ok["fte"], ok["ft"] + 0.5 * ok["pt"] + ok["mgrs"], atol=1e-6)


def test_2x2_equals_statsmodels_interaction_with_clustered_se(card_krueger):
    r = did_2x2(card_krueger, "fte", "nj", "d", cluster="id")
    sub = card_krueger.dropna(subset=["fte"])
    m = smf.ols("fte ~ nj * d", sub).fit(cov_type="cluster", cov_kwds={"groups": sub["id"]})
    assert r.att == pytest.approx(m.params["nj:d"], abs=1e-10)
    assert r.se == pytest.approx(m.bse["nj:d"], rel=1e-10)


def test_twfe_equals_linearmodels_and_dummy_ols(prop99):
    r = twfe(prop99, "State", "Year", "PacksPerCapita", "treated")
    assert r.att == pytest.approx(-27.34911, abs=5e-6)  # = synthdid's did_estimate on a block design
    p = prop99.set_index(["State", "Year"])
    lm = PanelOLS(p["PacksPerCapita"], p[["treated"]], entity_effects=True, time_effects=True).fit(
        cov_type="clustered", cluster_entity=True, debiased=True, group_debias=True
    )
    assert r.att == pytest.approx(lm.params["treated"], abs=1e-9)
    assert r.se == pytest.approx(lm.std_errors["treated"], rel=1e-8)
    sm = smf.ols("PacksPerCapita ~ treated + C(State) + C(Year)", prop99).fit(
        cov_type="cluster", cov_kwds={"groups": pd.factorize(prop99["State"])[0]}
    )
    assert r.se == pytest.approx(sm.bse["treated"], rel=1e-8)


def test_twfe_on_unbalanced_panel_matches_dummy_regression():
    rng = np.random.default_rng(0)
    rows = [
        (u, t, rng.normal() + u * 0.1 + t * 0.2 + (1.5 if (u < 8 and t >= 5) else 0), int(u < 8 and t >= 5))
        for u in range(20)
        for t in range(10)
    ]
    df = pd.DataFrame(rows, columns=["u", "t", "y", "d"]).sample(frac=0.85, random_state=1)
    r = twfe(df, "u", "t", "y", "d")
    sm = smf.ols("y ~ d + C(u) + C(t)", df).fit(cov_type="cluster", cov_kwds={"groups": df["u"].to_numpy()})
    assert r.att == pytest.approx(sm.params["d"], abs=1e-8)
    assert r.se == pytest.approx(sm.bse["d"], rel=1e-6)


def test_staggered_twfe_warns():
    rows = [
        (u, t, float(u + t), int(t >= (3 if u < 3 else 6) and u < 6)) for u in range(10) for t in range(9)
    ]
    r = twfe(pd.DataFrame(rows, columns=["u", "t", "y", "d"]), "u", "t", "y", "d")
    assert "Callaway" in r.details["warning"]


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (pd.DataFrame({"y": [1, 2, 3, 4], "g": [0, 0, 1, 1], "p": [0, 1, 0, 0]}), "all four"),
        (pd.DataFrame({"y": [1, 2, 3, 4], "g": [0, 0, 1, 2], "p": [0, 1, 0, 1]}), "must be 0/1"),
        (pd.DataFrame({"y": [5, 5, 5, 5], "g": [0, 0, 1, 1], "p": [0, 1, 0, 1]}), "constant"),
    ],
)
def test_2x2_bad_input(frame, message):
    with pytest.raises(InvalidInput, match=message):
        did_2x2(frame, "y", "g", "p")


def test_missing_column_is_named(card_krueger):
    with pytest.raises(InvalidInput, match="'treat' not found"):
        did_2x2(card_krueger, "fte", "treat", "d")


def test_panel_2x2_from_treated_units_and_start(prop99):
    from adlens.analytics.causal.service import run_did

    r = run_did(
        prop99,
        outcome="PacksPerCapita",
        unit="State",
        time="Year",
        treated=["California"],
        start=1989,
        method="2x2",
    )
    assert r["method"] == "2x2" and r["att"] == pytest.approx(-27.34911, abs=5e-6)  # balanced block: = TWFE
    assert r["n_clusters"] == 39 and "treated_group=1,post=1" in r["details"]["cell_means"]
    with pytest.raises(InvalidInput, match="unknown treated unit"):
        run_did(
            prop99,
            outcome="PacksPerCapita",
            unit="State",
            time="Year",
            treated=["Atlantis"],
            start=1989,
            method="2x2",
        )
