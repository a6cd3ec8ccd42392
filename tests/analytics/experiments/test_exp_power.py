"""Power, sample size and MDE against statsmodels NormalIndPower / TTestIndPower and textbook values."""

from __future__ import annotations

import math

import pytest
from statsmodels.stats.power import NormalIndPower, TTestIndPower
from statsmodels.stats.proportion import proportion_effectsize

from adlens.analytics.experiments import plan_means, plan_proportions
from adlens.errors import InvalidInput


@pytest.mark.parametrize(("base", "mde", "ratio", "alpha", "power"),
                         [(0.1, 0.2, 1.0, 0.05, 0.8), (0.03, 0.1, 2.0, 0.05, 0.9), (0.5, -0.05, 0.5, 0.01, 0.8)])  # fmt: skip
def test_proportion_sample_size_matches_statsmodels(base, mde, ratio, alpha, power) -> None:
    r = plan_proportions(base, mde=mde, ratio=ratio, alpha=alpha, power=power)
    h = abs(proportion_effectsize(base * (1 + mde), base))
    assert r.effect_size == pytest.approx(h, rel=1e-12)
    sm_n = NormalIndPower().solve_power(h, alpha=alpha, power=power, ratio=ratio)
    assert r.n_exact == pytest.approx(sm_n, rel=1e-6)
    # our root is exact: statsmodels' power at our n equals the target to ~1e-10
    assert NormalIndPower().power(h, r.n_exact, alpha, ratio=ratio) == pytest.approx(power, abs=1e-10)
    assert r.n_control == math.ceil(r.n_exact) and r.n_treatment == math.ceil(r.n_control * ratio)


def test_proportion_mde_and_power_match_statsmodels() -> None:
    r = plan_proportions(0.1, n=3000, power=0.8)
    assert NormalIndPower().power(r.effect_size, 3000, 0.05) == pytest.approx(0.8, abs=1e-10)
    assert r.target == pytest.approx(math.sin(math.asin(math.sqrt(0.1)) + r.effect_size / 2) ** 2)
    p = plan_proportions(0.1, n=3000, mde=0.1)
    assert p.solved_for == "power"
    assert p.power == pytest.approx(
        NormalIndPower().power(proportion_effectsize(0.11, 0.1), 3000, 0.05), rel=1e-12
    )


def test_proportion_textbook() -> None:
    # 10 % -> 12 %, 5 % two-sided, 80 %: n ~ ((1.96 + 0.8416) / h)^2 * 2 per arm = 3,835 (arcsine)
    r = plan_proportions(0.10, mde=0.02, relative=False)
    h = 2 * math.asin(math.sqrt(0.12)) - 2 * math.asin(math.sqrt(0.10))
    assert r.n_exact == pytest.approx(2 * ((1.959964 + 0.841621) / h) ** 2, rel=1e-4)
    assert r.n_control == 3835
    assert "3,835" in r.summary


@pytest.mark.parametrize(
    ("d", "ratio", "alpha", "power"), [(0.5, 1.0, 0.05, 0.8), (0.2, 0.5, 0.05, 0.9), (0.8, 3.0, 0.01, 0.8)]
)
def test_mean_sample_size_matches_statsmodels(d, ratio, alpha, power) -> None:
    r = plan_means(10.0, mde=10.0 * d, ratio=ratio, alpha=alpha, power=power)
    assert r.n_exact == pytest.approx(
        TTestIndPower().solve_power(d, alpha=alpha, power=power, ratio=ratio), rel=1e-6
    )
    assert TTestIndPower().power(d, r.n_exact, alpha, ratio=ratio) == pytest.approx(power, abs=1e-10)


def test_mean_textbook_and_mde() -> None:
    # Cohen: d = 0.5, 5 %, 80 % -> 64 per group (63.77 exact)
    r = plan_means(1.0, mde=0.5)
    assert round(r.n_exact, 2) == 63.77 and r.n_control == 64
    m = plan_means(10.0, n=200, ratio=1.5, power=0.9)
    assert TTestIndPower().power(m.effect_size, 200, 0.05, ratio=1.5) == pytest.approx(0.9, abs=1e-10)
    assert m.mde_abs == pytest.approx(10.0 * m.effect_size)
    rel = plan_means(20.0, mde=0.05, baseline=100.0, relative=True)
    assert rel.mde_abs == pytest.approx(5.0) and rel.effect_size == pytest.approx(0.25)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"baseline": 1.2, "mde": 0.1}, "between 0 and 1"), ({"baseline": 0.1, "mde": 0.1, "alpha": 1.5}, "alpha"),
     ({"baseline": 0.1, "mde": 0.1, "ratio": 0}, "ratio"), ({"baseline": 0.9, "mde": 0.5}, "lie in"),
     ({"baseline": 0.1}, "give two of")],
)  # fmt: skip
def test_power_bad_input(kwargs, message: str) -> None:
    baseline = kwargs.pop("baseline")
    with pytest.raises(InvalidInput, match=message):
        plan_proportions(baseline, **kwargs)
    with pytest.raises(InvalidInput, match="standard deviation"):
        plan_means(0.0, mde=1.0)
