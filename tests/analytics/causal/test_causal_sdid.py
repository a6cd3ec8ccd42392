"""Synthetic DiD, synthdid's SC and DiD against Arkhangelsky et al. (2021) Table 1 / R synthdid 0.0.9."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from adlens.analytics.causal.sdid import fw_weights, fw_weights_batch, placebo_se, sdid_fit
from adlens.analytics.panel import build_panel


@pytest.fixture(scope="module")
def prop99_matrix(prop99: pd.DataFrame) -> tuple[np.ndarray, list[str], list[int]]:
    Y = build_panel(prop99, "State", "Year", "PacksPerCapita").Y
    controls = [u for u in Y.index if u != "California"]
    return Y.loc[[*controls, "California"]].to_numpy(), controls, list(Y.columns)


@pytest.fixture(scope="module")
def fits(prop99_matrix):
    Y, _, _ = prop99_matrix
    return {m: sdid_fit(Y, 38, 19, m) for m in ("sdid", "sc", "did")}


def test_point_estimates_match_r_synthdid(fits):
    # R synthdid 0.0.9 (and the paper's Table 1: -15.6, -19.6, -27.3)
    assert fits["sdid"].att == pytest.approx(-15.60383, abs=5e-6)
    assert fits["sc"].att == pytest.approx(-19.61966, abs=5e-6)
    assert fits["did"].att == pytest.approx(-27.34911, abs=5e-6)
    assert round(fits["sdid"].att, 1) == -15.6
    assert round(fits["sc"].att, 1) == -19.6
    assert round(fits["did"].att, 1) == -27.3


def test_sc_unit_weights_match_published(fits, prop99_matrix):
    _, controls, _ = prop99_matrix
    w = pd.Series(fits["sc"].omega, index=controls)
    published = {
        "Utah": 0.396,
        "Montana": 0.232,
        "Nevada": 0.204,
        "Connecticut": 0.104,
        "New Hampshire": 0.045,
        "Colorado": 0.013,
    }
    for state, value in published.items():
        assert w[state] == pytest.approx(value, abs=6e-4), state
    assert w.sum() == pytest.approx(1.0)
    assert (w >= 0).all()


def test_sdid_time_weights_match_published(fits, prop99_matrix):
    _, _, years = prop99_matrix
    lam = pd.Series(fits["sdid"].lam, index=years[:19])
    assert lam[1986] == pytest.approx(0.366, abs=6e-4)
    assert lam[1987] == pytest.approx(0.206, abs=6e-4)
    assert lam[1988] == pytest.approx(0.427, abs=6e-4)
    assert lam.loc[:1985].sum() == pytest.approx(0.0, abs=1e-12)


def test_effect_curve_averages_to_att(fits):
    for f in fits.values():
        assert f.effect_curve[f.T0 :].mean() == pytest.approx(f.att, abs=1e-9)


def test_regularisation_follows_the_r_defaults(fits, prop99_matrix):
    Y, _, _ = prop99_matrix
    sigma = np.std(np.diff(Y[:38, :19], axis=1), ddof=1)
    assert fits["sdid"].noise_level == pytest.approx(sigma)
    assert fits["sdid"].zeta_omega == pytest.approx((1 * 12) ** 0.25 * sigma)
    assert fits["sdid"].zeta_lambda == pytest.approx(1e-6 * sigma)
    assert fits["sc"].zeta_omega == pytest.approx(1e-6 * sigma)


def test_placebo_standard_errors_are_in_the_published_range(fits, prop99_matrix):
    Y, _, _ = prop99_matrix
    # paper: SDID 8.4, SC 9.9, DiD 17.7 (placebo SEs are random; the R package gives ~9.8 for SDID)
    se_sdid = placebo_se(Y, fits["sdid"], replications=60, seed=1)
    se_did = placebo_se(Y, fits["did"], replications=60, seed=1)
    assert 6.0 < se_sdid < 14.0
    assert 13.0 < se_did < 23.0


def test_batched_frank_wolfe_equals_single_problem_solver():
    rng = np.random.default_rng(3)
    Ys = rng.normal(size=(5, 12, 9))
    zeta = np.array([0.1, 0.5, 1e-3, 2.0, 0.0])
    batch = fw_weights_batch(Ys, zeta, intercept=True, min_decrease=1e-6, max_iter=500)
    for p in range(5):
        single = fw_weights(Ys[p], float(zeta[p]), intercept=True, min_decrease=1e-6, max_iter=500)
        np.testing.assert_allclose(batch[p], single, atol=1e-10)


def test_sdid_is_invariant_to_unit_and_time_fixed_effects():
    rng = np.random.default_rng(7)
    N, T = 30, 20
    Y = rng.normal(size=(N, 1)) + np.cumsum(rng.normal(size=(1, T)), axis=1) + 0.3 * rng.normal(size=(N, T))
    Y[25:, 15:] += 2.0
    base = sdid_fit(Y, 25, 15, "sdid").att
    # unit effects cancel exactly (intercepts + weights summing to one)
    assert sdid_fit(Y + rng.normal(size=(N, 1)) * 10, 25, 15, "sdid").att == pytest.approx(base, abs=1e-6)
    # time effects cancel in the estimator but change the noise level σ, hence ζ: nearly equal
    assert sdid_fit(Y + rng.normal(size=(1, T)) * 10, 25, 15, "sdid").att == pytest.approx(base, abs=0.05)
    assert base == pytest.approx(2.0, abs=0.5)
