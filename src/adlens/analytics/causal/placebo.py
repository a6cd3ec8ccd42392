"""Inference and robustness for synthetic control.

* :func:`placebo_in_space` — refit treating each donor as if it were treated (the real treated unit
  excluded from every donor pool), and rank the treated unit's post/pre RMSPE ratio among all units:
  p = #{units with ratio ≥ treated's} / (number of placebos + 1) (Abadie, Diamond & Hainmueller 2010).
* :func:`leave_one_out` — drop each donor with positive weight in turn and refit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from adlens.analytics.causal.synth import SynthData, SynthResult, synth_fit_many, synth_fit_one

__all__ = ["LeaveOneOut", "PlaceboResult", "leave_one_out", "placebo_in_space"]

Progress = Callable[[int, int], None]


@dataclass
class PlaceboResult:
    """Placebo gaps (periods × units), per-unit RMSPE table and the permutation p-value."""

    gaps: pd.DataFrame
    table: pd.DataFrame  # index unit: pre_rmspe, post_rmspe, ratio, att, is_treated
    p_value: float
    rank: int
    n_units: int
    excluded: list[Any]


def placebo_in_space(
    data: SynthData,
    fit: SynthResult,
    donors: list[Any],
    *,
    max_pre_rmspe_ratio: float | None = None,
    progress: Progress | None = None,
) -> PlaceboResult:
    """Permutation inference over donors; optionally drop placebos whose pre-RMSPE exceeds
    ``max_pre_rmspe_ratio`` × the treated unit's (ADH's 2/5/20× filters)."""
    results: dict[Any, SynthResult] = {fit.treated: fit}
    problems = [(d, [u for u in donors if u != d]) for d in donors]
    if data.X is None:
        for r in synth_fit_many(data, problems):
            results[r.treated] = r
        if progress:
            progress(len(donors), len(donors))
    else:
        for i, (d, others) in enumerate(problems):
            results[d] = synth_fit_one(data, d, others)
            if progress:
                progress(i + 1, len(donors))
    table = pd.DataFrame(
        {
            u: {
                "pre_rmspe": r.pre_rmspe,
                "post_rmspe": r.post_rmspe,
                "ratio": r.rmspe_ratio,
                "att": r.att,
                "is_treated": u == fit.treated,
            }
            for u, r in results.items()
        }
    ).T
    table = table.astype(
        {"pre_rmspe": float, "post_rmspe": float, "ratio": float, "att": float, "is_treated": bool}
    )
    excluded: list[Any] = []
    if max_pre_rmspe_ratio is not None:
        limit = max_pre_rmspe_ratio * fit.pre_rmspe
        excluded = [u for u in donors if table.loc[u, "pre_rmspe"] > limit]
    kept = table.drop(index=excluded)
    treated_ratio = float(kept.loc[fit.treated, "ratio"])
    rank = int((kept["ratio"] >= treated_ratio - 1e-12).sum())
    gaps = pd.DataFrame({u: r.gap for u, r in results.items()})
    return PlaceboResult(
        gaps=gaps,
        table=table.sort_values("ratio", ascending=False),
        p_value=rank / len(kept),
        rank=rank,
        n_units=len(kept),
        excluded=excluded,
    )


@dataclass
class LeaveOneOut:
    """ATT and synthetic series when each contributing donor is dropped."""

    att: pd.Series
    synthetic: pd.DataFrame

    @property
    def att_range(self) -> tuple[float, float]:
        return (float(self.att.min()), float(self.att.max())) if len(self.att) else (np.nan, np.nan)


def leave_one_out(
    data: SynthData, fit: SynthResult, donors: list[Any], threshold: float = 1e-3
) -> LeaveOneOut:
    """Refit without each donor whose weight exceeds ``threshold``."""
    dropped = list(fit.weights[fit.weights > threshold].index)
    fits = synth_fit_many(data, [(fit.treated, [u for u in donors if u != d]) for d in dropped])
    att = {d: r.att for d, r in zip(dropped, fits, strict=True)}
    series = {d: r.synthetic for d, r in zip(dropped, fits, strict=True)}
    return LeaveOneOut(att=pd.Series(att, name="att", dtype=float), synthetic=pd.DataFrame(series))
