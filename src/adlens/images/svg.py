"""SVG images, never executed: a sanitised copy is rasterised by resvg, and their text is indexed.

:func:`sanitize_svg` parses the file with lxml (no DTD, no entity expansion, no network), then removes
every element that can run code or load something (``script``, ``foreignObject``, ``iframe``,
``object``, ``embed``, ``audio``, ``video``, ``handler``), every ``on*`` event attribute, every
``href``/``xlink:href``/``src`` that is not a same-document ``#fragment`` (so ``<image>`` and ``<use>``
cannot reach a file or the network), and every ``url(...)`` in ``style`` that is not a ``#fragment``.
The root size is clamped so the raster is at most :data:`MAX_SIDE` pixels a side. resvg itself
executes no scripts and is given no resource directory; the original bytes are never rendered.
"""

from __future__ import annotations

import re

from lxml import etree

from adlens.errors import InvalidInput, UnsupportedMedia

MAX_SIDE = 1024
DEFAULT_SIDE = 512
_DANGEROUS = frozenset(
    {"script", "foreignobject", "iframe", "object", "embed", "audio", "video", "handler", "listener", "set"}
)
_LINK_ATTRS = frozenset({"href", "src"})
_CSS_URL = re.compile(r"url\(\s*(['\"]?)(?!#)[^)]*\)", re.I)
_IMPORT = re.compile(r"@import[^;]*;?", re.I)
_NUMBER = re.compile(r"^\s*([0-9]*\.?[0-9]+)\s*(px)?\s*$")
_TEXT_TAGS = frozenset({"title", "desc", "text", "tspan", "textpath"})


def _local(tag: object) -> str:
    return etree.QName(tag).localname.lower() if isinstance(tag, str) else ""


def _parse(data: bytes) -> etree._Element:
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    try:
        root = etree.fromstring(data, parser=parser)
    except etree.XMLSyntaxError as exc:
        raise InvalidInput(f"malformed SVG: {exc}") from None
    if root is None or _local(root.tag) != "svg":
        raise UnsupportedMedia("not an SVG document")
    return root


def _size(root: etree._Element) -> tuple[float, float]:
    def num(name: str) -> float | None:
        m = _NUMBER.match(root.get(name) or "")
        return float(m.group(1)) if m else None

    width, height = num("width"), num("height")
    box = (root.get("viewBox") or "").replace(",", " ").split()
    if (width is None or height is None) and len(box) == 4:
        try:
            bw, bh = float(box[2]), float(box[3])
        except ValueError:
            bw = bh = 0.0
        if bw > 0 and bh > 0:
            if width is None and height is None:
                width, height = bw, bh
            elif width is None and height is not None:
                width = height * bw / bh
            elif height is None and width is not None:
                height = width * bh / bw
    return (width or DEFAULT_SIDE, height or DEFAULT_SIDE)


def _drop(el: etree._Element) -> None:
    """Remove ``el`` but keep its tail text."""
    parent = el.getparent()
    if parent is None:
        return
    if el.tail:
        prev = el.getprevious()
        if prev is not None:
            prev.tail = (prev.tail or "") + el.tail
        else:
            parent.text = (parent.text or "") + el.tail
    parent.remove(el)


def sanitize_svg(data: bytes, *, max_side: int = MAX_SIDE) -> bytes:
    """A copy of the SVG with nothing that can execute or load (see the module docstring)."""
    root = _parse(data)
    for el in list(root.iter()):
        if not isinstance(el.tag, str):  # entity references (never expanded), comments, PIs
            _drop(el)
            continue
        if _local(el.tag) in _DANGEROUS:
            _drop(el)
            continue
        for name in list(el.attrib):
            local = _local(name)
            value = el.attrib[name]
            if local.startswith("on") or (local in _LINK_ATTRS and not value.strip().startswith("#")):
                del el.attrib[name]
            elif "url(" in value.lower():
                el.attrib[name] = _CSS_URL.sub("none", value)
        if _local(el.tag) == "style" and el.text:
            el.text = _IMPORT.sub("", _CSS_URL.sub("none", el.text))
    width, height = _size(root)
    scale = min(1.0, max_side / max(width, height, 1.0))
    w, h = max(1, round(width * scale)), max(1, round(height * scale))
    if not root.get("viewBox"):
        root.set("viewBox", f"0 0 {width:g} {height:g}")
    root.set("width", str(w))
    root.set("height", str(h))
    return etree.tostring(root, encoding="utf-8")


def svg_text(data: bytes, limit: int = 1000) -> str:
    """The words an SVG shows or declares (``title``, ``desc``, ``text``), whitespace collapsed."""
    try:
        root = _parse(data)
    except (InvalidInput, UnsupportedMedia):
        return ""
    parts: list[str] = []
    for el in root.iter():
        if isinstance(el.tag, str) and _local(el.tag) in _TEXT_TAGS:
            text = " ".join("".join(el.itertext()).split())
            if text and text not in parts and not any(text in p for p in parts):
                parts.append(text)
    return " ".join(parts)[:limit]


def rasterize_svg(data: bytes, *, max_side: int = MAX_SIDE) -> bytes:
    """PNG bytes of the sanitised SVG (white background); :class:`InvalidInput` when it cannot render."""
    import resvg_py

    safe = sanitize_svg(data, max_side=max_side).decode("utf-8")
    try:
        return bytes(resvg_py.svg_to_bytes(svg_string=safe, background="#ffffff"))
    except (ValueError, RuntimeError) as exc:
        raise InvalidInput(f"SVG could not be rendered: {exc}") from None


__all__ = ["MAX_SIDE", "rasterize_svg", "sanitize_svg", "svg_text"]
