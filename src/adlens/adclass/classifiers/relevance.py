"""Relevance: explicit evidence + semantic similarity → a calibrated probability (small logistic model).

The shipped weights (``data/relevance_model.json``) were fitted by ``eval/adclass.py --fit`` on the train
split of the CC0 ad-transcript set and Platt-calibrated on its dev split; without that file hand-set
weights are used.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from adlens.adclass.classifiers.calibration import fit_platt, sigmoid
from adlens.adclass.classifiers.evidence import Evidence, english_words

FEATURES = (
    "name",
    "name_count",
    "name_is_word",
    "page",
    "handle",
    "hashtag",
    "product",
    "product_count",
    "misspelling",
    "partial_tag",
    "coincidental_only",
    "capitalised",
    "similarity",
    "similarity_no_evidence",
)

# hand-set fallback weights (used only when no fitted model is shipped)
_DEFAULT = {
    "name": 4.0,
    "name_count": 0.5,
    "name_is_word": -1.0,
    "page": 3.0,
    "handle": 3.0,
    "hashtag": 3.0,
    "product": 2.5,
    "product_count": 0.3,
    "misspelling": 2.0,
    "partial_tag": 1.0,
    "coincidental_only": -2.0,
    "capitalised": 0.5,
    "similarity": 4.0,
    "similarity_no_evidence": 4.0,
}


def features(ev: Evidence, similarity: float, keyword: str) -> np.ndarray:
    """The feature vector of one (ad, keyword) pair, in the order of :data:`FEATURES`."""
    word = keyword.strip().lower() in english_words()
    explicit = ev.explicit
    return np.array(
        [
            float(ev.name > 0),
            float(np.log1p(ev.name)),
            float(ev.name > 0 and word),
            float(ev.page > 0),
            float(ev.handle > 0),
            float(ev.hashtag > 0),
            float(ev.product > 0),
            float(np.log1p(ev.product)),
            float(ev.misspelling > 0),
            float(ev.partial_tag > 0),
            float(ev.coincidental > 0 and ev.name == 0),
            float(ev.capitalised > 0),
            float(similarity),
            float(similarity if not explicit else 0.0),
        ],
        dtype=np.float64,
    )


@dataclass
class RelevanceModel:
    """``P(relevant) = sigmoid(a * (w·x + b) + c)``: logistic weights plus a Platt calibration."""

    weights: np.ndarray
    bias: float
    platt: tuple[float, float] = (1.0, 0.0)
    threshold: float = 0.5
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def version(self) -> str:
        return str(self.meta.get("version", "default"))

    def score(self, x: np.ndarray) -> np.ndarray:
        return np.atleast_2d(x) @ self.weights + self.bias

    def proba(self, x: np.ndarray) -> np.ndarray:
        a, c = self.platt
        return np.asarray(sigmoid(a * self.score(x) + c), dtype=np.float64)

    @classmethod
    def default(cls) -> RelevanceModel:
        return cls(np.array([_DEFAULT[f] for f in FEATURES]), -3.5, meta={"version": "handset-1"})

    @classmethod
    def fit(
        cls,
        x_train: np.ndarray,
        y_train: np.ndarray,
        x_dev: np.ndarray | None = None,
        y_dev: np.ndarray | None = None,
        *,
        c: float = 1.0,
        seed: int = 0,
        meta: dict[str, Any] | None = None,
    ) -> RelevanceModel:
        """Logistic regression on train; class-balanced Platt scaling on dev (threshold stays 0.5).

        The L2 penalty pulls the weights towards the hand-set prior (not towards zero), so evidence that
        never occurs in the training data (e.g. hashtags in broadcast-ad transcripts) keeps its prior
        weight instead of dropping to 0. ``c`` is the inverse prior strength.
        """
        w, b = _fit_map(np.asarray(x_train, dtype=np.float64), np.asarray(y_train, dtype=np.float64), c)
        model = cls(w, b, meta=dict(meta or {}))
        if x_dev is not None and y_dev is not None and len(set(y_dev.tolist())) == 2:
            model.platt = fit_platt(model.score(x_dev), y_dev, balanced=True)
        return model

    def to_dict(self) -> dict[str, Any]:
        return {
            "features": list(FEATURES),
            "weights": [round(float(w), 6) for w in self.weights],
            "bias": round(self.bias, 6),
            "platt": [round(v, 6) for v in self.platt],
            "threshold": round(self.threshold, 4),
            "meta": self.meta,
        }

    def save(self, path: Path) -> None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".rel-", suffix=".json")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(self.to_dict(), handle, indent=1)
        os.chmod(tmp, 0o644)  # mkstemp creates 0600; heads are shared package/data files
        os.replace(tmp, path)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RelevanceModel:
        if list(data.get("features", [])) != list(FEATURES):
            raise ValueError("relevance model features do not match this version")
        return cls(
            np.array(data["weights"], dtype=np.float64),
            float(data["bias"]),
            (float(data["platt"][0]), float(data["platt"][1])),
            float(data.get("threshold", 0.5)),
            dict(data.get("meta", {})),
        )

    @classmethod
    def shipped(cls) -> RelevanceModel:
        """The fitted model in package data, or the hand-set default when absent or outdated."""
        try:
            text = resources.files("adlens.adclass").joinpath("data/relevance_model.json").read_text("utf-8")
            return cls.from_dict(json.loads(text))
        except (OSError, ValueError, KeyError):
            return cls.default()


def _fit_map(x: np.ndarray, y: np.ndarray, c: float) -> tuple[np.ndarray, float]:
    """Class-balanced logistic regression with a Gaussian prior centred on the hand-set weights."""
    from scipy.optimize import minimize

    prior = RelevanceModel.default()
    w0 = np.append(prior.weights, prior.bias)
    pos = max(1.0, float(y.sum()))
    neg = max(1.0, float(len(y) - y.sum()))
    sw = np.where(y > 0, len(y) / (2 * pos), len(y) / (2 * neg))
    xb = np.hstack([x, np.ones((len(x), 1))])
    mask = np.append(np.ones(x.shape[1]), 0.0)  # the bias is not penalised

    def objective(theta: np.ndarray) -> tuple[float, np.ndarray]:
        z = xb @ theta
        loss = np.sum(sw * (np.logaddexp(0.0, z) - y * z)) / len(y)
        grad = xb.T @ (sw * (sigmoid(z) - y)) / len(y)
        diff = (theta - w0) * mask
        return float(loss + 0.5 / c * diff @ diff / len(y) * 100), grad + diff / c / len(y) * 100

    res = minimize(objective, w0.copy(), jac=True, method="L-BFGS-B")
    return res.x[:-1], float(res.x[-1])


__all__ = ["FEATURES", "RelevanceModel", "features"]
