"""Rule-based natural-language filter parser.

``parse_query("fitness creators in the US with over 50K followers")`` ->
``ParsedQuery(semantic="fitness", filters={category: [fitness], country: [United States],
min_followers: 50000}, matched=[...])``.

Rules, applied in order on the lower-cased text (each match is removed from the semantic part):

* followers: ``between A and B``, ``A-B``/``A to B``, ``over/more than/above/at least/>= A``, ``A+``,
  ``A or more``, ``under/less than/below/fewer than/at most/up to/< A``, ``with A`` (= at least), and
  the bands nano (< 10k), micro (10k–100k), mid-tier (100k–1M), macro (1M–10M), mega (≥ 10M);
* engagement: the same comparisons with a percentage (``engagement above 3%``, ``ER > 2.5%``,
  ``at least 4% engagement``), ``high engagement`` (≥ 3 %), ``low engagement`` (≤ 1 %);
* platform: ``on tiktok``, ``instagram``, ``youtubers``, ``tiktokers``;
* language: ``in spanish``, ``spanish-speaking``, ``who speak french``, ``french language``;
* country: ``in/from/based in (the) US|Brazil|…`` (two-letter codes only when written in capitals),
  demonyms before a creator noun (``american fitness creators``); other capitalised places after
  ``in``/``from``/``based in`` become a location term (``in Los Angeles``);
* category: any category word or synonym (``makeup`` -> beauty, ``gym`` -> fitness, …).

What remains, minus creator nouns and dangling words, is the semantic query.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from adlens.creators.filters import CreatorFilters
from adlens.creators.parsing import parse_number
from adlens.creators.vocab import CATEGORIES, COUNTRIES, LANGUAGES, PLATFORMS

__all__ = ["ParsedQuery", "parse_query"]

_NUM = r"(\d+(?:[.,]\d+)?\s*(?:k|m|mm|b|bn|thousand|million|billion|mln)?)"
_PCT = r"(\d+(?:[.,]\d+)?)\s*(?:%|percent|pct)"
_FOL = r"(?:followers?|subscribers?|subs|fans|follower count|audience)"
_ENG = r"(?:engagement(?:\s+rates?)?|eng\.?\s*rate|er)"
_GT = r"(?:no less than|no fewer than|(?<!no )(?:over|more than|above|at least|greater than|min(?:imum)?(?: of)?|>=|>|≥|upwards of))"
_LT = (
    r"(?:no more than|(?<!no )(?:under|less than|below|fewer than|at most|up to|max(?:imum)?(?: of)?|<=|<|≤))"
)
_NOUNS = (
    r"creators?|influencers?|accounts?|people|persons?|profiles?|bloggers?|vloggers?|streamers?|"
    r"youtubers?|tiktokers?|instagrammers?|channels?|stars?|personalit(?:y|ies)|content"
)
_STOP = {
    "with",
    "and",
    "in",
    "on",
    "from",
    "who",
    "that",
    "the",
    "a",
    "an",
    "of",
    "having",
    "has",
    "have",
    "for",
    "based",
    "or",
    "me",
    "find",
    "show",
    "search",
    "some",
    "any",
    "all",
    "are",
    "is",
    "speak",
    "speaking",
    "who's",
    "whose",
    "rate",
    "followers",
    "follower",
    "engagement",
    "located",
    "living",
    "at",
    "to",
}
_BANDS = {
    "nano": (None, 9_999),
    "micro": (10_000, 100_000),
    "mid-tier": (100_000, 1_000_000),
    "mid tier": (100_000, 1_000_000),
    "macro": (1_000_000, 10_000_000),
    "mega": (10_000_000, None),
}
_PLATFORM_NOUNS = {
    "youtuber": "youtube",
    "youtubers": "youtube",
    "tiktoker": "tiktok",
    "tiktokers": "tiktok",
    "instagrammer": "instagram",
    "instagrammers": "instagram",
    "twitch streamers": "twitch",
}
_AMBIGUOUS_CATEGORY = {
    "model",
    "brand",
    "brands",
    "home",
    "x",
    "ai",
    "design",
    "style",
    "band",
    "study",
    "tv",
    "car",
    "content",
}


@dataclass
class ParsedQuery:
    semantic: str
    filters: CreatorFilters
    matched: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "semantic": self.semantic,
            "filters": self.filters.model_dump(exclude_defaults=True),
            "matched": self.matched,
        }


def _alts(words: list[str]) -> str:
    return _alts_cached(tuple(sorted(set(words))))


@lru_cache(maxsize=64)
def _alts_cached(words: tuple[str, ...]) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


def _num(text: str) -> int:
    value = parse_number(text.replace(" ", ""))
    return round(value or 0)


def _pct(text: str) -> float:
    return round(float(text.replace(",", ".")) / 100.0, 6)


class _Parser:
    def __init__(self, query: str) -> None:
        self.original = " ".join(query.split())
        self.text = self.original
        self.f: dict[str, Any] = {}
        self.matched: list[dict[str, Any]] = []

    def sub(self, pattern: str, fn: Any, *, flags: int = re.I) -> None:
        def repl(m: re.Match[str]) -> str:
            out = fn(m)
            if out is False:
                return m.group(0)
            self.matched.append({"text": m.group(0).strip(), "as": out})
            return " "

        self.text = re.sub(pattern, repl, self.text, flags=flags)

    def set(self, **kw: Any) -> str:
        self.f.update(kw)
        return ", ".join(f"{k}={v}" for k, v in kw.items())

    def add(self, key: str, value: str) -> str:
        self.f.setdefault(key, [])
        if value not in self.f[key]:
            self.f[key].append(value)
        return f"{key}={value}"

    def followers(self) -> None:
        w = r"(?:\s+(?:and|to|-|–)\s+|\s*[-–]\s*)"
        self.sub(
            rf"\b(?:between|from)\s+{_NUM}{w}{_NUM}\s+{_FOL}\b",
            lambda m: self.set(min_followers=_num(m[1]), max_followers=_num(m[2])),
        )
        self.sub(
            rf"\b{_NUM}{w}{_NUM}\s+{_FOL}\b",
            lambda m: self.set(min_followers=_num(m[1]), max_followers=_num(m[2])),
        )
        self.sub(
            rf"\b{_FOL}\s+(?:between|from)\s+{_NUM}{w}{_NUM}",
            lambda m: self.set(min_followers=_num(m[1]), max_followers=_num(m[2])),
        )
        self.sub(rf"(?:{_GT})\s*{_NUM}\s*\+?\s*{_FOL}\b", lambda m: self.set(min_followers=_num(m[1])))
        self.sub(rf"(?:{_LT})\s*{_NUM}\s*{_FOL}\b", lambda m: self.set(max_followers=_num(m[1])))
        self.sub(rf"\b{_FOL}\s*(?:{_GT}|:)\s*{_NUM}\b\+?", lambda m: self.set(min_followers=_num(m[1])))
        self.sub(rf"\b{_FOL}\s*(?:{_LT})\s*{_NUM}\b", lambda m: self.set(max_followers=_num(m[1])))
        self.sub(
            rf"\b{_NUM}\s*(?:\+|or more|and up|plus)\s*{_FOL}?", lambda m: self.set(min_followers=_num(m[1]))
        )
        self.sub(
            rf"\b{_NUM}\s*(?:or (?:less|fewer)|and under|max)\s*{_FOL}",
            lambda m: self.set(max_followers=_num(m[1])),
        )
        self.sub(
            rf"\b(?:with|having|has|of)\s+{_NUM}\s*{_FOL}\b", lambda m: self.set(min_followers=_num(m[1]))
        )
        self.sub(rf"\b{_NUM}\s*{_FOL}\b", lambda m: self.set(min_followers=_num(m[1])))
        for band, (lo, hi) in _BANDS.items():

            def band_fn(m: re.Match[str], lo: int | None = lo, hi: int | None = hi) -> str:
                kw = {k: v for k, v in (("min_followers", lo), ("max_followers", hi)) if v is not None}
                return self.set(**kw)

            self.sub(rf"\b{re.escape(band)}[- ]?(?=(?:{_NOUNS}|influencers?|creators?)\b)", band_fn)

    def engagement(self) -> None:
        self.sub(
            rf"\b{_ENG}\s+(?:between|from)\s+{_PCT}\s*(?:and|to|-)\s*{_PCT}",
            lambda m: self.set(min_engagement=_pct(m[1]), max_engagement=_pct(m[2])),
        )
        self.sub(rf"\b{_ENG}\s*(?:{_GT}|of at least)\s*{_PCT}", lambda m: self.set(min_engagement=_pct(m[1])))
        self.sub(rf"\b{_ENG}\s*(?:{_LT})\s*{_PCT}", lambda m: self.set(max_engagement=_pct(m[1])))
        self.sub(rf"(?:{_GT})\s*{_PCT}\s*{_ENG}\b", lambda m: self.set(min_engagement=_pct(m[1])))
        self.sub(rf"(?:{_LT})\s*{_PCT}\s*{_ENG}\b", lambda m: self.set(max_engagement=_pct(m[1])))
        self.sub(rf"\b{_PCT}\s*\+\s*{_ENG}\b", lambda m: self.set(min_engagement=_pct(m[1])))
        self.sub(rf"\b{_PCT}\s*{_ENG}\b", lambda m: self.set(min_engagement=_pct(m[1])))
        self.sub(rf"\b(?:high|strong|good|great)\s+{_ENG}\b", lambda m: self.set(min_engagement=0.03))
        self.sub(rf"\b(?:low|weak|poor)\s+{_ENG}\b", lambda m: self.set(max_engagement=0.01))

    def platform(self) -> None:
        for noun, plat in _PLATFORM_NOUNS.items():
            self.sub(rf"\b{noun}\b", lambda m, p=plat: self._plat_noun(p))
        names = {a: canon for canon, aliases in PLATFORMS.items() for a in aliases if len(a) > 2}
        self.sub(
            rf"\b(?:on|from|using|via)\s+({_alts(list(names))})\b",
            lambda m: self.add("platform", names[m[1].lower()]),
        )
        self.sub(rf"\b({_alts(list(names))})\b", lambda m: self.add("platform", names[m[1].lower()]))

    def _plat_noun(self, plat: str) -> str:
        self.add("platform", plat)
        self.text += " creators"  # keep the noun's meaning for the semantic part check
        return f"platform={plat}"

    def language(self) -> None:
        names = {a: canon for canon, aliases in LANGUAGES.items() for a in aliases if len(a) > 2}
        alts = _alts(list(names))
        self.sub(
            rf"\b(?:in|speaking|speaks|who speak|that speak|posting in|writing in)\s+({alts})\b(?!\s+(?:food|cuisine|fashion))",
            lambda m: self.add("language", names[m[1].lower()]),
        )
        self.sub(
            rf"\b({alts})[- ](?:speaking|speakers?|language)\b",
            lambda m: self.add("language", names[m[1].lower()]),
        )

    def country(self) -> None:
        names = {a: canon for canon, aliases in COUNTRIES.items() for a in aliases if len(a) > 2}
        codes = {
            a.upper(): canon
            for canon, aliases in COUNTRIES.items()
            for a in aliases
            if len(a) <= 2 and a.isalpha()
        }
        codes.update(
            {
                "USA": "United States",
                "UAE": "United Arab Emirates",
                "U.S.": "United States",
                "U.K.": "United Kingdom",
            }
        )
        pre = r"\b(?:in|from|based in|located in|living in|out of|across)\s+(?:the\s+)?"
        self.sub(rf"{pre}({_alts(list(names))})(?![\w-])", lambda m: self.add("country", names[m[1].lower()]))
        self.sub(
            rf"(?i:{pre})({_alts(list(codes))})(?![\w])", lambda m: self.add("country", codes[m[1]]), flags=0
        )
        self.sub(
            rf"\b({_alts(list(names))})\s+(?=(?:\w+\s+){{0,2}}(?:{_NOUNS})\b)",
            lambda m: self.add("country", names[m[1].lower()]),
        )
        self.sub(
            rf"(?<![\w])({_alts([c for c in codes if len(c) >= 2])})\s+(?=(?:\w+\s+){{0,2}}(?i:{_NOUNS})\b)",
            lambda m: self.add("country", codes[m[1]]),
            flags=0,
        )
        # a capitalised place that is not a country: a location term
        self.sub(
            r"\b(?:in|from|based in|located in|living in)\s+((?:[A-Z][\w'.-]+)(?:\s+[A-Z][\w'.-]+){0,2})",
            lambda m: self.set(location=m[1].lower()),
            flags=0,
        )

    def category(self) -> None:
        names = {
            a: canon
            for canon, aliases in CATEGORIES.items()
            for a in (canon, *aliases)
            if a not in _AMBIGUOUS_CATEGORY
        }

        def fn(m: re.Match[str]) -> Any:
            self.add("category", names[m[1].lower()])
            return False  # keep the word in the semantic part: it helps ranking too

        self.sub(rf"\b({_alts(list(names))})\b", fn)

    def semantic(self) -> str:
        words = re.sub(rf"\b(?:{_NOUNS})\b", " ", self.text, flags=re.I)
        tokens = [t for t in re.split(r"[\s,;]+", words) if t]
        while tokens and tokens[-1].lower() in _STOP:
            tokens.pop()
        while tokens and tokens[0].lower() in _STOP:
            tokens.pop(0)
        out = " ".join(tokens).strip(" .,-")
        return re.sub(r"\s+(?:with|and|in|on|who|that)\s*$", "", out)


def parse_query(query: str) -> ParsedQuery:
    """Split a query into hard filters and the semantic part (see the module docstring)."""
    p = _Parser(query or "")
    p.followers()
    p.engagement()
    p.platform()
    p.language()
    p.country()
    p.category()
    semantic = p.semantic()
    f = dict(p.f)
    for key in ("category", "country", "platform", "language"):
        if key in f:
            f[key] = sorted(set(f[key]))
    return ParsedQuery(semantic=semantic, filters=CreatorFilters(**f), matched=p.matched)
