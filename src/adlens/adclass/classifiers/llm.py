"""The ``llm`` classifier: a few-shot completion prompt, output constrained by a JSON Schema.

All fixed text (task, theme descriptions, worked examples) comes first, so every prompt shares one long
prefix that llama.cpp keeps in its slot cache; only ``Brand/Text/JSON`` differs per ad. ``theme`` is an
enum of the theme names and ``is_relevant`` a boolean, so the answer is always valid. A batch that runs
past the timeout (or fails in the engine) is answered by the ``fast`` fallback, with a note saying so.
The base model gives no probabilities: ``confidence`` is the backend's measured dev accuracy.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

from adlens.adclass.classifiers.base import Ad, BrandProfile, Classifier, Prediction, Progress, ad_text
from adlens.adclass.classifiers.themes import UNRELATED, ThemeSet
from adlens.errors import UpstreamError, UpstreamTimeout

PROMPT_AD_CHARS = 700  # the per-slot context of the packaged model is 1,024 tokens
BATCH = 8
# used as confidence: the packaged 270M model's dev accuracy in eval/adclass.py (right on 12 of the 24
# least-confident dev items, 2026-11-23); replace with the dev figure of your model
DEFAULT_ACCURACY = 0.5

# worked examples written by the adlens team: (brand, text, is_relevant, theme)
FEW_SHOT: tuple[tuple[str, str, bool, str], ...] = (
    (
        "Apple",
        "Wait for it.. The Big Apple is beautiful at night, walking through Times Square",
        False,
        UNRELATED,
    ),
    ("Nike", "New Air Max 90 in stock now, $120 with free returns. Shop today.", True, "Product Promotion"),
    ("Starbucks", "Reports: Starbucks to close 400 stores as sales fall for a second quarter", True, "News"),
    (
        "Toyota",
        "For sixty years we have built cars for the roads of your life. Let's go places.",
        True,
        "Brand Awareness",
    ),
    ("Pepsi", "Affordable family dentistry, same day appointments", False, UNRELATED),
    (
        "Samsung",
        "just got the new galaxy and honestly it's the best phone i've ever owned!!",
        True,
        "Fan Content",
    ),
    ("Google", "me googling how to fix my code vs me asking google maps where I parked lol", True, "Meme"),
    (
        "Ford",
        "Drove my old Ford to my sister's place this weekend, long trip but worth it",
        True,
        "Personal Post",
    ),
    ("Apple", "Apple opens a temporary store downtown for the iPad 2 launch {link}", True, "News"),
)


def llm_schema(themes: ThemeSet) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {
            "is_relevant": {"type": "boolean"},
            "theme": {"type": "string", "enum": themes.names},
        },
        "required": ["is_relevant", "theme"],
        "additionalProperties": False,
    }


def prompt_prefix(themes: ThemeSet) -> str:
    """The fixed head shared by every prompt (task, themes, worked examples)."""
    lines = [
        "Decide whether each ad or post is about the brand (is_relevant) and give its theme.",
        "A text that only shares a word with the brand by coincidence is not relevant; its theme is "
        f"{themes.fallback}.",
        "Themes:",
    ]
    lines += [f"- {t.name}: {t.description}" for t in themes.themes]
    lines.append("")
    for brand, text, relevant, theme in FEW_SHOT:
        if theme not in themes:
            continue
        answer = json.dumps({"is_relevant": relevant, "theme": theme})
        lines += [f"Brand: {brand}", f"Text: {text}", f"JSON: {answer}", ""]
    return "\n".join(lines)


class LlmClassifier:
    """Relevance and theme from a language model behind the llm seam."""

    name = "llm"

    def __init__(
        self,
        model: Any,
        themes: ThemeSet | None = None,
        fallback: Classifier | None = None,
        *,
        timeout: float = 60.0,
        batch: int = BATCH,
        accuracy: float = DEFAULT_ACCURACY,
    ) -> None:
        self.model = model
        self.themes = themes or ThemeSet.default()
        self.fallback = fallback
        self.timeout, self.batch, self.accuracy = timeout, max(1, batch), accuracy
        self.schema = llm_schema(self.themes)
        self.prefix = prompt_prefix(self.themes)
        info = {}
        try:
            info = model.info()
        except Exception:
            info = {}
        key = f"{info.get('model')}|{self.prefix}|{PROMPT_AD_CHARS}|llm-1"
        self.version = "llm-" + hashlib.sha256(key.encode()).hexdigest()[:10]

    @classmethod
    def from_runtime(
        cls, runtime: Any, themes: ThemeSet, fallback: Classifier | None = None
    ) -> LlmClassifier:
        """Load the runtime's llm now (``Unavailable`` when it cannot be loaded)."""
        model = runtime.llm
        load = getattr(model, "load", None)
        if callable(load):
            load()
        return cls(model, themes, fallback, timeout=float(runtime.settings.llm_timeout_s))

    def prompt(self, keyword: str, text: str) -> str:
        text = " ".join(text.split())[:PROMPT_AD_CHARS]
        return f"{self.prefix}Brand: {keyword}\nText: {text}\nJSON:"

    def classify(
        self,
        keyword: str,
        ads: Sequence[Ad],
        brand: BrandProfile | None = None,
        progress: Progress | None = None,
    ) -> list[Prediction]:
        out: list[Prediction] = []
        for start in range(0, len(ads), self.batch):
            chunk = list(ads[start : start + self.batch])
            out.extend(self._classify_chunk(keyword, chunk, brand))
            if progress is not None:
                progress(len(out), len(ads))
        return out

    def _classify_chunk(self, keyword: str, ads: list[Ad], brand: BrandProfile | None) -> list[Prediction]:
        texts = [ad_text(ad) for ad in ads]
        todo = [i for i, t in enumerate(texts) if not t.empty]
        results: dict[int, Prediction] = {}
        for i, t in enumerate(texts):
            if t.empty:
                results[i] = self._answer(ads[i].ad_id, False, self.themes.fallback, list(t.notes))
        if todo:
            prompts = [self.prompt(keyword, texts[i].full) for i in todo]
            try:
                answers = self.model.generate_json_many(
                    prompts, self.schema, max_tokens=24, timeout=self.timeout
                )
            except (UpstreamTimeout, UpstreamError) as exc:
                return self._fall_back(keyword, ads, brand, exc, results)
            for i, answer in zip(todo, answers, strict=True):
                notes = list(texts[i].notes)
                if len(texts[i].full) > PROMPT_AD_CHARS:
                    notes.append(f"llm read the first {PROMPT_AD_CHARS} chars")
                results[i] = self._answer(
                    ads[i].ad_id, bool(answer["is_relevant"]), str(answer["theme"]), notes
                )
        return [results[i] for i in range(len(ads))]

    def _answer(self, ad_id: str, relevant: bool, theme: str, notes: list[str]) -> Prediction:
        fallback = self.themes.fallback
        if theme == fallback and relevant and fallback == UNRELATED:
            relevant = False
            notes.append("llm said relevant with theme Unrelated; kept Unrelated")
        if not relevant and fallback == UNRELATED:
            theme = fallback
        acc = self.accuracy
        others = (1.0 - acc) / max(1, len(self.themes.names) - 1)
        probs = {n: round(acc if n == theme else others, 4) for n in self.themes.names}
        return Prediction(
            ad_id=ad_id,
            is_relevant=relevant,
            theme=theme,
            confidence=round(acc, 4),
            relevance_prob=round(acc if relevant else 1.0 - acc, 4),
            theme_probs=probs,
            backend="llm",
            evidence=[],
            notes=notes,
        )

    def _fall_back(
        self,
        keyword: str,
        ads: list[Ad],
        brand: BrandProfile | None,
        exc: Exception,
        done: dict[int, Prediction],
    ) -> list[Prediction]:
        kind = "timed out" if isinstance(exc, UpstreamTimeout) else "failed"
        note = f"llm {kind} ({exc}); answered by fast"
        if self.fallback is None:
            raise exc
        preds = self.fallback.classify(keyword, ads, brand)
        for p in preds:
            p.notes.append(note)
        return preds


__all__ = ["FEW_SHOT", "LlmClassifier", "llm_schema", "prompt_prefix"]
