"""Theme heads on text embeddings: zero-shot prototypes and a trained, temperature-calibrated linear head."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from adlens.adclass.classifiers.calibration import fit_temperature, softmax
from adlens.adclass.classifiers.style import style_features
from adlens.adclass.classifiers.themes import UNRELATED, ThemeSet
from adlens.errors import InvalidInput

HEAD_FORMAT = 1


def head_themes(themes: ThemeSet) -> list[str]:
    """Themes a head chooses between: all but ``Unrelated`` (which comes from relevance) when present."""
    names = themes.names
    return [n for n in names if n != UNRELATED] if UNRELATED in names and len(names) > 1 else names


class PrototypeHead:
    """Zero-shot: cosine similarity to each theme's mean embedding (description + examples)."""

    kind = "prototypes"

    def __init__(self, themes: ThemeSet, embedder: Any, temperature: float = 0.05) -> None:
        self.classes = head_themes(themes)
        texts, owner = [], []
        for name in self.classes:
            for text in themes.get(name).prototype_texts():
                texts.append(text)
                owner.append(name)
        vecs = np.asarray(embedder.embed(texts), dtype=np.float32)
        protos = np.stack([vecs[[i for i, o in enumerate(owner) if o == n]].mean(0) for n in self.classes])
        self.prototypes = protos / np.linalg.norm(protos, axis=1, keepdims=True)
        self.temperature = temperature
        self.version = f"proto-{themes.version}-t{temperature:g}"

    def logits(self, vectors: np.ndarray, texts: Sequence[str] | None = None) -> np.ndarray:
        return np.asarray(vectors, dtype=np.float32) @ self.prototypes.T

    def predict_proba(self, vectors: np.ndarray, texts: Sequence[str] | None = None) -> np.ndarray:
        return softmax(self.logits(vectors) / self.temperature)


class LinearHead:
    """Multinomial logistic regression on embeddings with a temperature fitted on held-out data."""

    kind = "linear"

    def __init__(
        self,
        classes: list[str],
        coef: np.ndarray,
        intercept: np.ndarray,
        temperature: float,
        meta: dict[str, Any],
    ):
        self.classes = list(classes)
        self.coef = np.asarray(coef, dtype=np.float32)
        self.intercept = np.asarray(intercept, dtype=np.float32)
        self.temperature = float(temperature)
        self.meta = dict(meta)
        self.version = f"head-{self.meta.get('digest', 'unsaved')}"

    @property
    def style(self) -> bool:
        return bool(self.meta.get("style", False))

    def inputs(self, vectors: np.ndarray, texts: Sequence[str] | None) -> np.ndarray:
        """Embeddings, plus the style cues of ``texts`` when the head was trained with them."""
        x = np.asarray(vectors, dtype=np.float32)
        if not self.style:
            return x
        if texts is None:
            raise InvalidInput("this theme head needs the texts as well as their embeddings")
        return np.hstack([x, style_features(texts)])

    def logits(self, vectors: np.ndarray, texts: Sequence[str] | None = None) -> np.ndarray:
        return self.inputs(vectors, texts) @ self.coef.T + self.intercept

    def predict_proba(self, vectors: np.ndarray, texts: Sequence[str] | None = None) -> np.ndarray:
        return softmax(self.logits(vectors, texts) / self.temperature)

    @classmethod
    def fit(
        cls,
        vectors: np.ndarray,
        labels: list[str],
        classes: list[str],
        *,
        c: float = 4.0,
        calib: tuple[np.ndarray, list[str]] | None = None,
        seed: int = 0,
        texts: Sequence[str] | None = None,
        calib_texts: Sequence[str] | None = None,
    ) -> LinearHead:
        """Fit on ``vectors``/``labels``; fit the temperature on ``calib`` (a dev split) if given.

        With ``texts`` the head also reads the style cues of :mod:`.style` (then ``calib_texts`` too).
        """
        from sklearn.linear_model import LogisticRegression

        unknown = sorted(set(labels) - set(classes))
        if unknown:
            raise InvalidInput(f"labels not in the theme set: {unknown[:3]}")
        present = [c_ for c_ in classes if c_ in set(labels)]
        if len(present) < 2:
            raise InvalidInput("training a theme head needs examples of at least two themes")
        y = np.array([present.index(label) for label in labels])
        model = LogisticRegression(C=c, max_iter=2000, random_state=seed)
        style = texts is not None
        x = np.asarray(vectors, dtype=np.float32)
        if texts is not None:
            x = np.hstack([x, style_features(texts)])
        model.fit(x, y)
        # themes without examples get a very low logit so they are never predicted
        coef = np.zeros((len(classes), x.shape[1]), dtype=np.float32)
        intercept = np.full(len(classes), -30.0, dtype=np.float32)
        for i, name in enumerate(present):
            coef[classes.index(name)] = model.coef_[i]
            intercept[classes.index(name)] = model.intercept_[i]
        head = cls(classes, coef, intercept, 1.0, {"n_train": len(labels), "C": c, "style": style})
        if calib is not None and len(calib[1]) >= 10:
            cal_y = np.array([classes.index(label) for label in calib[1] if label in classes])
            cal_x = np.asarray(calib[0], dtype=np.float32)[
                [i for i, lb in enumerate(calib[1]) if lb in classes]
            ]
            keep = [i for i, lb in enumerate(calib[1]) if lb in classes]
            cal_t = [calib_texts[i] for i in keep] if calib_texts is not None else None
            head.temperature = fit_temperature(head.logits(cal_x, cal_t), cal_y)
        return head

    def save(self, path: Path, themes_version: str) -> None:
        """Write atomically as JSON (small: classes × 384 floats)."""
        payload = {
            "format": HEAD_FORMAT,
            "themes_version": themes_version,
            "classes": self.classes,
            "coef": np.round(self.coef, 6).tolist(),
            "intercept": np.round(self.intercept, 6).tolist(),
            "temperature": self.temperature,
            "meta": self.meta,
        }
        text = json.dumps(payload)
        import hashlib

        payload["meta"] = {**self.meta, "digest": hashlib.sha256(text.encode()).hexdigest()[:12]}
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".head-", suffix=".json")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(payload, handle)
        os.chmod(tmp, 0o644)  # mkstemp creates 0600; heads are shared package/data files
        os.replace(tmp, path)
        self.meta = payload["meta"]
        self.version = f"head-{self.meta['digest']}"

    @classmethod
    def load(cls, path: Path, themes: ThemeSet) -> LinearHead:
        try:
            payload = json.loads(Path(path).read_text(encoding="utf-8"))
        except OSError as exc:
            raise InvalidInput(f"cannot read theme head {path}: {exc.strerror or exc}") from exc
        except ValueError as exc:
            raise InvalidInput(f"theme head {path} is not valid JSON") from exc
        if payload.get("format") != HEAD_FORMAT:
            raise InvalidInput(f"theme head {path} has an unknown format")
        if payload.get("classes") != head_themes(themes):
            raise InvalidInput(f"theme head {path} was trained for other themes; retrain it")
        return cls(
            payload["classes"],
            np.array(payload["coef"]),
            np.array(payload["intercept"]),
            payload["temperature"],
            payload["meta"],
        )


__all__ = ["HEAD_FORMAT", "LinearHead", "PrototypeHead", "head_themes"]
