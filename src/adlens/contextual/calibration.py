"""Calibration of tier-1 category scores into probabilities, and its measurement.

The scorer produces one raw score per tier-1 category (cosine-similarity scale). A
:class:`TemperatureCalibrator` turns them into a softmax with a fitted temperature and bias
(``p = softmax(scores / T)``; ``T`` fitted by minimising the negative log-likelihood of the correct
class on a labelled calibration corpus). A multi-label truth (a document may belong to several
acceptable categories) is handled by maximising the probability mass on the acceptable set.
:func:`expected_calibration_error` is the usual 15-bin ECE of the top-1 confidence.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy.optimize import minimize_scalar

from adlens.errors import InvalidInput

__all__ = [
    "DEFAULT_TEMPERATURE",
    "TemperatureCalibrator",
    "expected_calibration_error",
    "load_calibration",
    "reliability_table",
    "softmax",
]

DEFAULT_TEMPERATURE = 0.05
CALIBRATION_FILE = Path(__file__).parent / "data" / "calibration.json"


def softmax(scores: np.ndarray, temperature: float) -> np.ndarray:
    """Row-wise softmax of ``scores / temperature`` (numerically stable)."""
    if temperature <= 0:
        raise InvalidInput(f"temperature must be > 0, got {temperature}")
    z = np.asarray(scores, dtype=np.float64) / temperature
    z -= z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return np.asarray(e / e.sum(axis=-1, keepdims=True))


def _mass(probs: np.ndarray, truth: Sequence[Sequence[int]]) -> np.ndarray:
    return np.array([probs[i, list(t)].sum() for i, t in enumerate(truth)])


@dataclass
class TemperatureCalibrator:
    """``p = softmax(scores / temperature)`` over tier-1 categories, optionally followed by an
    isotonic map of the top-1 probability.

    With ``isotonic = (x, y)`` (monotone knots fitted on top-1 confidence → correctness), the top
    category gets ``q1 = interp(p1, x, y)`` and the others share ``1 − q1`` in proportion to their
    softmax probabilities, so the vector still sums to 1 and keeps its order whenever ``q1`` stays
    the largest value (``q1`` is floored so that it does: the ranking never changes).
    """

    temperature: float = DEFAULT_TEMPERATURE
    fitted_on: str = ""
    n: int = 0
    params: dict[str, Any] = field(default_factory=dict)  # the scoring knobs it was fitted with
    isotonic: tuple[list[float], list[float]] | None = None

    def transform(self, scores: np.ndarray) -> np.ndarray:
        p = softmax(scores, self.temperature)
        if not self.isotonic:
            return p
        x, y = (np.asarray(v, dtype=np.float64) for v in self.isotonic)
        rows = np.arange(p.shape[0])
        top = p.argmax(axis=1)
        p1 = p[rows, top]
        rest = np.maximum(1.0 - p1, 1e-12)
        p2 = np.sort(p, axis=1)[:, -2] if p.shape[1] > 1 else np.zeros_like(p1)
        floor = p2 / (rest + p2) + 1e-9  # keeps the top category on top: q1 > q2
        q1 = np.clip(np.maximum(np.interp(p1, x, y), floor), 1e-6, 1.0)
        q = p * ((1.0 - q1) / rest)[:, None]
        q[rows, top] = q1
        return np.asarray(q)

    @classmethod
    def fit(
        cls, scores: np.ndarray, truth: Sequence[Sequence[int]], *, fitted_on: str = ""
    ) -> TemperatureCalibrator:
        """Fit ``T`` by NLL of the acceptable set; ``truth[i]`` lists acceptable columns of row ``i``."""
        scores = np.asarray(scores, dtype=np.float64)
        if scores.ndim != 2 or len(scores) != len(truth) or len(scores) == 0:
            raise InvalidInput("calibration needs a (n, k) score matrix and n label sets")

        def nll(log_t: float) -> float:
            mass = _mass(softmax(scores, float(np.exp(log_t))), truth)
            return float(-np.log(np.clip(mass, 1e-12, 1.0)).mean())

        res = minimize_scalar(nll, bounds=(np.log(1e-3), np.log(10.0)), method="bounded")
        return cls(float(np.exp(res.x)), fitted_on, len(scores))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _knots(value: Any) -> tuple[list[float], list[float]] | None:
    if not value:
        return None
    x, y = [float(v) for v in value[0]], [float(v) for v in value[1]]
    if len(x) != len(y) or len(x) < 2 or any(b < a for a, b in itertools.pairwise(x)):
        return None
    return x, y


def load_calibration(key: str, path: Path = CALIBRATION_FILE) -> TemperatureCalibrator | None:
    """The shipped calibrator for ``key`` (taxonomy version + embedder), or ``None``."""
    if not path.is_file():
        return None
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        entry = doc.get(key)
        if not entry:
            return None
        return TemperatureCalibrator(
            float(entry["temperature"]),
            str(entry.get("fitted_on", "")),
            int(entry.get("n", 0)),
            dict(entry.get("params") or {}),
            _knots(entry.get("isotonic")),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def expected_calibration_error(confidence: np.ndarray, correct: np.ndarray, n_bins: int = 15) -> float:
    """ECE with ``n_bins`` equal-width bins: sum_b |acc_b - conf_b| * n_b / n."""
    conf = np.asarray(confidence, dtype=np.float64)
    ok = np.asarray(correct, dtype=np.float64)
    if conf.shape != ok.shape or conf.size == 0:
        raise InvalidInput("confidence and correct must be non-empty and of equal length")
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    bins = np.clip(np.digitize(conf, edges[1:-1], right=True), 0, n_bins - 1)
    ece = 0.0
    for b in range(n_bins):
        mask = bins == b
        if mask.any():
            ece += abs(ok[mask].mean() - conf[mask].mean()) * mask.mean()
    return float(ece)


def reliability_table(
    confidence: np.ndarray, correct: np.ndarray, n_bins: int = 15
) -> list[dict[str, float]]:
    """Per-bin count, mean confidence and accuracy (non-empty bins only)."""
    conf = np.asarray(confidence, dtype=np.float64)
    ok = np.asarray(correct, dtype=np.float64)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    bins = np.clip(np.digitize(conf, edges[1:-1], right=True), 0, n_bins - 1)
    rows = []
    for b in range(n_bins):
        mask = bins == b
        if mask.any():
            rows.append(
                {
                    "lo": float(edges[b]),
                    "hi": float(edges[b + 1]),
                    "n": int(mask.sum()),
                    "confidence": float(conf[mask].mean()),
                    "accuracy": float(ok[mask].mean()),
                }
            )
    return rows
