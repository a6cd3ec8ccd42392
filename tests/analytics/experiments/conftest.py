"""Small synthetic experiment data shared by the tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

NSW = (
    Path(__file__).resolve().parents[3].parent
    / "shared"
    / "data"
    / "lalonde-nsw-causaldata"
    / "nsw_mixtape.csv"
)


@pytest.fixture(scope="session")
def users() -> pd.DataFrame:
    """2,000 users, arms A/B (50/50): converted (0/1), revenue, pre_revenue, clicks, impressions."""
    rng = np.random.default_rng(20260501)
    n = 2000
    variant = np.where(rng.random(n) < 0.5, "A", "B")
    treat = variant == "B"
    pre = rng.gamma(2.0, 20.0, n)
    revenue = np.maximum(0.0, 0.8 * pre + rng.normal(5.0, 15.0, n) + 4.0 * treat)
    converted = (rng.random(n) < np.where(treat, 0.14, 0.11)).astype(int)
    impressions = rng.integers(1, 40, n)
    clicks = rng.binomial(impressions, np.where(treat, 0.055, 0.05))
    return pd.DataFrame(
        {
            "variant": variant,
            "converted": converted,
            "revenue": revenue.round(2),
            "pre_revenue": pre.round(2),
            "clicks": clicks,
            "impressions": impressions,
            "ts": np.arange(n),
        }
    )


@pytest.fixture(scope="session")
def nsw() -> pd.DataFrame:
    if not NSW.exists():
        pytest.skip("LaLonde NSW data not available")
    return pd.read_csv(NSW)
