"""Generated demo data for the analytics page (no third-party data; CC0 by construction).

* ``abtest_checkout.csv``: a per-user A/B test of a checkout redesign (arm, converted, revenue,
  pre-period revenue as a CUPED covariate); variant B converts ~12 % better.
* ``geo_campaign.csv``: a weekly sales panel of 40 markets; 4 markets run a campaign from week 40 with
  a +6 % lift (``treated`` = 1 while a market runs it) — for DiD, SDID and synthetic control.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

SEED = 20261122


def abtest_frame(n_per_arm: int = 20_000, seed: int = SEED) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    arms = np.repeat(["A", "B"], n_per_arm)
    pre = rng.gamma(shape=2.0, scale=15.0, size=arms.size)
    base = 0.015 + 0.0012 * np.minimum(pre, 100)
    rate = np.where(arms == "B", base * 1.12, base)
    converted = rng.random(arms.size) < rate
    basket = rng.lognormal(mean=3.0, sigma=0.4, size=arms.size) + 1.2 * pre
    revenue = np.where(converted, basket, 0.0).round(2)
    frame = pd.DataFrame(
        {
            "user_id": np.arange(arms.size),
            "arm": arms,
            "converted": converted.astype(int),
            "revenue": revenue,
            "pre_revenue": pre.round(2),
        }
    )
    return frame.sample(frac=1.0, random_state=seed).reset_index(drop=True)


def geo_frame(n_markets: int = 40, n_weeks: int = 52, seed: int = SEED) -> pd.DataFrame:
    rng = np.random.default_rng(seed + 1)
    weeks = np.arange(1, n_weeks + 1)
    common = 100 + 8 * np.sin(2 * np.pi * weeks / 52) + 0.15 * weeks
    factor = rng.normal(0, 1, size=(n_markets, 1)) * (3 * np.cos(2 * np.pi * weeks / 26))
    level = rng.uniform(0.6, 1.6, size=(n_markets, 1))
    sales = level * common + factor + rng.normal(0, 1.5, size=(n_markets, n_weeks))
    treated = np.zeros(n_markets, dtype=bool)
    treated[:4] = True
    post = weeks >= 40
    sales[np.ix_(treated, post)] *= 1.06
    markets = [f"market_{i:02d}" for i in range(n_markets)]
    rows = [
        {
            "market": markets[i],
            "week": int(w),
            "sales": round(float(sales[i, j]), 3),
            "treated": int(treated[i] and post[j]),
        }
        for i in range(n_markets)
        for j, w in enumerate(weeks)
    ]
    return pd.DataFrame(rows)


DATASETS: dict[str, dict[str, str]] = {
    "abtest_checkout.csv": {
        "kind": "abtest",
        "description": "Per-user A/B test: arm, converted, revenue, pre_revenue (CUPED covariate)",
    },
    "geo_campaign.csv": {
        "kind": "panel",
        "description": "Weekly sales of 40 markets; market_00-03 run a campaign from week 40",
    },
}


def demo_dir(runtime: Any) -> Path:
    return Path(runtime.settings.home) / "demo" / "analytics"


def seed(runtime: Any) -> dict[str, Any]:
    out = demo_dir(runtime)
    out.mkdir(parents=True, exist_ok=True)
    files: dict[str, Callable[[], pd.DataFrame]] = {
        "abtest_checkout.csv": abtest_frame,
        "geo_campaign.csv": geo_frame,
    }
    for name, make in files.items():
        path = out / name
        if not path.exists():  # a temp file of its own: another server worker may be seeding too
            fd, tmp = tempfile.mkstemp(dir=out, prefix=f".{name}.", suffix=".tmp")
            try:
                with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
                    make().to_csv(fh, index=False)
                os.replace(tmp, path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
    return {"files": sorted(files)}


__all__ = ["abtest_frame", "geo_frame", "seed"]
