"""What a fetch returns: :class:`Page` (an HTML document) and :class:`Resource` (raw bytes, e.g. an image)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any
from urllib.parse import urljoin

from selectolax.lexbor import LexborHTMLParser

from adlens.errors import UpstreamError

_INVISIBLE = "script, style, noscript, template, svg, iframe, object"


class UpstreamHTTPError(UpstreamError):
    """The remote server answered with an HTTP error status; ``upstream_status`` holds it."""

    def __init__(self, url: str, upstream_status: int) -> None:
        super().__init__(
            f"{url} answered HTTP {upstream_status}", detail={"url": url, "upstream_status": upstream_status}
        )
        self.url = url
        self.upstream_status = upstream_status


@dataclass(frozen=True)
class Page:
    """A fetched HTML page. ``html`` is the decoded document (the live DOM when ``rendered``)."""

    url: str
    final_url: str
    status: int
    content_type: str
    encoding: str
    html: str
    headers: dict[str, str] = field(default_factory=dict)
    redirects: tuple[str, ...] = ()
    elapsed_s: float = 0.0
    rendered: bool = False
    blocked: tuple[str, ...] = ()
    """URLs the page tried to load that the SSRF guard refused (rendered fetches only)."""

    @cached_property
    def dom(self) -> LexborHTMLParser:
        """The parsed document (parsed once, on first use)."""
        return LexborHTMLParser(self.html)

    @cached_property
    def text(self) -> str:
        """Visible text: scripts, styles and similar removed, whitespace collapsed."""
        tree = LexborHTMLParser(self.html)
        tree.strip_tags(_INVISIBLE.split(", "))
        root = tree.body or tree.root
        raw = root.text(separator=" ") if root is not None else ""
        return " ".join(raw.split())

    @property
    def title(self) -> str:
        node = self.dom.css_first("title")
        return " ".join(node.text().split()) if node is not None else ""

    def image_urls(self) -> list[str]:
        """Absolute ``src`` (or ``data-src``) URLs of the page's ``<img>`` elements, in order, unique."""
        out: dict[str, None] = {}
        for node in self.dom.css("img"):
            src = node.attributes.get("src") or node.attributes.get("data-src")
            if src and not src.startswith("data:"):
                out[urljoin(self.final_url, src.strip())] = None
        return list(out)

    def to_dict(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "final_url": self.final_url,
            "status": self.status,
            "content_type": self.content_type,
            "encoding": self.encoding,
            "redirects": list(self.redirects),
            "elapsed_s": self.elapsed_s,
            "rendered": self.rendered,
            "blocked": list(self.blocked),
            "title": self.title,
        }


@dataclass(frozen=True)
class Resource:
    """A downloaded non-HTML resource (an image, a PDF...)."""

    url: str
    final_url: str
    content_type: str
    data: bytes
    status: int = 200
    redirects: tuple[str, ...] = ()

    def __repr__(self) -> str:
        return f"Resource(url={self.final_url!r}, content_type={self.content_type!r}, bytes={len(self.data)})"


__all__ = ["Page", "Resource", "UpstreamHTTPError"]
