"""A linear head over document embeddings: multinomial logistic regression onto IAB tier-1.

The zero-shot prototype score of each tier-1 category (``scoring.ContextScorer.tier1_scores``) is
blended with ``head_weight * log P_head(category | document vector)``. The head is trained by
``eval/contextual.py --write-calibration`` on labelled texts that are never evaluated on: the
example sentences (``data/iab/exemplars.yaml``), news-style snippets written for adlens
(``data/dev/news-train.jsonl``) and the *train* half of the ad-transcripts corpus. It is stored in
``data/head.npz`` keyed by taxonomy version and embedder identity, like the calibration.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["HEAD_FILE", "LinearHead", "fit_head", "load_head"]

HEAD_FILE = Path(__file__).parent / "data" / "head.npz"
_FLOOR = 1e-6  # probability of a category the head never saw


@dataclass
class LinearHead:
    """``P(c | x) = softmax(x @ coef.T + intercept)`` over ``classes`` (tier-1 node ids)."""

    key: str
    classes: list[str]
    coef: np.ndarray  # (k, d)
    intercept: np.ndarray  # (k,)
    fitted_on: str = ""
    features: str = "minilm"  # "minilm" (document vector) or "minilm+e5" (concatenated with the E5 view)

    def log_proba(self, x: np.ndarray, root_ids: Sequence[str]) -> np.ndarray:
        """``(n, len(root_ids))`` log-probabilities aligned to ``root_ids`` (floored for unseen ids)."""
        x = np.asarray(x, dtype=np.float64)
        z = x @ self.coef.T + self.intercept
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(axis=1, keepdims=True)
        out = np.full((len(x), len(root_ids)), _FLOOR)
        pos = {c: j for j, c in enumerate(self.classes)}
        for j, rid in enumerate(root_ids):
            if rid in pos:
                out[:, j] = np.maximum(p[:, pos[rid]], _FLOOR)
        out /= out.sum(axis=1, keepdims=True)
        return np.asarray(np.log(out))

    def save(self, path: Path = HEAD_FILE) -> None:
        """Atomic write of the head to ``path`` (one key per file)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp.npz")
        os.close(fd)
        try:
            np.savez(
                tmp,
                key=np.array(self.key),
                classes=np.array(self.classes),
                coef=self.coef.astype(np.float32),
                intercept=self.intercept.astype(np.float32),
                fitted_on=np.array(self.fitted_on),
                features=np.array(self.features),
            )
            os.chmod(tmp, 0o644)
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)


def fit_head(
    x: np.ndarray,
    labels: Sequence[str],
    *,
    key: str,
    c: float = 4.0,
    fitted_on: str = "",
    features: str = "minilm",
) -> LinearHead:
    """Fit an L2-regularised multinomial logistic regression (``C = c``) on vectors ``x``."""
    from sklearn.linear_model import LogisticRegression

    clf = LogisticRegression(C=c, max_iter=3000)
    clf.fit(np.asarray(x, dtype=np.float64), np.asarray(labels))
    return LinearHead(
        key,
        [str(v) for v in clf.classes_],
        np.asarray(clf.coef_, dtype=np.float64),
        np.asarray(clf.intercept_, dtype=np.float64),
        fitted_on,
        features,
    )


def load_head(key: str, path: Path = HEAD_FILE) -> LinearHead | None:
    """The shipped head for ``key`` (taxonomy version + embedder), or ``None``."""
    if not path.is_file():
        return None
    try:
        with np.load(path) as data:
            if str(data["key"]) != key:
                return None
            return LinearHead(
                key,
                [str(v) for v in data["classes"]],
                np.asarray(data["coef"], dtype=np.float64),
                np.asarray(data["intercept"], dtype=np.float64),
                str(data["fitted_on"]),
                str(data["features"]) if "features" in data.files else "minilm",
            )
    except (OSError, ValueError, KeyError):
        return None
