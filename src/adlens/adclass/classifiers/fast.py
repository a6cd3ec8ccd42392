"""The default ``fast`` classifier: evidence + embedding similarity for relevance, a head for themes."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from adlens.adclass.classifiers.base import Ad, AdText, BrandProfile, Prediction, Progress, ad_text
from adlens.adclass.classifiers.brand import profile_for, profile_text
from adlens.adclass.classifiers.evidence import find_evidence
from adlens.adclass.classifiers.head import LinearHead, PrototypeHead, head_themes
from adlens.adclass.classifiers.relevance import RelevanceModel, features
from adlens.adclass.classifiers.themes import ThemeSet
from adlens.adclass.classifiers.views import ViewSource, view_inputs
from adlens.embed.mpnet import mpnet_available
from adlens.errors import InvalidInput, Unavailable

EMBED_CHARS = 1200  # MiniLM reads 256 tokens; more text only costs tokenisation time


class FastClassifier:
    """Relevance from explicit evidence and similarity to the brand profile; theme from a linear head
    (or zero-shot prototypes when no trained head is available)."""

    name = "fast"

    def __init__(
        self,
        embedder: Any,
        themes: ThemeSet | None = None,
        head_path: Path | None = None,
        relevance: RelevanceModel | None = None,
        head: LinearHead | PrototypeHead | None = None,
        second_view: ViewSource | None = None,
    ) -> None:
        """``second_view`` supplies the mpnet embedder for a head trained on ``minilm+mpnet``
        (:mod:`.views`); a head trained on MiniLM alone never calls it."""
        self.embedder = embedder
        self.second_view = second_view
        self.themes = themes or ThemeSet.default()
        self.relevance = relevance or RelevanceModel.shipped()
        if head is not None:
            self.head: LinearHead | PrototypeHead = head
        elif head_path is not None and Path(head_path).is_file():
            self.head = LinearHead.load(Path(head_path), self.themes)
        else:
            self.head = packaged_head(self.themes) or PrototypeHead(self.themes, embedder)
        if self.view != "minilm" and (self.second_view is None or not mpnet_available()):
            # fail when the classifier is built (health then reports no model), not on every ad
            raise Unavailable(
                f"the theme head was trained on the {self.view} view, which needs the mpnet part wheels "
                "(./scripts/install.sh --mpnet) and a second-view source; retrain the head or install them"
            )
        self._profiles: dict[str, np.ndarray] = {}
        key = f"{self.themes.version}|{self.head.version}|{self.relevance.version}|fast-1"
        self.version = "fast-" + hashlib.sha256(key.encode()).hexdigest()[:10]

    def _profile_vector(self, profile: BrandProfile) -> np.ndarray:
        text = profile_text(profile)
        if text not in self._profiles:
            self._profiles[text] = np.asarray(self.embedder.embed([text])[0], dtype=np.float32)
        return self._profiles[text]

    def analyse(self, keyword: str, ads: Sequence[Ad], brand: BrandProfile | None = None) -> dict[str, Any]:
        """Texts, evidence, feature matrix, relevance and theme probabilities (the eval reads these)."""
        profile = brand or profile_for(keyword)
        texts = [ad_text(ad) for ad in ads]
        vecs = self._embed(texts)
        sims = vecs @ self._profile_vector(profile) if len(texts) else np.zeros(0)
        evidence = [find_evidence(profile, t.body, t.page_name) for t in texts]
        x = (
            np.stack([features(ev, float(s), profile.keyword) for ev, s in zip(evidence, sims, strict=True)])
            if texts
            else np.zeros((0, 1))
        )
        rel = self.relevance.proba(x) if texts else np.zeros(0)
        theme = (
            self.head.predict_proba(self._head_inputs(vecs, texts), [t.full for t in texts])
            if texts
            else np.zeros((0, 1))
        )
        return {
            "profile": profile,
            "texts": texts,
            "vectors": vecs,
            "similarity": sims,
            "evidence": evidence,
            "x": x,
            "relevance": rel,
            "theme": theme,
        }

    def classify(
        self,
        keyword: str,
        ads: Sequence[Ad],
        brand: BrandProfile | None = None,
        progress: Progress | None = None,
    ) -> list[Prediction]:
        out = self.analyse(keyword, ads, brand)
        preds = [
            self._predict(ad, text, float(p), probs, ev.reasons)
            for ad, text, p, probs, ev in zip(
                ads, out["texts"], out["relevance"], out["theme"], out["evidence"], strict=True
            )
        ]
        if progress is not None:
            progress(len(ads), len(ads))
        return preds

    @property
    def view(self) -> str:
        """The text view the theme head reads (:mod:`.views`)."""
        return str(self.head.meta.get("view", "minilm")) if isinstance(self.head, LinearHead) else "minilm"

    def _head_inputs(self, vecs: np.ndarray, texts: list[AdText]) -> np.ndarray:
        return view_inputs(self.view, vecs, _content(texts), self.second_view)

    def _embed(self, texts: list[AdText]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        return np.asarray(self.embedder.embed(_content(texts)), dtype=np.float32)

    def _predict(
        self, ad: Ad, text: AdText, p_rel: float, head_probs: np.ndarray, reasons: list[str]
    ) -> Prediction:
        notes = list(text.notes)
        if text.empty:
            p_rel = 0.0
        return combine(
            ad.ad_id,
            p_rel,
            head_probs,
            self.head.classes,
            self.themes,
            self.relevance.threshold,
            "fast",
            reasons,
            notes,
        )


def _content(texts: list[AdText]) -> list[str]:
    return [t.full[:EMBED_CHARS] if not t.empty else "(empty)" for t in texts]


def packaged_head(themes: ThemeSet) -> LinearHead | None:
    """The head shipped in package data, if it was trained for exactly these themes."""
    try:
        ref = resources.files("adlens.adclass").joinpath("data/theme_head.json")
        with resources.as_file(ref) as path:
            if not path.is_file():
                return None
            return LinearHead.load(path, themes)
    except (InvalidInput, OSError):
        return None


def combine(
    ad_id: str,
    p_rel: float,
    head_probs: np.ndarray,
    classes: list[str],
    themes: ThemeSet,
    threshold: float,
    backend: str,
    evidence: list[str],
    notes: list[str],
) -> Prediction:
    """Mix relevance and head probabilities into one consistent prediction.

    ``P(Unrelated) = 1 - p_rel`` and ``P(t) = p_rel * head(t)`` for the other themes; an irrelevant ad's
    theme is ``Unrelated``, a relevant ad's theme the best other theme; ``confidence`` is the mixed
    probability of the answer given (both parts right).
    """
    fallback = themes.fallback
    probs = {name: 0.0 for name in themes.names}
    split = fallback not in classes
    for name, p in zip(classes, head_probs, strict=True):
        probs[name] = float(p) * (p_rel if split else 1.0)
    if split:
        probs[fallback] = 1.0 - p_rel
    relevant = p_rel >= threshold
    theme = fallback if split and not relevant else max(classes, key=lambda n: probs[n])
    # with a split, probs already mix relevance in; otherwise multiply by the relevance decision's odds
    conf = probs[theme] if split else max(p_rel, 1.0 - p_rel) * probs[theme]
    return Prediction(
        ad_id=ad_id,
        is_relevant=bool(relevant),
        theme=theme,
        confidence=round(float(conf), 4),
        relevance_prob=round(float(p_rel), 4),
        theme_probs={k: round(v, 4) for k, v in probs.items()},
        backend=backend,
        evidence=list(evidence),
        notes=notes,
    )


__all__ = ["FastClassifier", "combine", "head_themes"]
