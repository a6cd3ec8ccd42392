"""The audience-quality indicator on a synthetic population with planted anomalies."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from adlens.creators.quality import QualityModel, band_of, fit


def test_flags_planted_anomalies(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    followers = 10 ** rng.uniform(3, 7, 2000)
    rates = 0.08 * (followers / 1e4) ** -0.2 * np.exp(rng.normal(0, 0.3, 2000))
    model = fit(followers, rates)
    assert model.b < 0 and model.n == 2000  # engagement falls with audience size
    typical = model.assess({"followers": 50_000, "engagement_rate": 0.08 * 5**-0.2})
    bought = model.assess({"followers": 50_000, "engagement_rate": 0.08 * 5**-0.2 * 0.1})
    pods = model.assess({"followers": 50_000, "engagement_rate": 0.08 * 5**-0.2 * 8})
    assert typical and bought and pods
    assert 35 < typical["score"] < 65 and typical["label"] == "typical"
    assert bought["score"] < 5 and bought["label"].startswith("low")
    assert pods["label"].startswith("unusually high")
    # a mega account with 1 % is normal, a nano account with 1 % is low
    assert (
        model.assess({"followers": 50_000_000, "engagement_rate": 0.01})["z"]
        > model.assess({"followers": 5_000, "engagement_rate": 0.01})["z"]
    )  # type: ignore[index]
    odd = model.assess(
        {"followers": 1000, "engagement_rate": 0.01, "avg_likes": 900, "engagement_source": "reported"}
    )
    assert odd and len(odd["flags"]) == 2
    assert model.assess({"followers": 10}) is None
    model.save(tmp_path / "q.json")
    assert QualityModel.load(tmp_path / "q.json") == model
    assert QualityModel.load(tmp_path / "missing.json").n == 0
    assert band_of(9_999) == "nano" and band_of(10_000) == "micro" and band_of(2e7) == "mega"
