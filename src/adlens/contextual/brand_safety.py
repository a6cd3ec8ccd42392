"""Brand safety: 12 GARM-style risk categories with a risk level and the evidence behind it.

Each category is aligned with an IAB Content Taxonomy 2.2/3.x "Sensitive Topics" node (IDs are the
same in 2.2, 3.0 and 3.1; drugs and tobacco share IAB's one node ``pg0WhF``). Evidence is of two
kinds: lexicon terms found in the text (strong terms count 1, weak terms 0.5) and the embedding
similarity of the text's chunks to short descriptions of the category. The combined score maps to
a risk level (none / low / medium / high); embedding similarity alone can reach "low" at most.

Context: reporting *about* crime, death, terrorism, arms or drugs (news markers such as "police
said", "was sentenced", "according to officials") lowers the risk one level; fiction and reviews
("the novel", "the film", "thriller") lower it one level and drop a low flag; commerce or
how-to markers ("for sale", "order now", "how to make") raise it one level for arms, drugs, tobacco
and piracy. Adult, obscenity, hate and spam content is judged on its own words, not its framing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml

LEXICON_FILE = Path(__file__).parent / "data" / "brand-safety.yaml"

__all__ = ["CATEGORIES", "RISK_LEVELS", "BrandSafety", "SafetyCategory", "risk_from_score"]

RISK_LEVELS = ("none", "low", "medium", "high")


@dataclass(frozen=True)
class SafetyCategory:
    """One brand-safety category: lexicon, descriptions and its IAB Sensitive Topics node."""

    key: str
    name: str
    iab_id: str
    iab_name: str
    strong: tuple[str, ...]
    weak: tuple[str, ...]
    descriptions: tuple[str, ...]


def _load_lexicon(
    path: Path = LEXICON_FILE,
) -> tuple[list[SafetyCategory], list[str], list[str], list[str]]:
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    cats = [
        SafetyCategory(
            key,
            c["name"],
            str(c["iab_id"]),
            c["iab_name"],
            tuple(c["strong"]),
            tuple(c.get("weak") or ()),
            tuple(c["descriptions"]),
        )
        for key, c in doc["categories"].items()
    ]
    return (
        cats,
        list(doc["news_markers"]),
        list(doc["commerce_markers"]),
        list(doc.get("fiction_markers") or ()),
    )


CATEGORIES, NEWS_MARKERS, COMMERCE_MARKERS, FICTION_MARKERS = _load_lexicon()
_THRESHOLDS = ((0.7, "high"), (0.45, "medium"), (0.2, "low"))
_EMB_LO, _EMB_HI = 0.30, 0.60
_CONTEXTUAL = {"arms", "crime", "death_injury", "drugs", "terrorism", "tobacco", "sensitive_social_issues"}
_COMMERCIAL = {"arms", "drugs", "tobacco", "piracy"}
_MIN_WORDS = 50.0  # density of shorter texts is counted per 50 words (chosen on the labelled dev half)


def risk_from_score(score: float) -> str:
    for threshold, level in _THRESHOLDS:
        if score >= threshold:
            return level
    return "none"


def _shift(level: str, by: int) -> str:
    i = RISK_LEVELS.index(level)
    if i == 0:
        return level
    return RISK_LEVELS[max(1, min(3, i + by))]


def _compile(terms: Sequence[str]) -> re.Pattern[str]:
    alts = "|".join(
        re.escape(t.lower()).replace(r"\ ", r"[\s\-]+") for t in sorted(terms, key=len, reverse=True)
    )
    return re.compile(r"(?<![\w])(?:" + alts + r")(?:s|es|ed|ing)?(?![\w])")


@dataclass
class _Compiled:
    cat: SafetyCategory
    strong: re.Pattern[str]
    weak: re.Pattern[str] | None


class BrandSafety:
    """Assesses documents (or plain texts) for the 12 categories; ``embedder`` optional."""

    def __init__(self, embedder: Any = None, *, cache_dir: Path | None = None) -> None:
        self.embedder = embedder
        self._compiled = [
            _Compiled(c, _compile(c.strong), _compile(c.weak) if c.weak else None) for c in CATEGORIES
        ]
        self._news = _compile(NEWS_MARKERS)
        self._commerce = _compile(COMMERCE_MARKERS)
        self._fiction = _compile(FICTION_MARKERS) if FICTION_MARKERS else None
        self._protos: np.ndarray | None = None
        self._proto_owner: np.ndarray | None = None

    def _prototypes(self) -> tuple[np.ndarray, np.ndarray]:
        if self._protos is None or self._proto_owner is None:
            texts, owner = [], []
            for i, c in enumerate(CATEGORIES):
                for d in c.descriptions:
                    texts.append(d)
                    owner.append(i)
            self._protos = np.asarray(self.embedder.embed(texts), dtype=np.float32)
            self._proto_owner = np.array(owner)
        return self._protos, self._proto_owner

    def _embedding_scores(
        self, texts: Sequence[str], text_vectors: Sequence[np.ndarray] | None = None
    ) -> np.ndarray:
        """(n_texts, n_categories) max similarity of any chunk to any category description.

        ``text_vectors[d]`` (already embedded chunks of text ``d``, e.g. the scorer's) are used
        instead of embedding the text again."""
        out = np.zeros((len(texts), len(CATEGORIES)))
        if self.embedder is None or not texts:
            return out
        from adlens.contextual.scoring import chunk_text

        protos, owner = self._prototypes()
        doc_of: list[int] = []
        if text_vectors is not None and len(text_vectors) == len(texts):
            vecs = [np.asarray(v, dtype=np.float32).reshape(-1, protos.shape[1]) for v in text_vectors]
            for d, v in enumerate(vecs):
                doc_of.extend([d] * len(v))
            stacked = np.vstack(vecs) if doc_of else np.zeros((0, protos.shape[1]), dtype=np.float32)
        else:
            chunks = []
            for d, t in enumerate(texts):
                for ch in chunk_text(t, 80, 8) or [t[:500]]:
                    chunks.append(ch)
                    doc_of.append(d)
            stacked = np.asarray(self.embedder.embed(chunks), dtype=np.float32)
        if not doc_of:
            return out
        sims = stacked @ protos.T
        doc_arr = np.array(doc_of)
        for c in range(len(CATEGORIES)):
            cat_sims = sims[:, owner == c].max(axis=1)
            for d in range(len(texts)):
                mask = doc_arr == d
                if mask.any():
                    out[d, c] = float(cat_sims[mask].max())
        return out

    def assess_text(self, text: str) -> dict[str, Any]:
        return self.assess_many_texts([text])[0]

    def assess_many(
        self,
        docs: Sequence[Any],
        prepared_texts: Sequence[str] | None = None,
        text_vectors: Sequence[np.ndarray] | None = None,
    ) -> list[dict[str, Any]]:
        """Brand-safety results for documents (``prepared_texts``/``text_vectors`` when given)."""
        texts = (
            list(prepared_texts)
            if prepared_texts is not None
            else [
                " ".join(t for t in (d.title, d.description, " ".join(d.headings), d.text) if t) for d in docs
            ]
        )
        return self.assess_many_texts(texts, text_vectors)

    def assess_many_texts(
        self, texts: Sequence[str], text_vectors: Sequence[np.ndarray] | None = None
    ) -> list[dict[str, Any]]:
        from adlens.contextual.scoring import SafetyFlag

        emb = self._embedding_scores([t[:20_000] for t in texts], text_vectors)
        results = []
        for d, text in enumerate(texts):
            lowered = text.lower()
            words = max(1, len(lowered.split()))
            news = len(set(m.group(0) for m in self._news.finditer(lowered))) >= 2
            commerce = len(set(m.group(0) for m in self._commerce.finditer(lowered))) >= 1
            fiction = bool(self._fiction and self._fiction.search(lowered))
            flags = []
            for c, comp in enumerate(self._compiled):
                strong = [m.group(0) for m in comp.strong.finditer(lowered)]
                weak = [m.group(0) for m in comp.weak.finditer(lowered)] if comp.weak else []
                hits = len(strong) + 0.5 * len(weak)
                density = hits / max(_MIN_WORDS / 100.0, words / 100.0)  # hits per 100 words
                lex = 1.0 - float(np.exp(-hits * (1.0 + min(2.0, density / 3.0)) / 3.0))
                e = float(np.clip((emb[d, c] - _EMB_LO) / (_EMB_HI - _EMB_LO), 0.0, 1.0))
                score = 0.7 * lex + 0.3 * e if hits else min(0.3 * e + 0.1 * e, 0.44)
                if hits and not strong:  # weak words only: at most medium
                    score = min(score, 0.69)
                level = risk_from_score(score)
                key = comp.cat.key
                if level == "low" and fiction and key in _CONTEXTUAL:
                    level = "none"  # a crime novel, a war film, a game: low evidence is the story
                elif level != "none" and (news or fiction) and key in _CONTEXTUAL:
                    level = _shift(level, -1)
                elif level != "none" and commerce and key in _COMMERCIAL and strong:
                    level = _shift(level, +1)
                if level == "none":
                    continue
                evidence = list(dict.fromkeys(strong + weak))[:8]
                if not evidence:
                    evidence = [f"similar to: {comp.cat.descriptions[0][:80]}"]
                flags.append(SafetyFlag(comp.cat.name, level, round(score, 4), evidence))
            flags.sort(key=lambda f: (-RISK_LEVELS.index(f.risk), -f.score))
            overall = flags[0].risk if flags else "none"
            results.append(
                {
                    "risk_level": overall,
                    "flags": flags,
                    "context": "news" if news else "general",
                    "iab": {f.category: _iab_of(f.category) for f in flags},
                }
            )
        return results


def _iab_of(name: str) -> str:
    for c in CATEGORIES:
        if c.name == name:
            return c.iab_id
    return ""
