"""Shared types of the ad classifiers: ads in, predictions out, one ``Classifier`` protocol.

The service (``adlens.adclass.service``) reads ads from the database, calls a classifier in batches and
stores each :class:`Prediction` keyed by ``(ad, keyword, classifier.version)``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

MAX_AD_CHARS = 4000
TRUNCATION_NOTE = f"body truncated to {MAX_AD_CHARS} chars"
EMPTY_NOTE = "ad has no text"

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Ad:
    """One stored ad (the seed's ``meta_ads`` row); every text field may be empty."""

    ad_id: str
    body_text: str = ""
    page_name: str = ""
    title: str = ""
    description: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Prediction:
    """A classifier's answer for one ad and one keyword."""

    ad_id: str
    is_relevant: bool
    theme: str
    confidence: float
    relevance_prob: float
    theme_probs: dict[str, float]
    backend: str
    evidence: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "ad_id": self.ad_id,
            "is_relevant": self.is_relevant,
            "theme": self.theme,
            "confidence": self.confidence,
            "relevance_prob": self.relevance_prob,
            "theme_probs": dict(self.theme_probs),
            "backend": self.backend,
            "evidence": list(self.evidence),
            "notes": list(self.notes),
        }


@dataclass
class BrandProfile:
    """What a brand keyword looks like in text: names, handles and products (see ``brand.profile_for``)."""

    keyword: str
    aliases: list[str] = field(default_factory=list)
    handles: list[str] = field(default_factory=list)
    products: list[str] = field(default_factory=list)
    description: str = ""
    negatives: list[str] = field(default_factory=list)  # coincidental phrases: "big apple", "apple pie"


@dataclass(frozen=True)
class AdText:
    """The text a classifier reads for one ad, with the notes about how it was prepared."""

    body: str  # title + body + description, truncated
    page_name: str
    notes: tuple[str, ...]

    @property
    def empty(self) -> bool:
        return not self.body.strip() and not self.page_name.strip()

    @property
    def full(self) -> str:
        """Page name and body as one string (what embedders see)."""
        return f"{self.page_name}: {self.body}" if self.page_name.strip() else self.body


def ad_text(ad: Ad, max_chars: int = MAX_AD_CHARS) -> AdText:
    """Join title, body and description (non-strings count as empty) and truncate to ``max_chars``."""

    def clean(value: Any) -> str:
        return " ".join(value.split()) if isinstance(value, str) else ""

    parts = [clean(ad.title), clean(ad.body_text), clean(ad.description)]
    seen: list[str] = []
    for part in parts:
        if part and part not in seen:
            seen.append(part)
    body = " \n".join(seen)
    notes: list[str] = []
    if len(body) > max_chars:
        body = body[:max_chars]
        notes.append(f"body truncated to {max_chars} chars")
    page = clean(ad.page_name)[:200]
    if not body.strip() and not page:
        notes.append(EMPTY_NOTE)
    return AdText(body=body, page_name=page, notes=tuple(notes))


@runtime_checkable
class Classifier(Protocol):
    """Relevance + theme for a batch of ads and one brand keyword."""

    name: str
    version: str

    def classify(
        self,
        keyword: str,
        ads: Sequence[Ad],
        brand: BrandProfile | None = None,
        progress: Progress | None = None,
    ) -> list[Prediction]: ...


__all__ = [
    "EMPTY_NOTE",
    "MAX_AD_CHARS",
    "TRUNCATION_NOTE",
    "Ad",
    "AdText",
    "BrandProfile",
    "Classifier",
    "Prediction",
    "Progress",
    "ad_text",
]
