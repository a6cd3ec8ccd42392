"""Two-proportion z-test and Welch's t-test against statsmodels and hand-computed values."""

from __future__ import annotations

import math

import numpy as np
import pytest
from statsmodels.stats.proportion import confint_proportions_2indep, proportions_ztest
from statsmodels.stats.weightstats import CompareMeans, DescrStatsW, ttest_ind

from adlens.analytics.experiments import MeanStats, ProportionCounts, compare_means, compare_proportions
from adlens.errors import InvalidInput


@pytest.mark.parametrize(
    ("n_c", "x_c", "n_t", "x_t"),
    [(1000, 120, 1000, 150), (5321, 402, 4987, 455), (80, 3, 120, 11), (10, 9, 12, 4)],
)
def test_z_test_matches_statsmodels(n_c: int, x_c: int, n_t: int, x_t: int) -> None:
    c = compare_proportions("cr", ProportionCounts("A", n_c, x_c), ProportionCounts("B", n_t, x_t))
    z, p = proportions_ztest([x_t, x_c], [n_t, n_c])
    assert c.statistic == pytest.approx(z, rel=1e-12)
    assert c.p_value == pytest.approx(p, rel=1e-10)
    lo, hi = confint_proportions_2indep(x_t, n_t, x_c, n_c, method="wald", compare="diff")
    assert (c.abs_ci.low, c.abs_ci.high) == pytest.approx((lo, hi), rel=1e-10)


def test_z_test_by_hand() -> None:
    # p_c = 0.12, p_t = 0.15, pooled 0.135: z = 0.03 / sqrt(0.135 * 0.865 * 0.002) = 1.963050
    c = compare_proportions("cr", ProportionCounts("A", 1000, 120), ProportionCounts("B", 1000, 150))
    assert c.statistic == pytest.approx(0.03 / math.sqrt(0.135 * 0.865 * 0.002), rel=1e-12)
    assert round(c.statistic, 6) == 1.963050
    assert c.rel_lift == pytest.approx(0.25)
    # delta method: var(R) = 1.25^2 (0.1275e-3/0.0225 + 0.1056e-3/0.0144) = 0.0203125
    assert c.rel_ci.high - 0.25 == pytest.approx(1.959963985 * math.sqrt(0.0203125), rel=1e-9)


def test_welch_matches_statsmodels() -> None:
    rng = np.random.default_rng(3)
    a, b = rng.normal(10, 3, 50), rng.normal(11, 5, 70)
    c = compare_means("y", MeanStats.from_values("A", a), MeanStats.from_values("B", b))
    t, p, df = ttest_ind(b, a, usevar="unequal")
    assert (c.statistic, c.p_value, c.df) == pytest.approx((t, p, df), rel=1e-11)
    lo, hi = CompareMeans(DescrStatsW(b), DescrStatsW(a)).tconfint_diff(usevar="unequal")
    assert (c.abs_ci.low, c.abs_ci.high) == pytest.approx((lo, hi), rel=1e-11)


def test_welch_from_sums_equals_from_values() -> None:
    rng = np.random.default_rng(4)
    a = rng.exponential(20, 300)
    s1 = MeanStats.from_values("A", a)
    s2 = MeanStats.from_sums("A", a.size, a.sum(), (a * a).sum())
    assert (s2.mean, s2.var) == pytest.approx((s1.mean, s1.var), rel=1e-10)


def test_welch_textbook() -> None:
    # Two tiny samples by hand: A = 1,2,3,4 (mean 2.5, var 5/3), B = 2,4,6,8 (mean 5, var 20/3)
    c = compare_means("y", MeanStats.from_values("A", np.array([1, 2, 3, 4.0])),
                      MeanStats.from_values("B", np.array([2, 4, 6, 8.0])))  # fmt: skip
    se2 = (5 / 3) / 4 + (20 / 3) / 4
    assert c.statistic == pytest.approx(2.5 / math.sqrt(se2), rel=1e-12)
    assert c.df == pytest.approx(se2**2 / (((5 / 3) / 4) ** 2 / 3 + ((20 / 3) / 4) ** 2 / 3), rel=1e-12)
    assert c.df == pytest.approx(4.411764706, rel=1e-9)


def test_lalonde_experimental_effect(nsw) -> None:
    """Dehejia–Wahba NSW sample: the experimental effect on re78 is $1,794."""
    re78, treat = nsw["re78"].to_numpy(), nsw["treat"].to_numpy()
    c = compare_means("re78", MeanStats.from_values("control", re78[treat == 0]),
                      MeanStats.from_values("treated", re78[treat == 1]))  # fmt: skip
    assert round(c.abs_lift) == 1794
    assert c.control.n == 260 and c.treatment.n == 185
    assert round(c.treatment.estimate, 2) == 6349.14 and round(c.control.estimate, 2) == 4554.80
    t, p, _df = ttest_ind(re78[treat == 1], re78[treat == 0], usevar="unequal")
    assert (c.statistic, c.p_value) == pytest.approx((t, p), rel=1e-10)
    # Welch SE 671.0 on 307.1 df: 95 % CI $474 to $3,115, p = 0.0079
    assert round(c.se) == 671 and round(c.df, 1) == 307.1
    assert (round(c.abs_ci.low), round(c.abs_ci.high)) == (474, 3115)
    assert round(c.p_value, 4) == 0.0079


@pytest.mark.parametrize(
    ("users", "conversions", "message"),
    [
        (-5, 0, "must not be negative"),
        (100, 101, "exceed users"),
        (0, 0, "has 0 users"),
        (10.5, 1, "whole number"),
    ],
)
def test_bad_counts(users, conversions, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        ProportionCounts("A", users, conversions)


def test_zero_variance_is_an_error() -> None:
    with pytest.raises(InvalidInput, match="zero variance"):
        compare_proportions("cr", ProportionCounts("A", 100, 0), ProportionCounts("B", 100, 0))
    with pytest.raises(InvalidInput, match="zero variance"):
        compare_means("y", MeanStats.from_values("A", np.ones(5)), MeanStats.from_values("B", np.ones(7)))
    with pytest.raises(InvalidInput, match="inconsistent"):
        MeanStats.from_sums("A", 10, 100.0, 50.0)
    with pytest.raises(InvalidInput, match="at least 2"):
        MeanStats.from_values("A", np.array([1.0]))
