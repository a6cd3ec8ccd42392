"""Natural-language image queries → a semantic part plus filters (rule-based).

The query language (everything else is the *semantic* part, searched by meaning and keywords):

* **formats**: ``png``, ``jpg``/``jpeg``, ``webp``, ``gif``, ``svg``, ``avif``, ``bmp``, ``ico``, ``tiff``
  (also ``.png``, ``PNGs``, ``animated`` → gif, ``vector`` → svg). ``jpg or webp`` keeps both.
  ``not png`` / ``no gifs`` / ``except svg`` exclude. ``preferably png`` / ``png if possible`` is only a
  preference (a tie-breaker), never a filter.
* **size**: ``at least 1000px wide``, ``wider than 800px``, ``min width 1200``, ``at least 600 px tall``,
  ``at least 1920x1080``, ``larger than 800x600``, ``smaller than 200px``, ``under 64 px``,
  ``high-resolution``/``hi-res``/``HD`` (≥ 1000 px wide), ``full hd``/``1080p`` (≥ 1920×1080),
  ``4k`` (≥ 3840 px wide), ``large``/``big`` (≥ 800 px wide), ``small icons``/``icons``/``tiny`` (≤ 128 px),
  ``thumbnails``/``small`` (≤ 400 px); ``in portrait``, ``landscape orientation``, ``square format``,
  ``vertical``/``horizontal`` (before a noun) set an orientation (a bare "portrait" or "landscape" is
  what the image shows, not its shape).
* **negations**: ``without people``, ``no text``, ``with no humans``, ``people-free``, ``text-free``,
  ``but not dogs``, ``excluding logos``: people-words map to ``people``, text-words to ``text``.
* **page / site**: ``on the pricing page``, ``from the blog``, ``in the about section`` (page terms matched
  against the page URL and title), ``from example.com`` / ``on shop.example.com`` / ``site:example.com``.
* **count**: ``show me 5``, ``top 10``, ``first three``, ``5 images of …``, ``give me 3``.
* **phrases**: text in double quotes must match exactly (an exact-phrase boost and filter).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

from adlens.errors import InvalidInput

MAX_QUERY_CHARS = 500
HIGH_RES = 1000
LARGE = 800
ICON = 128
SMALL = 400

FORMAT_WORDS: dict[str, str] = {
    "png": "png", "pngs": "png", "jpg": "jpeg", "jpgs": "jpeg", "jpeg": "jpeg", "jpegs": "jpeg",
    "webp": "webp", "webps": "webp", "gif": "gif", "gifs": "gif", "svg": "svg", "svgs": "svg",
    "avif": "avif", "bmp": "bmp", "ico": "ico", "tiff": "tiff", "tif": "tiff",
}  # fmt: skip
PEOPLE_WORDS = {
    "people", "person", "persons", "human", "humans", "faces", "face", "men", "man", "women",
    "woman", "kids", "children", "child", "models", "model", "anyone", "crowds",
}  # fmt: skip
TEXT_WORDS = {"text", "words", "writing", "letters", "captions", "typography", "lettering", "wording"}
NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20, "a dozen": 12,
}  # fmt: skip
_NUM = r"(\d{1,5}|" + "|".join(sorted(NUMBER_WORDS, key=len, reverse=True)) + r")"
_NOUNS = r"(?:images?|photos?|photographs?|pictures?|pics?|results?|icons?|logos?|banners?|graphics?|shots?|screenshots?|illustrations?)"
_PX = r"\s*(?:px|pixels?|pixel)?"
_FMT = r"(?:\.?(?:" + "|".join(sorted(FORMAT_WORDS, key=len, reverse=True)) + r"))"
_DOMAIN = r"((?:[a-z0-9-]+\.)+[a-z]{2,})"


@dataclass
class ParsedQuery:
    """A query split into its semantic part and filters (see the module docstring)."""

    raw: str
    semantic: str
    formats: list[str] = field(default_factory=list)
    exclude_formats: list[str] = field(default_factory=list)
    prefer_formats: list[str] = field(default_factory=list)
    min_width: int | None = None
    min_height: int | None = None
    max_width: int | None = None
    max_height: int | None = None
    orientation: str | None = None
    exclude_concepts: list[str] = field(default_factory=list)
    page_terms: list[str] = field(default_factory=list)
    sites: list[str] = field(default_factory=list)
    phrases: list[str] = field(default_factory=list)
    count: int | None = None
    parser: str = "rules"
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def where(self) -> dict[str, Any] | None:
        """The store filter for the metadata-backed constraints (formats, sizes, people/text)."""
        clauses: list[dict[str, Any]] = []
        if self.formats:
            clauses.append({"format": {"$in": sorted(set(self.formats))}})
        if self.exclude_formats:
            clauses.append({"format": {"$nin": sorted(set(self.exclude_formats))}})
        for key, op, value in (
            ("width", "$gte", self.min_width),
            ("height", "$gte", self.min_height),
            ("width", "$lte", self.max_width),
            ("height", "$lte", self.max_height),
        ):
            if value is not None:
                clauses.append({key: {op: value}})
        if "people" in self.exclude_concepts:
            clauses.append({"has_people": {"$ne": True}})
        if "text" in self.exclude_concepts:
            clauses.append({"has_text": {"$ne": True}})
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}

    def chips(self) -> list[str]:
        """Short human labels of the filters, for the UI."""
        out = [f"format: {f}" for f in self.formats]
        out += [f"not {f}" for f in self.exclude_formats]
        out += [f"prefer {f}" for f in self.prefer_formats]
        for label, v in (("width ≥", self.min_width), ("height ≥", self.min_height)):
            if v is not None:
                out.append(f"{label} {v}px")
        for label, v in (("width ≤", self.max_width), ("height ≤", self.max_height)):
            if v is not None:
                out.append(f"{label} {v}px")
        if self.orientation:
            out.append(self.orientation)
        out += [f"without {c}" for c in self.exclude_concepts]
        out += [f"page: {p}" for p in self.page_terms]
        out += [f"site: {s}" for s in self.sites]
        out += [f'"{p}"' for p in self.phrases]
        if self.count is not None:
            out.append(f"show {self.count}")
        return out


def _num(token: str) -> int:
    token = token.lower().strip()
    return int(token) if token.isdigit() else NUMBER_WORDS[token]


def _singular(word: str) -> str:
    w = word.lower()
    if w.endswith("ies") and len(w) > 4:
        return w[:-3] + "y"
    if w.endswith(("ches", "shes", "xes", "sses")):
        return w[:-2]
    if w.endswith("s") and not w.endswith("ss") and len(w) > 3:
        return w[:-1]
    return w


def _concept(word: str) -> str:
    w = word.lower()
    if w in PEOPLE_WORDS:
        return "people"
    if w in TEXT_WORDS:
        return "text"
    return _singular(w)


class _Cut:
    """The query text with recognised spans blanked out as they are consumed."""

    def __init__(self, text: str) -> None:
        self.text = text

    def take(self, pattern: str) -> list[re.Match[str]]:
        found = list(re.finditer(pattern, self.text, flags=re.IGNORECASE))
        for m in reversed(found):
            self.text = self.text[: m.start()] + " " + self.text[m.end() :]
        return found


def _set_min(q: ParsedQuery, width: int | None, height: int | None) -> None:
    if width is not None:
        q.min_width = max(q.min_width or 0, width)
    if height is not None:
        q.min_height = max(q.min_height or 0, height)


def _set_max(q: ParsedQuery, width: int | None, height: int | None) -> None:
    if width is not None:
        q.max_width = min(q.max_width or width, width)
    if height is not None:
        q.max_height = min(q.max_height or height, height)


_MIN_WORDS = (
    r"(?:at\s+least|min(?:imum)?|no\s+smaller\s+than|(?<!no )(?:bigger|larger|more)\s+than|over|above|>=?|≥)"
)
_MAX_WORDS = r"(?:at\s+most|max(?:imum)?|(?<!no )smaller\s+than|less\s+than|under|below|no\s+bigger\s+than|no\s+larger\s+than|<=?|≤)"
_WIDE = r"(?:wide|width|in\s+width|across)"
_TALL = r"(?:tall|high|height|in\s+height)"


def _parse_sizes(cut: _Cut, q: ParsedQuery) -> None:
    dims = r"(\d{2,5})\s*[x×*]\s*(\d{2,5})" + _PX
    for m in cut.take(_MIN_WORDS + r"\s*" + dims + r"(?:\s+or\s+(?:bigger|larger|more))?"):
        _set_min(q, int(m.group(1)), int(m.group(2)))
    for m in cut.take(_MAX_WORDS + r"\s*" + dims):
        _set_max(q, int(m.group(1)), int(m.group(2)))
    for m in cut.take(dims + r"\s+or\s+(?:bigger|larger|more|above)"):
        _set_min(q, int(m.group(1)), int(m.group(2)))
    for m in cut.take(dims + r"\s+or\s+(?:smaller|less|below)"):
        _set_max(q, int(m.group(1)), int(m.group(2)))
    for m in cut.take(r"(?:wider|broader)\s+than\s+(\d{2,5})" + _PX):
        _set_min(q, int(m.group(1)), None)
    for m in cut.take(r"(?:taller|higher)\s+than\s+(\d{2,5})" + _PX):
        _set_min(q, None, int(m.group(1)))
    for m in cut.take(r"narrower\s+than\s+(\d{2,5})" + _PX):
        _set_max(q, int(m.group(1)), None)
    for m in cut.take(r"(?:min(?:imum)?\s+)?width\s*(?:of\s+)?(?:>=?|≥|at\s+least)?\s*(\d{2,5})" + _PX):
        _set_min(q, int(m.group(1)), None)
    for m in cut.take(r"(?:min(?:imum)?\s+)?height\s*(?:of\s+)?(?:>=?|≥|at\s+least)?\s*(\d{2,5})" + _PX):
        _set_min(q, None, int(m.group(1)))
    for m in cut.take(_MIN_WORDS + r"\s*(\d{2,5})" + _PX + r"\s+" + _WIDE):
        _set_min(q, int(m.group(1)), None)
    for m in cut.take(_MIN_WORDS + r"\s*(\d{2,5})" + _PX + r"\s+" + _TALL):
        _set_min(q, None, int(m.group(1)))
    for m in cut.take(_MAX_WORDS + r"\s*(\d{2,5})" + _PX + r"\s+" + _WIDE):
        _set_max(q, int(m.group(1)), None)
    for m in cut.take(_MAX_WORDS + r"\s*(\d{2,5})" + _PX + r"\s+" + _TALL):
        _set_max(q, None, int(m.group(1)))
    for m in cut.take(r"(\d{2,5})" + _PX + r"\s+(?:or\s+more\s+)?" + _WIDE + r"(?:\s+or\s+(?:more|wider))?"):
        _set_min(q, int(m.group(1)), None)
    for m in cut.take(r"(\d{2,5})" + _PX + r"\s+(?:or\s+more\s+)?" + _TALL + r"(?:\s+or\s+(?:more|taller))?"):
        _set_min(q, None, int(m.group(1)))
    for m in cut.take(_MIN_WORDS + r"\s*(\d{2,5})\s*(?:px|pixels?)\b"):
        _set_min(q, int(m.group(1)), None)
    for m in cut.take(_MAX_WORDS + r"\s*(\d{2,5})\s*(?:px|pixels?)\b"):
        _set_max(q, int(m.group(1)), int(m.group(1)))
    if cut.take(r"\b(?:4k|uhd|ultra[\s-]?hd)\b"):
        _set_min(q, 3840, None)
    if cut.take(r"\b(?:full[\s-]?hd|1080p)\b"):
        _set_min(q, 1920, 1080)
    if cut.take(r"\b(?:high|hi)[\s-]?(?:resolution|res|quality|definition)\b|\bhd\b|\bhigh[\s-]?dpi\b"):
        _set_min(q, HIGH_RES, None)
    if cut.take(r"\b(?:large|big|huge|full[\s-]?size)\b(?=\s+(?:\w+\s+)?" + _NOUNS + r")"):
        _set_min(q, LARGE, None)
    if cut.take(r"\b(?:low[\s-]?res(?:olution)?)\b"):
        _set_max(q, SMALL, SMALL)
    if cut.take(r"\b(?:small|tiny|little)\b(?=\s+(?:\w+\s+)?(?:icons?|favicons?|logos?|badges?|avatars?))"):
        _set_max(q, ICON, ICON)
    if cut.take(r"\btiny\b"):
        _set_max(q, ICON, ICON)
    if cut.take(r"\b(?:small|thumbnail[- ]sized?)\b(?=\s+(?:\w+\s+)?" + _NOUNS + r")"):
        _set_max(q, SMALL, SMALL)
    if re.search(r"\b(?:icons?|favicons?)\b", cut.text, re.IGNORECASE) and q.max_width is None:
        _set_max(q, ICON * 2, ICON * 2)
    for word in ("landscape", "portrait", "square"):
        if cut.take(rf"\b(?:in\s+)?{word}[\s-](?:orientation|oriented|format|mode|shaped)\b|\bin\s+{word}\b"):
            q.orientation = word
    for word, orientation in (("vertical", "portrait"), ("horizontal", "landscape"), ("square", "square")):
        if cut.take(rf"\b{word}\b(?=\s+(?:\w+\s+)?" + _NOUNS + r"|\s+banners?)"):
            q.orientation = orientation


def _parse_formats(cut: _Cut, q: ParsedQuery) -> None:
    for m in cut.take(
        r"\b(?:preferably|ideally|prefer(?:ring|ably)?|if\s+possible)\s+(?:in\s+)?(" + _FMT + r")\b"
        r"|\b(" + _FMT + r")\s+(?:if\s+possible|preferred|ideally)\b"
    ):
        q.prefer_formats.append(FORMAT_WORDS[(m.group(1) or m.group(2)).lower().lstrip(".")])
    neg = r"\b(?:not|no|except|excluding|without|but\s+not|other\s+than)\s+(?:any\s+)?"
    for m in cut.take(
        neg + r"(" + _FMT + r"(?:\s*(?:,|or|and|/)\s*" + _FMT + r")*)(?:\s+(?:files?|images?|format))?\b"
    ):
        for tok in re.findall(_FMT, m.group(1), re.IGNORECASE):
            q.exclude_formats.append(FORMAT_WORDS[tok.lower().lstrip(".")])
    for m in cut.take(r"(?:\bin\s+)?(?<![\w-])(" + _FMT + r")(?:\s+(?:format|files?))?\b"):
        q.formats.append(FORMAT_WORDS[m.group(1).lower().lstrip(".")])
    if cut.take(r"\banimated\b(?:\s+gifs?)?"):
        q.formats.append("gif")
    if cut.take(r"\bvector(?:\s+(?:graphics?|images?|files?))?\b"):
        q.formats.append("svg")
    q.formats = list(dict.fromkeys(q.formats))
    q.exclude_formats = list(dict.fromkeys(q.exclude_formats))
    q.prefer_formats = [f for f in dict.fromkeys(q.prefer_formats) if f not in q.exclude_formats]


def _parse_negations(cut: _Cut, q: ParsedQuery) -> None:
    for m in cut.take(r"\b(\w+)[\s-]free\b"):
        q.exclude_concepts.append(_concept(m.group(1)))
    word = r"([a-z][a-z'-]*)"
    conj = r"(?:\s*(?:,|or|and|/|nor)\s*(?:any\s+|no\s+)?" + word + r")?"
    pat = (
        r"\b(?:without|with\s+no|w/o|no|not\s+showing|but\s+not|excluding|exclude|except|minus|not\s+containing)"
        r"\s+(?:any\s+|a\s+|the\s+)?" + word + conj + conj
    )
    for m in cut.take(pat):
        for g in m.groups():
            if g and g.lower() not in {"images", "image", "photos", "pictures"}:
                q.exclude_concepts.append(_concept(g))
    for m in cut.take(r"(?:^|\s)-([a-z]{3,})\b"):
        q.exclude_concepts.append(_concept(m.group(1)))
    q.exclude_concepts = list(dict.fromkeys(q.exclude_concepts))


def _parse_places(cut: _Cut, q: ParsedQuery) -> None:
    for m in cut.take(r"\bsite:\s*" + _DOMAIN):
        q.sites.append(m.group(1).lower())
    for m in cut.take(
        r"\b(?:from|on|at|in)\s+(?:the\s+)?(?:site|website|domain)?\s*(?:https?://)?" + _DOMAIN + r"(?:/\S*)?"
    ):
        q.sites.append(m.group(1).lower().removeprefix("www."))
    for m in cut.take(
        r"\b(?:on|from|in)\s+(?:the\s+|our\s+|my\s+)?(?:page\s+)?([a-z0-9/_-]+(?:\s+[a-z0-9_-]+)?)\s+(?:page|pages|section|site\s+section)\b"
    ):
        q.page_terms.append(m.group(1).lower().strip("/"))
    for m in cut.take(r"\b(?:on|from|in)\s+(?:the\s+)?(?:page|url)\s+(/[\w./-]*)"):
        q.page_terms.append(m.group(1).lower().strip("/"))
    for m in cut.take(
        r"\b(?:on|from|in)\s+the\s+(blog|homepage|home\s+page|shop|store|footer|header|docs)\b"
    ):
        term = m.group(1).lower()
        q.page_terms.append("home" if term.startswith("home") else term)
    q.sites = list(dict.fromkeys(q.sites))
    q.page_terms = list(dict.fromkeys(t for t in q.page_terms if t))


def _parse_count(cut: _Cut, q: ParsedQuery) -> None:
    pats = [
        r"\b(?:show|give|find|get|fetch|list|return)\s+(?:me\s+)?(?:the\s+)?(?:top\s+|first\s+|best\s+)?"
        + _NUM
        + r"\b(?!\s*(?:px|pixels?|x\d))",
        r"\b(?:top|first|best)\s+" + _NUM + r"\b(?!\s*(?:px|pixels?|x\d))",
        r"^\s*" + _NUM + r"(?=\s+(?:\w+\s+){0,3}" + _NOUNS + r"\b)",
        r"\b(?:only|just|max(?:imum)?\s+of|up\s+to|limit(?:\s+to)?)\s+" + _NUM + r"\s+(?=" + _NOUNS + r"\b)",
    ]
    for pat in pats:
        found = re.search(pat, cut.text, flags=re.IGNORECASE)
        if found:
            q.count = _num(found.group(1))
            start, end = found.span(0)
            cut.text = cut.text[:start] + " " + cut.text[end:]
            break


_LEADING = re.compile(
    r"^(?:please\s+)?(?:(?:can|could)\s+you\s+)?(?:show|give|find|get|fetch|list|search(?:\s+for)?|look(?:ing)?\s+for|"
    r"i\s+(?:want|need|am\s+looking\s+for)|i'm\s+looking\s+for|display|return)(?:\s+me)?\b",
    re.IGNORECASE,
)
_GENERIC = re.compile(r"\b(?:images?|pictures?|pics?|results?|files?|ones?)\b", re.IGNORECASE)
_EDGE = re.compile(
    r"^(?:\s|,|\b(?:of|with|and|or|that|which|are|is|the|all|any|some|showing|in|on|for|from|but|a|an|have|has|having|contain|containing|contains)\b)+|(?:\s|,|\b(?:of|with|and|or|that|which|are|is|the|showing|in|on|for|from|but|a|an|please|have|has|having|contain|containing|contains)\b)+$",
    re.IGNORECASE,
)


def _clean_semantic(text: str) -> str:
    text = _LEADING.sub(" ", text.strip())
    text = re.sub(
        r"\b(?:in|on)\s+(?:them|it|the\s+(?:image|picture|photo|shot)s?)\b|\bat\s+all\b",
        " ",
        text,
        flags=re.I,
    )
    text = _GENERIC.sub(" ", text)
    text = re.sub(r"[^\w\s'&.+-]|(?<!\w)[.+-]|[.+-](?!\w)", " ", text)
    text = re.sub(r"\s+", " ", text).strip()
    prev = None
    while prev != text:
        prev, text = text, _EDGE.sub("", text).strip()
    text = re.sub(r"\b(of|with|and|or|in|on)\s+(?=(?:of|with|and|or|in|on)\b)", "", text, flags=re.IGNORECASE)
    return re.sub(r"\s+", " ", text).strip()


def parse_query(raw: str) -> ParsedQuery:
    """Parse ``raw`` with the rules above. Raises :class:`InvalidInput` for an empty or huge query."""
    if not isinstance(raw, str) or not raw.strip():
        raise InvalidInput("query must be a non-empty string")
    if len(raw) > MAX_QUERY_CHARS:
        raise InvalidInput(f"query is longer than {MAX_QUERY_CHARS} characters")
    q = ParsedQuery(raw=raw, semantic="")
    q.phrases = [p.strip() for p in re.findall(r'"([^"]{2,100})"', raw) if p.strip()]
    cut = _Cut(" " + raw.replace("“", '"').replace("”", '"').replace('"', " ") + " ")
    _parse_count(cut, q)
    _parse_places(cut, q)
    _parse_formats(cut, q)
    _parse_sizes(cut, q)
    _parse_negations(cut, q)
    q.semantic = _clean_semantic(cut.text)
    if not q.semantic and q.phrases:
        q.semantic = " ".join(q.phrases)
    return q


__all__ = ["MAX_QUERY_CHARS", "ParsedQuery", "parse_query"]
