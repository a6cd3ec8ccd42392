"""Find every image of an HTML page (static or rendered DOM) together with what the page says about it.

Sources (``FoundImage.source``): ``img`` (``src``), ``srcset`` (the largest candidate of ``srcset``),
``picture`` (the largest candidate over ``<source>`` and ``<img>``), ``lazy`` (``data-src``,
``data-lazy-src``, ``data-original``, ``data-srcset``… in place of a placeholder ``src``), ``poster``
(``<video poster>``), ``og`` / ``twitter`` (``<meta>`` images), ``css`` (inline ``style`` with
``url(...)``) and ``link`` (``<a href>`` to an image file). URLs are resolved against ``<base href>`` and
the page URL; fragments are dropped; ``data:`` URIs, declared 1×1/2×2 placeholders and well-known
tracking hosts are dropped (counted in ``PageExtraction.dropped``).

Per image: alt, title, figcaption, aria-label, class names, the nearest preceding heading, bounded
surrounding text (:data:`CONTEXT_CHARS`) and the declared width/height (attributes or inline style).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from urllib.parse import urldefrag, urljoin, urlsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

from adlens.images.extract_attrs import (
    LAZY_SRC_ATTRS,
    LAZY_SRCSET_ATTRS,
    declared_size,
    dimension,
    is_placeholder_src,
    is_tracking_url,
    largest_candidate,
    parse_srcset,
)

CONTEXT_CHARS = 600
IMAGE_EXTENSIONS = (
    ".jpg",
    ".jpeg",
    ".png",
    ".gif",
    ".webp",
    ".avif",
    ".svg",
    ".bmp",
    ".ico",
    ".tif",
    ".tiff",
)
NON_HTML_EXTENSIONS = (
    *IMAGE_EXTENSIONS,
    ".pdf", ".zip", ".gz", ".tgz", ".rar", ".7z", ".csv", ".xls", ".xlsx", ".doc", ".docx", ".ppt",
    ".pptx", ".mp3", ".mp4", ".m4v", ".mov", ".avi", ".webm", ".ogg", ".wav", ".exe", ".dmg", ".apk",
    ".iso", ".css", ".js", ".json", ".xml", ".rss", ".atom", ".woff", ".woff2", ".ttf", ".eot",
)  # fmt: skip

_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_INVISIBLE = frozenset({"script", "style", "noscript", "template", "svg", "iframe", "object", "head"})
_BLOCKS = frozenset(
    {"p", "figure", "li", "td", "th", "section", "article", "div", "blockquote", "dd", "main"}
)
_CSS_URL_RE = re.compile(r"url\(\s*(['\"]?)(.*?)\1\s*\)", re.I)


@dataclass
class FoundImage:
    """One image reference on a page, before download."""

    url: str
    source: str
    alt: str = ""
    title: str = ""
    caption: str = ""
    aria_label: str = ""
    classes: list[str] = field(default_factory=list)
    heading: str = ""
    context: str = ""
    declared_width: int | None = None
    declared_height: int | None = None


@dataclass
class PageExtraction:
    """What a page offers the crawler: its images, its links and its title."""

    url: str
    base_url: str
    title: str
    images: list[FoundImage]
    links: list[str]
    dropped: int = 0


def _clean(text: str | None, limit: int = 300) -> str:
    return " ".join((text or "").split())[:limit]


def visible_text(node: LexborNode, limit: int = CONTEXT_CHARS) -> str:
    """The node's text without scripts, styles and similar, whitespace collapsed, at most ``limit``."""
    parts: list[str] = []
    size = 0
    stack = [node]
    while stack and size < limit:
        cur = stack.pop()
        if cur.is_text_node:
            chunk = cur.text_content or ""
            if chunk.strip():
                parts.append(chunk)
                size += len(chunk)
            continue
        if cur.tag in _INVISIBLE:
            continue
        children = []
        child = cur.child
        while child is not None:
            children.append(child)
            child = child.next
        stack.extend(reversed(children))
    return _clean(" ".join(parts), limit)


def is_image_url(url: str) -> bool:
    return urlsplit(url).path.lower().endswith(IMAGE_EXTENSIONS)


def _ancestor(node: LexborNode, tags: frozenset[str] | set[str]) -> LexborNode | None:
    cur = node.parent
    while cur is not None and cur.tag not in ("body", "html", "-undef"):
        if cur.tag in tags:
            return cur
        cur = cur.parent
    return None


def _element_siblings(node: LexborNode, forward: bool, count: int) -> list[LexborNode]:
    out: list[LexborNode] = []
    cur = node.next if forward else node.prev
    while cur is not None and len(out) < count:
        if cur.is_element_node and cur.tag not in _INVISIBLE and cur.tag != "nav":
            out.append(cur)
        cur = cur.next if forward else cur.prev
    return out


def _surrounding(node: LexborNode, limit: int, *, include_self: bool = False) -> str:
    """Text of the nearest block ancestor with at least 40 characters; when only ``body`` is that big,
    the text of the image's top-level block and its neighbours (bounded by ``limit``)."""
    cur, top = node.parent, node
    best = ""
    if include_self and node.tag not in ("img", "video"):
        own = visible_text(node, limit)
        if len(own) >= 40:
            return own
        best = own
    while cur is not None and cur.tag not in ("body", "html", "-undef"):
        if cur.tag in _BLOCKS:
            text = visible_text(cur, limit)
            if len(text) >= 40:
                return text
            best = best or text
        top, cur = cur, cur.parent
    if cur is None or cur.tag != "body":
        return best
    blocks = [*reversed(_element_siblings(top, False, 1)), top, *_element_siblings(top, True, 1)]
    texts = [visible_text(b, limit) if b is not node else "" for b in blocks]
    return _clean(" ".join(t for t in texts if t), limit) or best


class _Doc:
    """A parsed page plus the document order of its elements (for "nearest preceding heading")."""

    def __init__(self, html: str, page_url: str, context_chars: int) -> None:
        self.tree = LexborHTMLParser(html)
        self.context_chars = context_chars
        base = self.tree.css_first("base[href]")
        base_href = (base.attributes.get("href") or "").strip() if base is not None else ""
        self.base_url = urljoin(page_url, base_href) if base_href else page_url
        self.order: dict[int, int] = {}
        self.headings: list[tuple[int, str]] = []
        root = self.tree.root
        if root is not None:
            for i, el in enumerate(root.traverse(include_text=False)):
                self.order[el.mem_id] = i
                if el.tag in _HEADINGS:
                    text = visible_text(el, 200)
                    if text:
                        self.headings.append((i, text))

    def resolve(self, url: str | None) -> str | None:
        if not url:
            return None
        url = url.strip()
        if not url or url.startswith(("data:", "javascript:", "mailto:", "tel:", "blob:", "about:")):
            return None
        absolute = urldefrag(urljoin(self.base_url, url))[0]
        return absolute if urlsplit(absolute).scheme in ("http", "https") else None

    def heading_before(self, node: LexborNode) -> str:
        pos = self.order.get(node.mem_id)
        if pos is None:
            return ""
        found = ""
        for i, text in self.headings:
            if i >= pos:
                break
            found = text
        return found

    def describe(self, node: LexborNode, url: str, source: str) -> FoundImage:
        attrs = node.attributes
        figure = _ancestor(node, {"figure"})
        caption_node = figure.css_first("figcaption") if figure is not None else None
        width, height = declared_size(node)
        return FoundImage(
            url=url,
            source=source,
            alt=_clean(attrs.get("alt")),
            title=_clean(attrs.get("title")),
            caption=visible_text(caption_node, 300) if caption_node is not None else "",
            aria_label=_clean(attrs.get("aria-label")),
            classes=[c for c in (attrs.get("class") or "").split() if c][:20],
            heading=self.heading_before(node),
            context=_surrounding(node, self.context_chars, include_self=source == "css"),
            declared_width=width,
            declared_height=height,
        )


def _img_url(doc: _Doc, node: LexborNode) -> tuple[str | None, str]:
    """The URL an ``<img>`` really shows, and its source kind."""
    attrs = node.attributes
    src = attrs.get("src")
    lazy = next((attrs[a] for a in LAZY_SRC_ATTRS if attrs.get(a)), None)
    lazy_set = next((attrs[a] for a in LAZY_SRCSET_ATTRS if attrs.get(a)), None)
    if lazy_set:
        best = largest_candidate(parse_srcset(lazy_set))
        if best:
            return doc.resolve(best), "lazy"
    if lazy and (is_placeholder_src(src) or doc.resolve(lazy) != doc.resolve(src)):
        return doc.resolve(lazy), "lazy"
    picture = node.parent if node.parent is not None and node.parent.tag == "picture" else None
    if picture is not None:
        candidates: list[tuple[str, float, str]] = []
        for source in picture.css("source"):
            candidates += parse_srcset(
                source.attributes.get("srcset") or source.attributes.get("data-srcset") or ""
            )
        candidates += parse_srcset(attrs.get("srcset") or "")
        if src and not is_placeholder_src(src):
            candidates.append((src, float(dimension(attrs.get("width")) or 0), "w"))
        best = largest_candidate(candidates)
        if best:
            return doc.resolve(best), "picture"
    srcset = attrs.get("srcset")
    if srcset:
        best = largest_candidate(parse_srcset(srcset))
        if best and doc.resolve(best) != doc.resolve(src):
            return doc.resolve(best), "srcset"
    if is_placeholder_src(src):
        return None, "img"
    return doc.resolve(src), "img"


def _meta_images(doc: _Doc) -> list[tuple[str, str, str]]:
    """``(url, source, alt)`` of og:image and twitter:image."""
    out: list[tuple[str, str, str]] = []
    alts: dict[str, str] = {}
    for meta in doc.tree.css("meta"):
        key = (meta.attributes.get("property") or meta.attributes.get("name") or "").strip().lower()
        content = meta.attributes.get("content") or ""
        if key in ("og:image:alt", "twitter:image:alt"):
            alts[key.split(":")[0]] = _clean(content)
        elif key in ("og:image", "og:image:url", "og:image:secure_url"):
            out.append((content, "og", ""))
        elif key in ("twitter:image", "twitter:image:src"):
            out.append((content, "twitter", ""))
    return [(u, s, alts.get(s, "")) for u, s, _ in out]


def extract_page(html: str, page_url: str, *, context_chars: int = CONTEXT_CHARS) -> PageExtraction:
    """Images and links of a page (see the module docstring). ``page_url`` is the final URL."""
    doc = _Doc(html, page_url, context_chars)
    found: dict[str, FoundImage] = {}
    dropped = 0

    def add(image: FoundImage | None) -> None:
        nonlocal dropped
        if image is None:
            dropped += 1
            return
        w, h = image.declared_width, image.declared_height
        if (w is not None and w <= 2 and (h is None or h <= 2)) or (h is not None and h <= 2 and w is None):
            dropped += 1
            return
        if is_tracking_url(image.url):
            dropped += 1
            return
        old = found.get(image.url)
        if old is None:
            found[image.url] = image
            return
        for name in ("alt", "title", "caption", "aria_label", "heading", "context"):  # fill gaps only
            if not getattr(old, name) and getattr(image, name):
                setattr(old, name, getattr(image, name))

    for node in doc.tree.css("img"):
        url, source = _img_url(doc, node)
        add(doc.describe(node, url, source) if url else None)
    for node in doc.tree.css("video[poster]"):
        url = doc.resolve(node.attributes.get("poster"))
        add(doc.describe(node, url, "poster") if url else None)
    first_h1 = next((t for _, t in doc.headings), "")
    description = doc.tree.css_first('meta[name="description"]')
    desc = _clean(description.attributes.get("content"), context_chars) if description is not None else ""
    for raw, source, alt in _meta_images(doc):
        url = doc.resolve(raw)
        add(FoundImage(url, source, alt=alt, heading=first_h1, context=desc) if url else None)
    for node in doc.tree.css("[style]"):
        for _q, raw in _CSS_URL_RE.findall(node.attributes.get("style") or ""):
            url = doc.resolve(raw)
            if url is None:
                dropped += 1
                continue
            image = doc.describe(node, url, "css")
            image.alt = image.alt if node.tag == "img" else ""
            add(replace(image, declared_width=None, declared_height=None))
    links: dict[str, None] = {}
    for node in doc.tree.css("a[href], area[href]"):
        url = doc.resolve(node.attributes.get("href"))
        if url is None:
            continue
        if is_image_url(url):
            image = doc.describe(node, url, "link")
            inner = node.css_first("img")
            image.alt = visible_text(node, 300) or (
                _clean(inner.attributes.get("alt")) if inner is not None else ""
            )
            add(replace(image, declared_width=None, declared_height=None))
        elif not urlsplit(url).path.lower().endswith(NON_HTML_EXTENSIONS):
            links[url] = None
    title_node = doc.tree.css_first("title")
    title = visible_text(title_node, 300) if title_node is not None else ""
    if not title:
        og_title = doc.tree.css_first('meta[property="og:title"]')
        title = _clean(og_title.attributes.get("content")) if og_title is not None else first_h1
    return PageExtraction(page_url, doc.base_url, title, list(found.values()), list(links), dropped)


__all__ = [
    "CONTEXT_CHARS",
    "IMAGE_EXTENSIONS",
    "NON_HTML_EXTENSIONS",
    "FoundImage",
    "PageExtraction",
    "declared_size",
    "extract_page",
    "is_image_url",
    "is_placeholder_src",
    "is_tracking_url",
    "largest_candidate",
    "parse_srcset",
    "visible_text",
]
