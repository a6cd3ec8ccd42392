"""Relative-lift intervals (delta, Fieller), ratio metrics (delta method) and CUPED."""

from __future__ import annotations

import math

import numpy as np
import pytest
import statsmodels.api as sm

from adlens.analytics.experiments import (
    MeanStats,
    RatioSpec,
    RatioStats,
    compare_means,
    compare_ratios,
    fieller_ratio_interval,
    fit_cuped,
    relative_lift,
)
from adlens.errors import InvalidInput

Z = 1.959963984540054


def test_fieller_bounds_solve_the_quadratic() -> None:
    m_t, v_t, m_c, v_c = 0.15, 1.275e-4, 0.12, 1.056e-4
    ci = fieller_ratio_interval(m_t, v_t, m_c, v_c, 0.05)
    for bound in (ci.low, ci.high):
        rho = bound + 1.0
        assert (m_t - rho * m_c) ** 2 == pytest.approx(Z**2 * (v_t + rho**2 * v_c), rel=1e-9)
    # Fieller is asymmetric (skewed up) around the ratio; the delta interval is symmetric
    lift, delta, fieller, _ = relative_lift(m_t, v_t, m_c, v_c, 0.05)
    assert delta.high - lift == pytest.approx(lift - delta.low)
    assert fieller.high - lift > lift - fieller.low


def test_fieller_converges_to_delta_for_precise_estimates() -> None:
    _, delta, fieller, _ = relative_lift(10.5, 1e-6, 10.0, 1e-6, 0.05)
    assert (fieller.low, fieller.high) == pytest.approx((delta.low, delta.high), abs=1e-6)


def test_fieller_unbounded_when_control_not_distinguishable_from_zero() -> None:
    _lift, _, fieller, note = relative_lift(1.0, 0.1, 0.1, 0.01, 0.05)
    assert not fieller.bounded and "unbounded" in note
    assert relative_lift(1.0, 0.1, 0.0, 0.01, 0.05)[0] is None


def test_ratio_delta_variance_equals_linearisation() -> None:
    rng = np.random.default_rng(7)
    imp = rng.integers(1, 50, 400).astype(float)
    clk = rng.binomial(imp.astype(int), 0.04).astype(float)
    s = RatioStats.from_values("A", clk, imp)
    r = clk.sum() / imp.sum()
    lin = (clk - r * imp) / imp.mean()  # influence function of the ratio
    assert s.ratio == pytest.approx(r, rel=1e-14)
    assert s.var_ratio == pytest.approx(lin.var(ddof=1) / imp.size, rel=1e-10)


def test_ratio_with_unit_denominator_is_welch_z() -> None:
    rng = np.random.default_rng(8)
    a, b = rng.normal(5, 2, 300), rng.normal(5.4, 2, 320)
    rc = compare_ratios(
        "m", RatioStats.from_values("A", a, np.ones_like(a)), RatioStats.from_values("B", b, np.ones_like(b))
    )
    mc = compare_means("m", MeanStats.from_values("A", a), MeanStats.from_values("B", b))
    assert rc.abs_lift == pytest.approx(mc.abs_lift, rel=1e-12)
    assert rc.se == pytest.approx(mc.se, rel=1e-12)


def test_ratio_se_agrees_with_bootstrap() -> None:
    rng = np.random.default_rng(9)
    n = 500
    cost = rng.gamma(2.0, 5.0, n)
    revenue = cost * rng.lognormal(1.0, 0.6, n)
    s = RatioStats.from_values("A", revenue, cost)
    idx = rng.integers(0, n, (400, n))
    boot = revenue[idx].sum(axis=1) / cost[idx].sum(axis=1)
    assert math.sqrt(s.var_ratio) == pytest.approx(boot.std(ddof=1), rel=0.12)


def test_ratio_spec_parsing_and_errors() -> None:
    assert RatioSpec.parse("roas=revenue/cost") == RatioSpec("roas", "revenue", "cost")
    assert RatioSpec.parse("clicks/impressions").name == "clicks/impressions"
    with pytest.raises(InvalidInput, match="numerator/denominator"):
        RatioSpec.parse("ctr=clicks")
    with pytest.raises(InvalidInput, match="sums to 0"):
        RatioStats.from_values("A", np.ones(4), np.zeros(4), "cpa")


def test_cuped_theta_is_the_pooled_ols_slope() -> None:
    rng = np.random.default_rng(10)
    x = rng.normal(50, 10, 800)
    y = 0.7 * x + rng.normal(0, 5, 800)
    fit = fit_cuped(y, x, "pre")
    ols = sm.OLS(y, sm.add_constant(x)).fit()
    assert fit.theta == pytest.approx(ols.params[1], rel=1e-10)
    adj = fit.adjust(y, x)
    assert adj.mean() == pytest.approx(y.mean(), rel=1e-12)  # centring keeps the mean
    assert 1 - adj.var(ddof=1) / y.var(ddof=1) == pytest.approx(fit.correlation**2, rel=1e-10)


def test_cuped_zero_variance_covariate() -> None:
    with pytest.raises(InvalidInput, match="zero variance"):
        fit_cuped(np.arange(5.0), np.ones(5), "pre")
