"""Audience-quality indicator: is this creator's engagement plausible for their audience size?

Method (documented in docs/creators.md):

1. Engagement falls with audience size, so we fit ``log(ER) = a + b * log10(followers)`` by ordinary
   least squares over the stored population (``fit``).
2. Each creator's residual ``r`` is compared with the residuals of their follower band (nano < 10k,
   micro < 100k, mid < 1M, macro < 10M, mega) by a robust z-score ``z = (r - median) / (1.4826 * MAD)``;
   bands with fewer than 20 creators use the whole population.
3. ``score = 100 * Phi(z)`` (the percentile the creator would have if residuals were normal), shown
   with a label: ``z < -2`` "low engagement for audience size (possible inactive or bought followers)",
   ``z > 3.5`` "unusually high (check for engagement pods or bought likes)", otherwise "typical" or
   "strong" (``z >= 1``).
4. Flags from likes/followers: average likes above 50 % of followers, and a reported engagement rate
   that disagrees with ``avg_likes / followers`` by more than a factor 3.

The statistics are refit after an import (always under 50,000 stored profiles; in a larger population
when the import changed at least 1 % of it: ``adlens.creators.ingest.quality_refit_due``) and kept in
``DATA_DIR/creators/quality.json``.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["BANDS", "QualityModel", "band_of", "fit"]

BANDS = ((10_000, "nano"), (100_000, "micro"), (1_000_000, "mid"), (10_000_000, "macro"), (math.inf, "mega"))
MIN_BAND = 20
_FLOOR = 1e-5  # engagement rates are floored before the log


def band_of(followers: float) -> str:
    for limit, name in BANDS:
        if followers < limit:
            return name
    return "mega"


@dataclass
class QualityModel:
    a: float = math.log(0.03)
    b: float = 0.0
    global_median: float = 0.0
    global_scale: float = 1.0
    bands: dict[str, tuple[float, float, int]] = field(default_factory=dict)  # band -> (median, scale, n)
    n: int = 0

    def residual(self, followers: float, rate: float) -> float:
        return math.log(max(rate, _FLOOR)) - (self.a + self.b * math.log10(max(followers, 1.0)))

    def assess(self, meta: dict[str, Any]) -> dict[str, Any] | None:
        """Score, label and flags for one creator's metadata; ``None`` without followers/engagement."""
        followers = meta.get("followers")
        rate = meta.get("engagement_rate")
        if not isinstance(followers, int | float) or not isinstance(rate, int | float) or followers <= 0:
            return None
        band = band_of(followers)
        med, scale, nb = self.bands.get(band, (self.global_median, self.global_scale, 0))
        if nb < MIN_BAND:
            med, scale = self.global_median, self.global_scale
        z = (self.residual(followers, rate) - med) / max(scale, 1e-6)
        score = 100.0 * 0.5 * (1.0 + math.erf(z / math.sqrt(2.0)))
        if z < -2:
            label = "low engagement for audience size (possible inactive or bought followers)"
        elif z > 3.5:
            label = "unusually high engagement (check for engagement pods or bought likes)"
        elif z >= 1:
            label = "strong"
        else:
            label = "typical"
        flags = []
        likes = meta.get("avg_likes")
        if isinstance(likes, int | float) and likes > 0.5 * followers:
            flags.append("average likes above 50% of followers")
        if isinstance(likes, int | float) and likes > 0 and meta.get("engagement_source") == "reported":
            ratio = rate / (likes / followers)
            if ratio > 3 or ratio < 1 / 3:
                flags.append(
                    f"reported engagement {rate:.2%} disagrees with likes/followers {likes / followers:.2%}"
                )
        return {
            "score": round(score, 1),
            "z": round(z, 2),
            "band": band,
            "label": label,
            "flags": flags,
            "method": "robust z of log engagement vs follower-size trend, within follower band",
        }

    def save(self, path: Path) -> None:
        """Write ``path`` atomically; a temp file of its own, so concurrent saves (server workers) are safe."""
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(json.dumps(asdict(self)))
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    @classmethod
    def load(cls, path: Path) -> QualityModel:
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
            doc["bands"] = {k: tuple(v) for k, v in doc.get("bands", {}).items()}
            return cls(**doc)
        except (OSError, ValueError, TypeError):
            return cls()


def _robust(values: np.ndarray) -> tuple[float, float]:
    med = float(np.median(values))
    mad = float(np.median(np.abs(values - med))) * 1.4826
    if mad <= 1e-9:
        mad = float(np.std(values)) or 1.0
    return med, mad


def fit(followers: np.ndarray, rates: np.ndarray) -> QualityModel:
    """Fit the trend and band statistics over a population (rows without either value are skipped)."""
    f = np.asarray(followers, dtype=np.float64)
    r = np.asarray(rates, dtype=np.float64)
    ok = np.isfinite(f) & np.isfinite(r) & (f > 0) & (r >= 0)
    f, r = f[ok], r[ok]
    if f.size < 3:
        return QualityModel(n=int(f.size))
    x = np.log10(f)
    y = np.log(np.maximum(r, _FLOOR))
    if np.ptp(x) > 1e-9:
        b, a = np.polyfit(x, y, 1)
    else:
        b, a = 0.0, float(np.mean(y))
    res = y - (a + b * x)
    gmed, gscale = _robust(res)
    bands: dict[str, tuple[float, float, int]] = {}
    names = np.array([band_of(v) for v in f])
    for _, name in BANDS:
        sel = res[names == name]
        if sel.size:
            med, scale = _robust(sel)
            bands[name] = (med, scale, int(sel.size))
    return QualityModel(float(a), float(b), gmed, gscale, bands, int(f.size))
