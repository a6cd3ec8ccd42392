"""Keyword extraction: the top 1–3-word phrases of a text, YAKE-style (no model, no corpus).

Candidates are runs of up to three non-stopword tokens inside a sentence. Each word gets a YAKE-like
weight from its frequency, its first position, its spread over sentences and its casing; a phrase's
score is the product of its words' weights divided by (1 + its frequency), lower = better.
Near-duplicates (a phrase contained in a better one) are dropped.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict

__all__ = ["STOPWORDS", "PhraseMatcher", "extract_keywords"]

STOPWORDS = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "against",
        "all",
        "also",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "down",
        "during",
        "each",
        "few",
        "for",
        "from",
        "further",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "herself",
        "him",
        "himself",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "itself",
        "just",
        "me",
        "more",
        "most",
        "my",
        "myself",
        "no",
        "nor",
        "not",
        "now",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "our",
        "ours",
        "ourselves",
        "out",
        "over",
        "own",
        "same",
        "she",
        "should",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "theirs",
        "them",
        "themselves",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "very",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "yours",
        "yourself",
        "yourselves",
        "said",
        "says",
        "say",
        "new",
        "one",
        "two",
        "three",
        "first",
        "last",
        "year",
        "years",
        "week",
        "weeks",
        "day",
        "days",
        "time",
        "get",
        "got",
        "make",
        "made",
        "like",
        "may",
        "might",
        "must",
        "us",
        "per",
        "via",
        "since",
        "still",
        "yet",
        "many",
        "much",
        "well",
        "back",
        "even",
        "way",
        "told",
        "according",
        "reuters",
        "ap",
        "afp",
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
        "today",
        "yesterday",
        "tomorrow",
        "mr",
        "mrs",
        "ms",
        "lt",
        "gt",
        "quot",
        "amp",
        "nbsp",
        "http",
        "https",
        "www",
        "com",
    ]
)

_TOKEN = re.compile(r"[A-Za-z][A-Za-z0-9'&+\-]*[A-Za-z0-9]|[A-Za-z]")
_SENT = re.compile(r"(?<=[.!?;:])\s+|\n+")


def extract_keywords(text: str, top_n: int = 10, max_words: int = 3) -> list[str]:
    """The ``top_n`` key phrases of ``text`` (lower-case), best first."""
    if not text or not text.strip():
        return []
    sentences = [s for s in _SENT.split(text[:50_000]) if s.strip()]
    word_tf: Counter[str] = Counter()
    word_upper: Counter[str] = Counter()
    word_first: dict[str, int] = {}
    word_sents: dict[str, set[int]] = defaultdict(set)
    phrase_tf: Counter[str] = Counter()
    pos = 0
    for si, sent in enumerate(sentences):
        tokens = _TOKEN.findall(sent)
        run: list[str] = []
        for ti, tok in enumerate(tokens):
            low = tok.lower()
            if low in STOPWORDS or len(low) < 2 or low.isdigit():
                run = []
                continue
            word_tf[low] += 1
            if tok[0].isupper() and ti > 0:
                word_upper[low] += 1
            word_first.setdefault(low, pos)
            word_sents[low].add(si)
            pos += 1
            run.append(low)
            for n in range(1, min(max_words, len(run)) + 1):
                phrase_tf[" ".join(run[-n:])] += 1
    if not word_tf:
        return []
    mean_tf = sum(word_tf.values()) / len(word_tf)
    n_sent = max(1, len(sentences))
    weight: dict[str, float] = {}
    for w, tf in word_tf.items():
        casing = word_upper[w] / (1 + math.log(tf))
        position = math.log(math.log(3 + word_first[w]))
        frequency = tf / (mean_tf + 1)
        spread = len(word_sents[w]) / n_sent
        weight[w] = position / (casing + frequency / (1 + spread) + 1e-9 + 0.5 * spread + casing)
    scored = []
    for phrase, tf in phrase_tf.items():
        words = phrase.split()
        prod = math.prod(weight[w] for w in words)
        length_bonus = 1.0 + 0.35 * (len(words) - 1) if tf > 1 else 1.0
        scored.append((prod / ((1 + sum(weight[w] for w in words)) * tf * length_bonus), phrase))
    scored.sort()
    out: list[str] = []
    for _, phrase in scored:
        if any(phrase in kept or kept in phrase for kept in out):
            continue
        out.append(phrase)
        if len(out) >= top_n:
            break
    return out


_WORD = re.compile(r"[a-z0-9]+(?:['&][a-z0-9]+)*")


def tokens(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def _forms(phrase: str) -> set[str]:
    """The phrase, its plural and (for plain plurals) its singular: "leagues" → "league"."""
    forms = {phrase, phrase + "s"}
    last = phrase.rsplit(" ", 1)[-1]
    if len(last) > 4 and last.endswith("s") and not last.endswith(("ss", "us", "is", "news", "ics")):
        forms.add(phrase[:-1])
    return forms


def _ngrams(tokens: list[str], n_max: int = 4) -> set[str]:
    return {" ".join(tokens[i : i + n]) for n in range(1, n_max + 1) for i in range(len(tokens) - n + 1)}


class PhraseMatcher:
    """Finds keyword phrases (1–4 words, plural-tolerant) of many owners in a text.

    ``keywords[i]`` are the phrases of owner ``i``; :meth:`match` returns owner → phrases found.
    Matching is a set lookup of the text's n-grams, so its cost does not grow with the number of
    phrases.
    """

    def __init__(self, keywords: list[list[str]]) -> None:
        self._owners: dict[str, list[tuple[int, str]]] = {}
        for i, kws in enumerate(keywords):
            for kw in kws:
                norm = " ".join(tokens(kw))
                if not norm or len(norm.split()) > 4:
                    continue
                for form in _forms(norm):
                    self._owners.setdefault(form, []).append((i, kw))

    def match(self, text: str) -> dict[int, list[str]]:
        found: dict[int, list[str]] = {}
        for gram in _ngrams(tokens(text)):
            for i, kw in self._owners.get(gram, ()):
                if kw not in found.setdefault(i, []):
                    found[i].append(kw)
        return found
