"""Decode an HTML body: BOM → HTTP ``charset`` → ``<meta charset>``/http-equiv → UTF-8 → charset-normalizer.

Labels follow the WHATWG Encoding Standard where it matters in practice: ``iso-8859-1``, ``latin1`` and
``us-ascii`` mean windows-1252 on the web.
"""

from __future__ import annotations

import codecs
import re

from charset_normalizer import from_bytes

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_WEB_ALIASES = {
    "iso8859-1": "cp1252",
    "latin-1": "cp1252",
    "ascii": "cp1252",
    "iso8859-9": "cp1254",
    "tis-620": "cp874",
}
# Encodings the WHATWG Encoding Standard knows (so DOS/Mac code pages are never guessed for web pages).
_WEB_ENCODINGS = (
    "utf_8", "cp1252", "cp1250", "cp1251", "cp1253", "cp1254", "cp1255", "cp1256", "cp1257", "cp1258",
    "iso8859_2", "iso8859_4", "iso8859_5", "iso8859_6", "iso8859_7", "iso8859_8", "iso8859_10",
    "iso8859_13", "iso8859_14", "iso8859_15", "iso8859_16", "koi8_r", "koi8_u", "mac_cyrillic", "cp866",
    "cp874", "gb18030", "big5", "shift_jis", "euc_jp", "iso2022_jp", "euc_kr",
)  # fmt: skip
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:\-]+)""", re.IGNORECASE)
_HEADER_CHARSET = re.compile(r"""charset\s*=\s*["']?\s*([A-Za-z0-9_.:\-]+)""", re.IGNORECASE)
_PRESCAN_BYTES = 4096


def normalize_label(label: str | None) -> str | None:
    """A Python codec name for an encoding label, or None when unknown."""
    if not label:
        return None
    try:
        name = codecs.lookup(label.strip().strip("\"'")).name
    except LookupError:
        return None
    if name in ("utf-16", "utf-32"):
        return None  # a document declaring utf-16 without a BOM is really ASCII-compatible (WHATWG)
    return _WEB_ALIASES.get(name, name)


def charset_from_content_type(content_type: str | None) -> str | None:
    """The ``charset`` parameter of a Content-Type header, normalized."""
    match = _HEADER_CHARSET.search(content_type or "")
    return normalize_label(match.group(1)) if match else None


def charset_from_meta(body: bytes) -> str | None:
    """The charset declared by ``<meta charset>`` or ``<meta http-equiv=Content-Type>`` in the first 4 KiB."""
    match = _META_CHARSET.search(body[:_PRESCAN_BYTES])
    return normalize_label(match.group(1).decode("ascii", "replace")) if match else None


def decode_html(body: bytes, content_type: str | None = None) -> tuple[str, str]:
    """Decode ``body``; return ``(text, codec_name)``. Never raises: undecodable bytes become U+FFFD."""
    for bom, name in _BOMS:
        if body.startswith(bom):
            return body[len(bom) :].decode(name, "replace"), name
    declared = charset_from_content_type(content_type) or charset_from_meta(body)
    if declared:
        return body.decode(declared, "replace"), declared
    try:
        return body.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    guessed = _guess(body[:65536])
    if guessed is None or guessed == "utf-8":
        guessed = "cp1252"  # the web's most common legacy encoding; never fails
    return body.decode(guessed, "replace"), guessed


def _guess(sample: bytes) -> str | None:
    """charset-normalizer's guess; on a tie with windows-1252 (e.g. cp1250 for French), prefer windows-1252,
    the legacy encoding browsers assume for undeclared Western pages."""
    matches = from_bytes(sample, cp_isolation=list(_WEB_ENCODINGS))
    best = matches.best()
    if best is None:
        return None
    for match in matches:
        if (
            normalize_label(match.encoding) == "cp1252"
            and match.chaos <= best.chaos + 1e-6
            and match.coherence >= best.coherence - 1e-6
        ):
            return "cp1252"
    return normalize_label(best.encoding)


__all__ = ["charset_from_content_type", "charset_from_meta", "decode_html", "normalize_label"]
