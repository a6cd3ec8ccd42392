"""Geo-test design: control selection and placebo-in-time power on a simulated market panel."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from adlens.analytics.causal.geo import geo_design
from adlens.errors import InvalidInput


def markets(n: int = 30, weeks: int = 60, seed: int = 4) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    t = np.arange(weeks)
    season = 100 + 10 * np.sin(2 * np.pi * t / 52)
    factors = rng.normal(size=(n, 2)) @ np.vstack([np.sin(t / 5), np.cos(t / 9)])
    level = rng.uniform(0.5, 2.0, size=(n, 1))
    y = level * (season + 3 * factors) + rng.normal(0, 1.0, size=(n, weeks))
    return pd.DataFrame(
        [(f"m{i:02d}", int(w), float(y[i, w])) for i in range(n) for w in t],
        columns=["market", "week", "sales"],
    )


@pytest.fixture(scope="module")
def design():
    return geo_design(markets(), "market", "week", "sales", ["m00", "m01", "m02"], test_length=4, effect=0.05)


def test_controls_are_a_convex_combination(design):
    assert set(design.controls.index).isdisjoint({"m00", "m01", "m02"})
    assert design.controls.sum() == pytest.approx(1.0)
    assert (design.controls > 0).all()
    assert design.holdout_mape < 0.05
    assert len(design.series) == 60


def test_power_curve_is_monotone_and_calibrated(design):
    pc = design.power_curve
    assert pc["power"].iloc[0] <= 0.1  # no effect: rejections only at about the α level
    assert pc["power"].is_monotonic_increasing
    assert pc["power"].iloc[-1] == 1.0
    assert design.mde is not None and 0 < design.mde < 0.2
    assert 0.0 <= design.power_at_effect <= 1.0
    assert len(design.null_estimates) == 60 - 8 - 4 + 1


def test_n_controls_and_candidates():
    d = geo_design(
        markets(),
        "market",
        "week",
        "sales",
        ["m00"],
        test_length=2,
        n_controls=3,
        candidates=[f"m{i:02d}" for i in range(1, 12)],
    )
    assert len(d.controls) <= 3
    assert set(d.all_weights.index) <= {f"m{i:02d}" for i in range(1, 12)}


def test_history_too_short():
    with pytest.raises(InvalidInput, match="history too short"):
        geo_design(markets(weeks=12), "market", "week", "sales", ["m00"], test_length=4)


def test_unknown_market():
    with pytest.raises(InvalidInput, match="unknown treated unit 'Atlantis'"):
        geo_design(markets(), "market", "week", "sales", ["Atlantis"], test_length=4)
