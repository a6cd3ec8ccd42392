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
from adlens.adclass.classifiers.lexical import Lexical, decode_floats, encode_floats
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
    """Multinomial logistic regression on embeddings with a temperature fitted on held-out data.

    Optionally also on the style cues of :mod:`.style` and on a TF-IDF view of the text
    (:mod:`.lexical`); both need the texts next to their embeddings.
    """

    kind = "linear"

    def __init__(
        self,
        classes: list[str],
        coef: np.ndarray,
        intercept: np.ndarray,
        temperature: float,
        meta: dict[str, Any],
        lexical: Lexical | None = None,
        lex_coef: np.ndarray | None = None,
    ):
        self.classes = list(classes)
        self.lexical = lexical
        self.lex_coef = None if lex_coef is None else np.asarray(lex_coef, dtype=np.float32)
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
        out = self.inputs(vectors, texts) @ self.coef.T + self.intercept
        if self.lexical is not None and self.lex_coef is not None:
            if texts is None:
                raise InvalidInput("this theme head needs the texts as well as their embeddings")
            out = out + np.asarray(self.lexical.transform(list(texts)) @ self.lex_coef.T)
        return np.asarray(out, dtype=np.float32)

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
        style: bool | None = None,
        lexical: bool = False,
    ) -> LinearHead:
        """Fit on ``vectors``/``labels``; fit the temperature on ``calib`` (a dev split) if given.

        With ``texts`` the head also reads the style cues of :mod:`.style` (unless ``style`` is false)
        and, with ``lexical``, a TF-IDF view fitted on ``texts``; then ``calib_texts`` are needed too.
        """
        from scipy.sparse import csr_matrix, hstack
        from sklearn.linear_model import LogisticRegression

        unknown = sorted(set(labels) - set(classes))
        if unknown:
            raise InvalidInput(f"labels not in the theme set: {unknown[:3]}")
        present = [c_ for c_ in classes if c_ in set(labels)]
        if len(present) < 2:
            raise InvalidInput("training a theme head needs examples of at least two themes")
        y = np.array([present.index(label) for label in labels])
        model = LogisticRegression(C=c, max_iter=3000, random_state=seed)
        style = texts is not None if style is None else style
        if (style or lexical) and texts is None:
            raise InvalidInput("style cues and lexical features need the training texts")
        x = np.asarray(vectors, dtype=np.float32)
        if style and texts is not None:
            x = np.hstack([x, style_features(texts)])
        lex = Lexical.fit(texts) if lexical and texts is not None else None
        if lex is not None and texts is not None:
            model.fit(hstack([csr_matrix(x), lex.transform(list(texts))]).tocsr(), y)
        else:
            model.fit(x, y)
        dense = x.shape[1]
        # themes without examples get a very low logit so they are never predicted
        coef = np.zeros((len(classes), dense), dtype=np.float32)
        lex_coef = np.zeros((len(classes), lex.size), dtype=np.float32) if lex is not None else None
        intercept = np.full(len(classes), -30.0, dtype=np.float32)
        for i, name in enumerate(present):
            coef[classes.index(name)] = model.coef_[i][:dense]
            if lex_coef is not None:
                lex_coef[classes.index(name)] = model.coef_[i][dense:]
            intercept[classes.index(name)] = model.intercept_[i]
        meta = {"n_train": len(labels), "C": c, "style": style, "lexical": lex is not None}
        head = cls(classes, coef, intercept, 1.0, meta, lex, lex_coef)
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
        if self.lexical is not None and self.lex_coef is not None:
            payload["lexical"] = {**self.lexical.to_dict(), "coef": encode_floats(self.lex_coef)}
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

    @staticmethod
    def matches(path: Path, themes: ThemeSet) -> bool:
        """Whether the head file at ``path`` was trained for exactly the themes of ``themes``."""
        try:
            payload = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return True  # let ``load`` report the unreadable file
        return not isinstance(payload, dict) or payload.get("classes") == head_themes(themes)

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
        lex, lex_coef = None, None
        if isinstance(payload.get("lexical"), dict):
            lex = Lexical.from_dict(payload["lexical"])
            lex_coef = decode_floats(payload["lexical"]["coef"], (len(payload["classes"]), lex.size))
        return cls(
            payload["classes"],
            np.array(payload["coef"]),
            np.array(payload["intercept"]),
            payload["temperature"],
            payload["meta"],
            lex,
            lex_coef,
        )


__all__ = ["HEAD_FORMAT", "LinearHead", "PrototypeHead", "head_themes"]
