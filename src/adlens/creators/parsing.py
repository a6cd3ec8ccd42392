"""Parse human-formatted numbers: ``"475.8m"``, ``"3.3k"``, ``"29.0b"``, ``"1.39%"``, ``"1,234,567"``.

Every parser returns ``None`` for empty/missing values (``""``, ``NaN``, ``N/A``, ``-``, ``None``) and
raises :class:`ValueError` with a short reason for anything else it cannot read, so callers can report
the row instead of dropping it.
"""

from __future__ import annotations

import math
import re
from typing import Any

__all__ = ["MISSING", "is_missing", "parse_count", "parse_number", "parse_rate", "parse_text"]

MISSING = frozenset({"", "nan", "none", "null", "n/a", "na", "-", "--", "—", "?"})
_SUFFIX = {"": 1.0, "k": 1e3, "m": 1e6, "mm": 1e6, "b": 1e9, "bn": 1e9, "t": 1e12}
_WORDS = {"thousand": "k", "million": "m", "mio": "m", "billion": "b", "mln": "m"}
_NUM_RE = re.compile(r"^([+-]?)(\d+(?:[.,]\d+)*|\d*[.,]\d+)\s*([a-z]*)\s*(%?)$")


def is_missing(value: Any) -> bool:
    """True for None, NaN and the usual spellings of "no value"."""
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and value.strip().lower() in MISSING


def _digits(body: str) -> float:
    """``1,234,567`` / ``1.234.567`` / ``1,5`` / ``3.3`` -> float (thousand separators vs decimals)."""
    if "," in body and "." in body:
        # the last separator is the decimal one: 1,234.5 or 1.234,5
        if body.rfind(",") > body.rfind("."):
            body = body.replace(".", "").replace(",", ".")
        else:
            body = body.replace(",", "")
    elif "," in body:
        parts = body.split(",")
        if len(parts) > 2 or all(len(p) == 3 for p in parts[1:]):
            body = body.replace(",", "")  # 1,234 / 12,345,678 are thousands
        else:
            body = body.replace(",", ".")  # 1,5 is a decimal comma
    elif body.count(".") > 1:
        body = body.replace(".", "")  # 1.234.567
    return float(body)


def parse_number(value: Any) -> float | None:
    """A number with an optional k/m/b suffix or ``%`` (returned as written: ``"1.39%"`` -> 1.39)."""
    if is_missing(value):
        return None
    if isinstance(value, bool):
        raise ValueError(f"expected a number, got {value!r}")
    if isinstance(value, int | float):
        if not math.isfinite(float(value)):
            raise ValueError(f"not a finite number: {value!r}")
        return float(value)
    text = str(value).strip().lower().replace("\u00a0", "").replace(" ", "").replace("_", "")
    if text.rstrip("%") in MISSING:
        return None
    text = text.lstrip("~≈").rstrip("+")
    for word, suffix in _WORDS.items():
        if text.endswith(word):
            text = text[: -len(word)] + suffix
    m = _NUM_RE.match(text)
    if not m or m.group(3) not in _SUFFIX:
        raise ValueError(f"not a number: {str(value)[:40]!r}")
    sign, body, suffix, _pct = m.groups()
    number = _digits(body) * _SUFFIX[suffix]
    return -number if sign == "-" else number


def parse_count(value: Any) -> int | None:
    """A non-negative count (followers, posts, likes): ``"475.8m"`` -> 475_800_000."""
    number = parse_number(value)
    if number is None:
        return None
    if isinstance(value, str) and value.strip().endswith("%"):
        raise ValueError(f"expected a count, got a percentage {value!r}")
    if number < 0:
        raise ValueError(f"a count cannot be negative: {value!r}")
    return round(number)


def parse_rate(value: Any) -> float | None:
    """An engagement rate as a fraction: ``"1.39%"`` -> 0.0139; ``0.0139`` stays; ``1.39`` (no %) -> 0.0139.

    A bare number above 1 is read as a percentage (nobody has a 139 % engagement rate as a fraction
    of 1.39); rates above 100 % are rejected.
    """
    number = parse_number(value)
    if number is None:
        return None
    is_pct = isinstance(value, str) and value.strip().endswith("%")
    rate = number / 100.0 if (is_pct or number > 1.0) else number
    if rate < 0 or rate > 1.0:
        raise ValueError(f"engagement rate out of range 0-100%: {value!r}")
    return rate


def parse_text(value: Any, max_len: int = 5000) -> str | None:
    """Stripped text, ``None`` when missing; longer text is cut at ``max_len``."""
    if is_missing(value):
        return None
    text = " ".join(str(value).split())
    return text[:max_len] or None
