"""The data the contextual scorer reads and returns: documents, images, categories, flags, knobs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = [
    "CategoryScore",
    "Classification",
    "Document",
    "ImageEvidence",
    "SafetyFlag",
    "ScoringParams",
]


@dataclass
class ImageEvidence:
    url: str
    alt: str = ""
    concepts: list[str] = field(default_factory=list)
    ocr_text: str = ""
    text_vector: np.ndarray | None = None
    area: int = 0


@dataclass
class Document:
    url: str
    title: str = ""
    description: str = ""
    headings: list[str] = field(default_factory=list)
    text: str = ""
    language: str | None = None
    meta_keywords: list[str] = field(default_factory=list)
    images: list[ImageEvidence] = field(default_factory=list)
    truncated: bool = False


@dataclass
class CategoryScore:
    id: str
    name: str
    tier: int
    path: list[str]
    confidence: float
    score: float
    evidence: dict[str, Any] = field(default_factory=dict)  # {"phrases": [...], "images": [urls]}


@dataclass
class SafetyFlag:
    category: str
    risk: str  # none | low | medium | high
    score: float
    evidence: list[str] = field(default_factory=list)


@dataclass
class Classification:
    taxonomy: str
    categories: list[CategoryScore]
    keywords: list[str]
    brand_safety: dict[str, Any]  # {"risk_level": str, "flags": [SafetyFlag, ...]}
    low_confidence: bool = False
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ScoringParams:
    """Knobs of the scorer; defaults chosen on the dev corpora (see eval/contextual.py)."""

    title_weight: float = 0.35
    full_weight: float = 0.4
    chunk_weight: float = 0.25
    top_chunks: int = 3
    alpha: float = 0.3  # tier-1: own similarity vs best descendant
    lexical_bonus: float = 0.02
    image_weight: float = 0.15
    chunk_words: int = 120
    max_chunks: int = 12
    child_temperature: float = 0.03
    # tier-1 subtrees left to brand safety rather than topical ranking ("Sensitive Topics")
    exclude_roots: tuple[str, ...] = ("v9i3On",)
    exemplar_weight: float = 0.5  # tier-1: weight of the example-sentence prototypes
    exemplar_top: int = 2
    head_weight: float = 0.0  # tier-1: weight of log P from the linear head (0 = prototypes only)
