"""Scoring one query against candidate images: keyword matches, score fusion, the relevance floor.

Fusion rule (:func:`fuse_scores`, chosen on the Flickr8k dev split by ``eval/images.py``; see
docs/images.md for the figures):

* ``weighted`` (shipped, ``W_KEYWORD`` = 0.15 chosen on the dev split among 0 / 0.15 / 0.3 / 0.6 and RRF):
  ``score = semantic + W_KEYWORD * keyword + W_PHRASE * phrase`` where
  ``semantic`` is the cosine between the query and the image's fused ``text`` vector, ``keyword`` is the
  BM25 score over alt/context/OCR text divided by the best BM25 score among this query's candidates
  (per-query normalisation, in [0, 1]), and ``phrase`` is 1 when the whole semantic part (or a quoted
  phrase) appears verbatim in the alt text, title, caption, file name or OCR text;
* ``rrf``: ``score = 1/(60 + rank_semantic) + 1/(60 + rank_bm25) + W_PHRASE_RRF * phrase``.

Relevance floor (:func:`is_relevant`): raw cosines are not comparable across queries (a vague or
gibberish query is similar to everything), so the semantic cosine is first standardised against a fixed
reference gallery — the 1000 ImageNet class prompts ("a photo of a {class}") the embed seam ships:
``z = (cosine − mean_ref(q)) / std_ref(q)`` (:class:`QueryCalibrator`). An image is returned only if
``z ≥ Z_FLOOR`` (the threshold maximising TPR − FPR on Flickr8k *train* pairs; see docs/images.md) **or**
every content word of the query occurs in one of its *strong* fields (alt, title, caption, aria-label,
file name, OCR text, concepts). A query that matches nothing therefore returns nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from adlens.images.query import PEOPLE_WORDS, TEXT_WORDS, ParsedQuery
from adlens.images.schema import filename_words

FusionMethod = Literal["weighted", "rrf"]

#: Weight of the per-query normalised BM25 score in weighted fusion.
W_KEYWORD = 0.15
#: Boost for an exact phrase match in weighted fusion.
W_PHRASE = 0.15
#: Boost for an exact phrase match in RRF (one rank-1 list is 1/61 ≈ 0.016).
W_PHRASE_RRF = 0.01
RRF_K = 60
#: Floor on the query-standardised cosine ``z`` (fitted on the train split; see the module docstring).
Z_FLOOR = 3.0
#: Two scores closer than this are a tie (then the preferred format wins).
TIE_EPSILON = 0.01

STOPWORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "of",
        "and",
        "or",
        "with",
        "without",
        "in",
        "on",
        "at",
        "to",
        "for",
        "from",
        "by",
        "is",
        "are",
        "be",
        "this",
        "that",
        "these",
        "those",
        "it",
        "its",
        "as",
        "into",
        "over",
        "under",
        "some",
        "any",
        "all",
        "my",
        "our",
        "your",
        "their",
        "me",
        "i",
        "we",
        "you",
        "show",
        "find",
        "get",
        "give",
        "image",
        "images",
        "photo",
        "photos",
        "picture",
        "pictures",
        "pic",
        "pics",
        "look",
        "looking",
        "want",
        "need",
        "please",
        "very",
        "just",
    ]
)
STRONG_FIELDS = ("alt", "title", "caption", "aria_label", "filename", "ocr_text", "concepts", "heading")
_TOKEN = re.compile(r"[a-z0-9]+")


def tokens(text: str) -> list[str]:
    """Lower-case alphanumeric tokens."""
    return _TOKEN.findall(text.lower())


def stem(word: str) -> str:
    """A light plural stemmer (``shoes`` → ``shoe``, ``berries`` → ``berry``)."""
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("ches", "shes", "xes", "sses")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")) and len(word) > 3:
        return word[:-1]
    return word


def content_terms(text: str) -> list[str]:
    """The query's content words (stop words dropped), stemmed, in order, unique."""
    return list(dict.fromkeys(stem(t) for t in tokens(text) if t not in STOPWORDS))


def field_texts(meta: Mapping[str, Any]) -> dict[str, str]:
    """Per-field searchable text of one image (lists joined), including file-name words."""
    out: dict[str, str] = {}
    for key in (*STRONG_FIELDS, "context", "page_title"):
        if key == "filename":
            value: Any = filename_words(str(meta.get("image_url") or ""))
        else:
            value = meta.get(key)
        if isinstance(value, list):
            value = " ".join(str(v) for v in value)
        if value:
            out[key] = str(value)
    return out


def matched_terms(terms: Sequence[str], fields: Mapping[str, str]) -> dict[str, list[str]]:
    """For each query term found, the fields it occurs in (token match after stemming)."""
    found: dict[str, list[str]] = {}
    for name, text in fields.items():
        toks = {stem(t) for t in tokens(text)}
        for term in terms:
            if term in toks:
                found.setdefault(term, []).append(name)
    return found


def phrase_match(phrases: Iterable[str], fields: Mapping[str, str]) -> str | None:
    """The first phrase (≥ 2 words) that occurs verbatim (case- and punctuation-insensitive) in a strong
    field, or None."""
    norm = {k: " " + " ".join(tokens(v)) + " " for k, v in fields.items() if k in STRONG_FIELDS}
    for phrase in phrases:
        p = " ".join(tokens(phrase))
        if len(p.split()) < 2:
            continue
        if any(f" {p} " in text for text in norm.values()):
            return phrase
    return None


def is_strong_keyword_match(terms: Sequence[str], matches: Mapping[str, list[str]]) -> bool:
    """Every content term occurs in a strong field."""
    return bool(terms) and all(any(f in STRONG_FIELDS for f in matches.get(t, [])) for t in terms)


NEGATION_FIELDS = ("alt", "title", "caption", "aria_label", "concepts", "filename")
#: Words in alt/title/caption that say a person is shown (besides the parser's people words).
PERSON_HINTS = frozenset(
    [
        "person",
        "people",
        "man",
        "men",
        "woman",
        "women",
        "boy",
        "boys",
        "girl",
        "girls",
        "child",
        "children",
        "kid",
        "kids",
        "baby",
        "family",
        "couple",
        "crowd",
        "team",
        "staff",
        "employee",
        "employees",
        "customer",
        "customers",
        "worker",
        "workers",
        "portrait",
        "selfie",
        "face",
        "faces",
        "photographer",
        "astronaut",
        "commander",
        "player",
        "players",
        "athlete",
        "chef",
        "doctor",
        "nurse",
        "model",
        "models",
        "she",
        "her",
        "he",
        "his",
        "him",
        "they",
        "founder",
        "ceo",
        "speaker",
        "student",
        "students",
        "teacher",
        "audience",
        "groom",
        "bride",
    ]
)


class QueryCalibrator:
    """Standardise query–image cosines against a reference gallery (rows: unit vectors, text space)."""

    def __init__(self, reference: np.ndarray) -> None:
        ref = np.asarray(reference, dtype=np.float32)
        if ref.ndim != 2 or len(ref) < 2:
            raise ValueError("reference must be a (n >= 2, dim) matrix")
        self.reference = ref

    def stats(self, query_vector: np.ndarray) -> tuple[float, float]:
        """Mean and standard deviation of the query's cosine over the reference gallery."""
        sims = self.reference @ np.asarray(query_vector, dtype=np.float32)
        return float(sims.mean()), max(float(sims.std()), 1e-6)

    def z(self, query_vector: np.ndarray, cosines: np.ndarray | float) -> np.ndarray:
        mu, sd = self.stats(query_vector)
        return (np.asarray(cosines, dtype=np.float32) - mu) / sd


def is_relevant(z: float, strong_keyword: bool, floor: float = Z_FLOOR) -> bool:
    """The relevance floor (see the module docstring)."""
    return z >= floor or strong_keyword


@dataclass
class Candidate:
    """One image's score parts for one query."""

    id: str
    semantic: float
    z: float = 0.0
    content: float = 0.0
    context: float = 0.0
    bm25: float = 0.0
    keyword: float = 0.0  # bm25 / max bm25 over the candidates
    phrase: str | None = None
    matches: dict[str, list[str]] = field(default_factory=dict)
    strong_keyword: bool = False
    score: float = 0.0
    parts: dict[str, float] = field(default_factory=dict)


def fuse_scores(
    cands: list[Candidate],
    method: FusionMethod = "weighted",
    *,
    w_keyword: float = W_KEYWORD,
    w_phrase: float = W_PHRASE,
) -> None:
    """Set ``score`` and ``parts`` on every candidate by the documented rule."""
    best_bm25 = max((c.bm25 for c in cands), default=0.0)
    for c in cands:
        c.keyword = c.bm25 / best_bm25 if best_bm25 > 0 else 0.0
    if method == "rrf":
        by_sem = sorted(cands, key=lambda c: (-c.semantic, c.id))
        by_kw = sorted((c for c in cands if c.bm25 > 0), key=lambda c: (-c.bm25, c.id))
        r_sem = {c.id: i + 1 for i, c in enumerate(by_sem)}
        r_kw = {c.id: i + 1 for i, c in enumerate(by_kw)}
        for c in cands:
            v = 1.0 / (RRF_K + r_sem[c.id])
            b = 1.0 / (RRF_K + r_kw[c.id]) if c.id in r_kw else 0.0
            p = W_PHRASE_RRF if c.phrase else 0.0
            c.score = v + b + p
            c.parts = {"semantic_rrf": v, "keyword_rrf": b, "phrase_boost": p}
        return
    for c in cands:
        k = w_keyword * c.keyword
        p = w_phrase if c.phrase else 0.0
        c.score = c.semantic + k + p
        c.parts = {"semantic": c.semantic, "keyword": k, "phrase_boost": p}


def order(cands: Sequence[Candidate], formats: Mapping[str, str], prefer: Sequence[str]) -> list[Candidate]:
    """Best first; among scores within :data:`TIE_EPSILON` a preferred format goes first (tie-breaker only)."""
    ranked = sorted(cands, key=lambda c: (-c.score, c.id))
    if not prefer:
        return ranked
    pref = set(prefer)
    out: list[Candidate] = []
    i = 0
    while i < len(ranked):
        j = i + 1
        while j < len(ranked) and ranked[i].score - ranked[j].score <= TIE_EPSILON:
            j += 1
        group = ranked[i:j]
        out.extend(sorted(group, key=lambda c: formats.get(c.id) not in pref))  # stable: score order kept
        i = j
    return out


def negated(meta: Mapping[str, Any], concept: str) -> bool:
    """Does the image show ``concept`` by its flags, alt/title/caption, concepts or file name?"""
    if concept == "people" and meta.get("has_people") is True:
        return True
    if concept == "text" and (meta.get("has_text") is True or str(meta.get("ocr_text") or "").strip()):
        return True
    words = (
        PEOPLE_WORDS | PERSON_HINTS if concept == "people" else TEXT_WORDS if concept == "text" else {concept}
    )
    stems = {stem(w) for w in words}
    texts = field_texts(meta)
    return any(stem(t) in stems for name in NEGATION_FIELDS for t in tokens(texts.get(name, "")))


def post_filter(meta: Mapping[str, Any], q: ParsedQuery) -> bool:
    """Constraints the store ``where`` cannot express (page, site, orientation, negated concepts)."""
    if q.sites:
        domains = {str(meta.get("page_domain") or "").lower(), str(meta.get("image_domain") or "").lower()}
        if not any(d == s or d.endswith("." + s) for d in domains for s in q.sites):
            return False
    if q.page_terms:
        pages = [str(meta.get("page_url") or ""), str(meta.get("page_title") or "")]
        also = meta.get("also_on")
        if isinstance(also, list):
            pages += [str(u) for u in also]
        hay = " ".join(pages).lower()
        if not all(t in hay for t in q.page_terms):
            return False
    if q.orientation:
        w, h = meta.get("width"), meta.get("height")
        if not isinstance(w, int | float) or not isinstance(h, int | float) or not w or not h:
            return False
        ratio = float(w) / float(h)
        ok = {"landscape": ratio > 1.1, "portrait": ratio < 0.9, "square": 0.9 <= ratio <= 1.1}
        if not ok[q.orientation]:
            return False
    if q.phrases:
        hay = " " + " ".join(tokens(" ".join(field_texts(meta).values()))) + " "
        if not all(f" {' '.join(tokens(p))} " in hay for p in q.phrases):
            return False
    return not any(negated(meta, c) for c in q.exclude_concepts)


__all__ = [
    "NEGATION_FIELDS",
    "PERSON_HINTS",
    "RRF_K",
    "STOPWORDS",
    "STRONG_FIELDS",
    "TIE_EPSILON",
    "W_KEYWORD",
    "W_PHRASE",
    "W_PHRASE_RRF",
    "Z_FLOOR",
    "Candidate",
    "FusionMethod",
    "QueryCalibrator",
    "content_terms",
    "field_texts",
    "fuse_scores",
    "is_relevant",
    "is_strong_keyword_match",
    "matched_terms",
    "negated",
    "order",
    "phrase_match",
    "post_filter",
    "stem",
    "tokens",
]
