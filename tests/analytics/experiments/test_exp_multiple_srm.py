"""Holm / Benjamini–Hochberg against statsmodels; sample-ratio-mismatch chi-square."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.multitest import multipletests

from adlens.analytics.experiments import adjust, benjamini_hochberg, holm, srm_check
from adlens.errors import InvalidInput


@pytest.mark.parametrize("seed", range(5))
def test_corrections_match_statsmodels(seed: int) -> None:
    rng = np.random.default_rng(seed)
    p = np.concatenate([rng.uniform(0, 0.05, 4), rng.uniform(0, 1, 8), [0.01, 0.01]])  # with ties
    assert holm(p) == pytest.approx(multipletests(p, method="holm")[1], rel=1e-14)
    assert benjamini_hochberg(p) == pytest.approx(multipletests(p, method="fdr_bh")[1], rel=1e-14)
    assert adjust(p, "bonferroni") == pytest.approx(multipletests(p, method="bonferroni")[1], rel=1e-14)


def test_corrections_by_hand() -> None:
    p = np.array([0.01, 0.04, 0.03])
    # Holm: sorted 0.01, 0.03, 0.04 -> 0.03, 0.06, 0.06 (monotone); BH: 0.03, 0.04, 0.04
    assert holm(p) == pytest.approx([0.03, 0.06, 0.06])
    assert benjamini_hochberg(p) == pytest.approx([0.03, 0.04, 0.04])
    with pytest.raises(InvalidInput):
        adjust(p, "sidak")
    with pytest.raises(InvalidInput):
        holm(np.array([0.2, 1.5]))


def test_srm_by_hand_and_scipy() -> None:
    r = srm_check({"A": 5000, "B": 5200})
    assert r.chi2 == pytest.approx(2 * 100**2 / 5100)
    assert r.p_value == pytest.approx(stats.chisquare([5000, 5200]).pvalue, rel=1e-12)
    assert not r.mismatch
    bad = srm_check({"A": 5000, "B": 5400})
    assert bad.mismatch and "mismatch" in bad.message


def test_srm_planned_split() -> None:
    obs = {"control": 2010, "test": 7990}
    r = srm_check(obs, {"control": 20, "test": 80})
    assert r.p_value == pytest.approx(stats.chisquare([2010, 7990], [2000, 8000]).pvalue, rel=1e-12)
    assert not r.mismatch
    assert srm_check(obs).mismatch
    with pytest.raises(InvalidInput, match="do not match"):
        srm_check(obs, {"control": 1, "other": 1})
