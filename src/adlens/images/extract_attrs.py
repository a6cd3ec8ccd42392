"""Attribute-level parsing for image extraction: ``srcset`` candidates, declared sizes, placeholders,
tracking pixels (used by :mod:`adlens.images.extract`)."""

from __future__ import annotations

import re

from selectolax.lexbor import LexborNode

LAZY_SRC_ATTRS = ("data-src", "data-lazy-src", "data-original", "data-lazy", "data-url", "data-hi-res-src")
LAZY_SRCSET_ATTRS = ("data-srcset", "data-lazy-srcset")
TRACKING_HOSTS = (
    "google-analytics.com", "googletagmanager.com", "doubleclick.net", "facebook.com/tr",
    "bat.bing.com", "pixel.wp.com", "stats.g.doubleclick.net", "analytics.twitter.com", "px.ads.linkedin.com",
)  # fmt: skip
_PLACEHOLDER_RE = re.compile(
    r"(blank|spacer|placeholder|transparent|lazy|loading|1x1|pixel)\.(gif|png|svg)", re.I
)
_PX_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(px)?\s*$", re.I)
_STYLE_DIM_RE = re.compile(r"(?<![-\w])(width|height)\s*:\s*(\d+(?:\.\d+)?)px", re.I)


def parse_srcset(value: str) -> list[tuple[str, float, str]]:
    """``srcset`` candidates as ``(url, size, unit)``: unit ``w`` (width), ``x`` (density) or ``""``."""
    out: list[tuple[str, float, str]] = []
    i, n = 0, len(value)
    while i < n:
        while i < n and (value[i].isspace() or value[i] == ","):
            i += 1
        start = i
        while i < n and not value[i].isspace():
            i += 1
        url = value[start:i]
        descriptor = ""
        if url.endswith(","):
            url = url.rstrip(",")
        else:
            depth, dstart = 0, i
            while i < n and (value[i] != "," or depth):
                depth += value[i] == "("
                depth -= value[i] == ")"
                i += 1
            descriptor = value[dstart:i].strip()
        if not url:
            continue
        size, unit = 1.0, ""
        m = re.match(r"^(\d+(?:\.\d+)?)([wx])$", descriptor.split()[0]) if descriptor else None
        if m:
            size, unit = float(m.group(1)), m.group(2)
        out.append((url, size, unit))
    return out


def largest_candidate(candidates: list[tuple[str, float, str]]) -> str | None:
    """The candidate with the largest width (``w``), else density (``x``); ties keep document order."""
    if not candidates:
        return None
    widths = [c for c in candidates if c[2] == "w"]
    pool = widths or candidates
    best = pool[0]
    for cand in pool[1:]:
        if cand[1] > best[1]:
            best = cand
    return best[0]


def dimension(value: str | None) -> int | None:
    if not value:
        return None
    m = _PX_RE.match(value)
    return int(float(m.group(1))) if m else None


def declared_size(node: LexborNode) -> tuple[int | None, int | None]:
    """Width and height from the ``width``/``height`` attributes, else from inline ``style`` pixels."""
    attrs = node.attributes
    width, height = dimension(attrs.get("width")), dimension(attrs.get("height"))
    for prop, number in _STYLE_DIM_RE.findall(attrs.get("style") or ""):
        if prop.lower() == "width" and width is None:
            width = int(float(number))
        elif prop.lower() == "height" and height is None:
            height = int(float(number))
    return width, height


def is_placeholder_src(src: str | None) -> bool:
    """A ``src`` that only holds a place for a lazily loaded image (empty, ``data:``, a spacer GIF)."""
    if not src or not src.strip():
        return True
    src = src.strip()
    return src.startswith("data:") or src in ("#", "about:blank") or bool(_PLACEHOLDER_RE.search(src))


def is_tracking_url(url: str) -> bool:
    lowered = url.lower()
    return any(host in lowered for host in TRACKING_HOSTS)


__all__ = [
    "LAZY_SRCSET_ATTRS",
    "LAZY_SRC_ATTRS",
    "TRACKING_HOSTS",
    "declared_size",
    "dimension",
    "is_placeholder_src",
    "is_tracking_url",
    "largest_candidate",
    "parse_srcset",
]
