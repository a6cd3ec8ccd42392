"""Always-valid mSPRT p-values and confidence sequences: formulas, validity under peeking, detection."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import optimize, stats

from adlens.analytics.experiments import always_valid
from adlens.analytics.experiments.sequential import (
    log_mixture_lr,
    look_points,
    mean_path,
    radius,
    ratio_path,
    tau2_factor,
)
from adlens.errors import InvalidInput


def test_mixture_likelihood_ratio_by_hand() -> None:
    # Johari et al. two-stream form with V = 2 sigma^2 = 2, n = 100, tau^2 = 0.01, observed difference 0.3
    v, n, tau2, d = 2.0, 100, 0.01, 0.3
    johari = math.sqrt(v / (v + n * tau2)) * math.exp(n**2 * tau2 * d**2 / (2 * v * (v + n * tau2)))
    assert math.exp(float(log_mixture_lr(np.array([d]), np.array([v / n]), tau2)[0])) == pytest.approx(
        johari, rel=1e-12
    )
    r = always_valid(np.array([200.0]), np.array([d]), np.array([v / n]), alpha=0.05, tau=math.sqrt(tau2))
    assert r.p_value == pytest.approx(min(1.0, 1.0 / johari), rel=1e-12)
    # the CI boundary is where Lambda(theta) = 1/alpha
    for theta in (r.ci_low, r.ci_high):
        lam = log_mixture_lr(np.array([d]), np.array([v / n]), tau2, theta0=theta)[0]
        assert lam == pytest.approx(math.log(20.0), rel=1e-10)


def test_tau_factor_minimises_radius() -> None:
    u = tau2_factor(0.05)
    grid = np.exp(np.linspace(-3, 5, 2001))
    radii = np.array([radius(np.array([1.0]), g, 0.05)[0] for g in grid])
    assert radius(np.array([1.0]), u, 0.05)[0] <= radii.min() + 1e-9
    ref = optimize.minimize_scalar(
        lambda lu: radius(np.array([1.0]), math.exp(lu), 0.05)[0], bounds=(-5, 5), method="bounded"
    )
    assert u == pytest.approx(math.exp(ref.x), rel=1e-3)


def test_always_valid_wider_than_fixed_horizon() -> None:
    s2 = 0.04
    r = always_valid(np.array([1000.0]), np.array([0.5]), np.array([s2]))
    half_fixed = stats.norm.ppf(0.975) * math.sqrt(s2)
    assert r.ci_high - 0.5 > half_fixed
    assert r.p_value > 2 * stats.norm.sf(0.5 / math.sqrt(s2))


def _aa_sim(seed: int, sims: int = 300, n: int = 600, looks: int = 30) -> tuple[float, float]:
    rng = np.random.default_rng(seed)
    msprt = naive = 0
    for _ in range(sims):
        t = rng.random(n) < 0.5
        y = rng.normal(0, 1, n)
        nn, d, s2 = mean_path(t, y, looks)
        res = always_valid(nn, d, s2)
        msprt += res.first_significant_at is not None
        ok = np.isfinite(s2) & (s2 > 0)
        naive += bool(np.any(2 * stats.norm.sf(np.abs(d[ok]) / np.sqrt(s2[ok])) < 0.05))
    return msprt / sims, naive / sims


def test_peeking_keeps_type_one_error_under_alpha() -> None:
    msprt, naive = _aa_sim(11)
    assert msprt <= 0.05  # always valid: even stopping at the first look under 0.05
    assert naive > 0.12  # the naive repeated z-test blows up under peeking


def test_detects_a_real_effect_and_covers_it() -> None:
    rng = np.random.default_rng(12)
    t = rng.random(4000) < 0.5
    y = rng.normal(0, 1, 4000) + 0.2 * t
    r = always_valid(*mean_path(t, y, 50))
    assert r.p_value < 0.01 and r.first_significant_at is not None
    assert r.ci_low < 0.2 < r.ci_high
    path = r.path
    assert all(
        b <= a + 1e-15 for a, b in zip(path["p_value"], path["p_value"][1:], strict=False)
    )  # running min
    assert all(b >= a for a, b in zip(path["ci_low"], path["ci_low"][1:], strict=False))  # shrinking sequence


def test_ratio_path_final_look_matches_delta_method() -> None:
    from adlens.analytics.experiments import RatioStats

    rng = np.random.default_rng(13)
    t = rng.random(500) < 0.5
    den = rng.integers(1, 30, 500).astype(float)
    num = rng.binomial(den.astype(int), 0.05).astype(float)
    _n, d, s2 = ratio_path(t, num, den, 10)
    c, tr = RatioStats.from_values("A", num[~t], den[~t]), RatioStats.from_values("B", num[t], den[t])
    assert d[-1] == pytest.approx(tr.ratio - c.ratio, rel=1e-12)
    assert s2[-1] == pytest.approx(tr.var_ratio + c.var_ratio, rel=1e-9)


def test_look_points_and_errors() -> None:
    assert look_points(10, 100).tolist() == list(range(1, 11))
    pts = look_points(1000, 7)
    assert pts[-1] == 1000 and len(pts) == 7
    with pytest.raises(InvalidInput):
        always_valid(np.array([1.0]), np.array([0.1]), np.array([np.nan]))
    with pytest.raises(InvalidInput, match="tau"):
        always_valid(np.array([10.0]), np.array([0.1]), np.array([0.1]), tau=-1)
