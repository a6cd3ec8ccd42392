"""Campaign metrics and incrementality: a hand-computed holdout example and per-user rows."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.proportion import proportion_confint
from statsmodels.stats.weightstats import CompareMeans, DescrStatsW

from adlens.analytics.experiments import CampaignArm, campaign_report, campaign_rows
from adlens.errors import InvalidInput

TEST = "users=100000,impressions=500000,clicks=5000,conversions=1200,cost=10000,revenue=60000"
CONTROL = "users=100000,conversions=1000,revenue=50000"


def test_holdout_by_hand() -> None:
    r = campaign_report(CampaignArm.parse("test", TEST), CampaignArm.parse("control", CONTROL))
    m = r.metrics["test"]
    assert m["ctr"]["value"] == 0.01 and m["cvr"]["value"] == 0.24 and m["cpc"] == 2.0 and m["cpm"] == 20.0
    assert (m["ctr"]["ci"].low, m["ctr"]["ci"].high) == pytest.approx(
        proportion_confint(5000, 500000, method="wilson")
    )
    assert m["cpa"]["value"] == pytest.approx(10000 / 1200) and m["roas"]["value"] == 6.0
    # incremental conversions: 0.002 * 100,000 = 200, CI 200 +- 1.959964 * sqrt(.012*.988 + .01*.99) / sqrt(1e5) * 1e5
    inc = r.incremental
    half = 1.959963984540054 * math.sqrt(0.012 * 0.988 / 1e5 + 0.01 * 0.99 / 1e5) * 1e5
    assert inc["conversions"] == pytest.approx(200.0)
    assert (inc["conversions_ci"].low, inc["conversions_ci"].high) == pytest.approx((200 - half, 200 + half))
    assert inc["cost"] == 10000
    assert inc["cpa"]["value"] == pytest.approx(50.0)
    assert (inc["cpa"]["ci"].low, inc["cpa"]["ci"].high) == pytest.approx(
        (10000 / (200 + half), 10000 / (200 - half))
    )
    assert round(inc["cpa"]["ci"].low, 1) == 34.3 and round(inc["cpa"]["ci"].high, 1) == 92.1
    # revenue CI approximated via conversions x average order value (50)
    assert inc["revenue"] == pytest.approx(10000.0) and inc["roas"]["value"] == pytest.approx(1.0)
    assert inc["roas"]["ci"].low == pytest.approx((200 - half) * 50 / 10000)
    assert any("approximated" in n for n in r.notes)
    assert r.conversion_lift.rel_lift == pytest.approx(0.2)
    assert "Incremental CPA 50.00" in r.summary and "Incremental ROAS 1.00" in r.summary


def test_rows_give_exact_revenue_interval() -> None:
    rng = np.random.default_rng(21)
    n = 3000
    group = np.where(rng.random(n) < 0.5, "holdout", "exposed")
    exposed = group == "exposed"
    conv = (rng.random(n) < np.where(exposed, 0.06, 0.04)).astype(int)
    revenue = conv * rng.gamma(3.0, 20.0, n)
    cost = np.where(exposed, 0.5, 0.0)
    df = pd.DataFrame({"grp": group, "conv": conv, "revenue": revenue, "cost": cost})
    r = campaign_rows(df, arm="grp", test="exposed", control="holdout", columns={"conversions": "conv"})
    assert r.revenue_lift is not None and r.revenue_lift.test == "Welch t-test"
    lo, hi = CompareMeans(DescrStatsW(revenue[exposed]), DescrStatsW(revenue[~exposed])).tconfint_diff(
        usevar="unequal"
    )
    k = int(exposed.sum())
    assert (r.incremental["revenue_ci"].low, r.incremental["revenue_ci"].high) == pytest.approx(
        (lo * k, hi * k), rel=1e-9
    )
    spend = 0.5 * k
    assert r.incremental["roas"]["value"] == pytest.approx(r.incremental["revenue"] / spend)
    assert not any("approximated" in n for n in r.notes)


def test_bad_campaign_input() -> None:
    with pytest.raises(InvalidInput, match="FIELD=NUMBER"):
        CampaignArm.parse("t", "users=10,conversions=1,spend=4")
    with pytest.raises(InvalidInput, match="needs users"):
        CampaignArm.parse("t", "conversions=1")
    with pytest.raises(InvalidInput, match="exceed users"):
        CampaignArm.parse("t", "users=10,conversions=11")
    with pytest.raises(InvalidInput, match="clicks"):
        CampaignArm.parse("t", "users=10,conversions=1,impressions=5,clicks=6")
    with pytest.raises(InvalidInput, match="must not be negative"):
        CampaignArm.parse("t", "users=10,conversions=1,cost=-5")
    df = pd.DataFrame({"group": ["a", "b", "c"], "conversions": [1, 0, 1]})
    with pytest.raises(InvalidInput, match="name the test group"):
        campaign_rows(df, arm="group")
