"""Sample-ratio mismatch: chi-square goodness of fit of the arm sizes against the planned split."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from adlens.errors import InvalidInput


@dataclass
class SRMResult:
    observed: dict[str, int]
    expected: dict[str, float]
    planned_split: dict[str, float]
    chi2: float
    df: int
    p_value: float
    threshold: float
    mismatch: bool
    message: str


def srm_check(
    counts: dict[str, int], planned_split: dict[str, float] | None = None, threshold: float = 0.001
) -> SRMResult:
    """Pearson chi-square of observed arm sizes vs ``planned_split`` (weights, normalised; default equal)."""
    arms = list(counts)
    if len(arms) < 2:
        raise InvalidInput("a sample-ratio check needs at least 2 arms")
    if planned_split is None:
        planned_split = dict.fromkeys(arms, 1.0)
    missing = [a for a in arms if a not in planned_split]
    extra = [a for a in planned_split if a not in counts]
    if missing or extra:
        raise InvalidInput(
            f"planned split arms {sorted(planned_split)} do not match the data's arms {sorted(arms)}"
        )
    weights = np.array([float(planned_split[a]) for a in arms])
    if np.any(weights <= 0) or not np.all(np.isfinite(weights)):
        raise InvalidInput("planned split weights must be positive numbers")
    obs = np.array([counts[a] for a in arms], dtype=float)
    total = obs.sum()
    share = weights / weights.sum()
    exp = share * total
    chi2 = float(((obs - exp) ** 2 / exp).sum())
    df = len(arms) - 1
    p = float(stats.chi2.sf(chi2, df))
    mismatch = p < threshold
    split = ", ".join(f"{a} {s * 100:.1f} %" for a, s in zip(arms, share, strict=True))
    seen = ", ".join(f"{a} {o / total * 100:.1f} %" for a, o in zip(arms, obs, strict=True))
    message = (
        f"sample-ratio mismatch: observed {seen} vs planned {split} (chi2 = {chi2:.2f}, p = {p:.2g}); "
        "the assignment or logging is probably broken, do not trust the results"
        if mismatch
        else f"no sample-ratio mismatch (observed {seen} vs planned {split}, p = {p:.3g})"
    )
    return SRMResult(
        {a: int(o) for a, o in zip(arms, obs, strict=True)},
        {a: float(e) for a, e in zip(arms, exp, strict=True)},
        {a: float(s) for a, s in zip(arms, share, strict=True)},
        chi2, df, p, threshold, mismatch, message,
    )  # fmt: skip


__all__ = ["SRMResult", "srm_check"]
