"""URL → :class:`~adlens.contextual.scoring.Document`: fetch, main text, metadata, language, images.

Steps (each timed by :func:`build_document`):

1. **fetch** through the fetch seam: static first; ``render=True`` always renders with Chromium;
   otherwise the fetcher's ``render="auto"`` renders pages that look JavaScript-only, and a static page
   whose main text comes out empty is rendered once more before giving up.
2. **extract** the main content with trafilatura (boilerplate, menus and footers removed), falling back
   to the visible body text (selectolax); title, meta description and keywords, headings, Open Graph tags.
3. **language** with py3langid. The text model is English MiniLM: other languages are flagged
   low-confidence with a note rather than refused.
4. **cap** the text at :data:`TEXT_CAP` characters (``truncated=True`` and a note).
5. **images**: the largest content images (declared or actual area; icons, logos, tracking pixels and
   SVGs skipped), downloaded with a byte cap and analysed by the image embedder (OCR, concepts).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from adlens.contextual.document_images import (
    IMAGE_MAX_BYTES,
    MAX_IMAGES,
    ImageCandidate,
    analyse_images,
    image_candidates,
)
from adlens.errors import AdlensError, InvalidInput, UnsupportedMedia
from adlens.fetch import Fetcher, Page, RenderMode, Resource, SyncFetcher

if TYPE_CHECKING:
    from adlens.contextual.scoring import Document
    from adlens.runtime import Runtime

log = logging.getLogger(__name__)

TEXT_CAP = 20_000
MAX_URL_CHARS = 2048
MIN_LANGUAGE_PROB = 0.6
_EXTRACT_HTML_CAP = 3_000_000  # trafilatura on a multi-megabyte page is slow; the head of it is enough
_TRACKING_PARAMS = frozenset({"fbclid", "gclid", "dclid", "msclkid", "yclid", "mc_cid", "mc_eid", "igshid"})

Progress = Callable[[str], None]

__all__ = [
    "IMAGE_MAX_BYTES",
    "MAX_IMAGES",
    "TEXT_CAP",
    "BuiltDocument",
    "ContextFetcher",
    "ImageCandidate",
    "PageParts",
    "build_document",
    "cap_text",
    "check_url",
    "detect_language",
    "extract_parts",
    "get_fetcher",
    "image_candidates",
    "normalise_url",
]


# --- URLs -------------------------------------------------------------------------------------------


def check_url(url: Any) -> str:
    """The URL stripped, or :class:`InvalidInput` when it is not an absolute http(s) URL."""
    if not isinstance(url, str) or not url.strip():
        raise InvalidInput("url must be a non-empty string")
    url = url.strip()
    if len(url) > MAX_URL_CHARS:
        raise InvalidInput(f"url is longer than {MAX_URL_CHARS} characters")
    try:
        parts = urlsplit(url)
        _ = parts.port
    except ValueError as exc:
        raise InvalidInput(f"invalid URL {url[:200]!r}: {exc}") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise InvalidInput(f"only http(s) URLs can be analysed, not {url[:200]!r}")
    if not parts.hostname or any(c.isspace() for c in url):
        raise InvalidInput(f"invalid URL {url[:200]!r}: no host or contains spaces")
    return url


def normalise_url(url: str) -> str:
    """Canonical cache key of a page URL: lower-case scheme and host, default port dropped, fragment dropped,
    query sorted, tracking parameters (``utm_*``, ``fbclid``, ``gclid``, …) removed, ``/`` for an empty path."""
    url = check_url(url)
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower().rstrip(".")
    if ":" in host:
        host = f"[{host}]"
    port = parts.port
    if port is not None and (scheme, port) not in (("http", 80), ("https", 443)):
        host = f"{host}:{port}"
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not k.lower().startswith("utm_") and k.lower() not in _TRACKING_PARAMS
    ]
    return urlunsplit((scheme, host, parts.path or "/", urlencode(sorted(query), quote_via=quote), ""))


# --- fetching ---------------------------------------------------------------------------------------


class ContextFetcher(SyncFetcher):
    """A blocking fetcher (own event loop thread, usable from any thread) that can also download several
    resources concurrently. URLs of this server's own demo pages are read from the package
    (:mod:`adlens.contextual.demo`), never from the network."""

    def __init__(self, fetcher: Fetcher | None = None, *, local_hosts: frozenset[str] | None = None) -> None:
        super().__init__(fetcher)
        self.local_hosts = local_hosts or frozenset({"127.0.0.1", "localhost", "::1"})

    def _demo_page(self, url: str) -> Page | None:
        from adlens.contextual.demo import demo_file, local_demo_file

        name = local_demo_file(url, self.local_hosts)
        if name is None:
            return None
        data, kind = demo_file(name)
        if not kind.startswith("text/html"):
            raise UnsupportedMedia(f"{url} is {kind}, expected text/html")
        return Page(url, url, 200, "text/html", "utf-8", data.decode("utf-8"))

    def _demo_resource(self, url: str) -> Resource | None:
        from adlens.contextual.demo import demo_file, local_demo_file

        name = local_demo_file(url, self.local_hosts)
        if name is None:
            return None
        data, kind = demo_file(name)
        return Resource(url, url, kind, data)

    def fetch(self, url: str, *, render: RenderMode | None = None) -> Page:
        return self._demo_page(url) or super().fetch(url, render=render)

    def fetch_resources(
        self, urls: Sequence[str], *, max_bytes: int = IMAGE_MAX_BYTES
    ) -> list[Resource | AdlensError]:
        async def one(url: str) -> Resource | AdlensError:
            try:
                local = self._demo_resource(url)
                if local is not None:
                    return local
                return await self.fetcher.fetch_resource(url, max_bytes=max_bytes)
            except AdlensError as exc:
                return exc

        async def many() -> list[Resource | AdlensError]:
            return list(await asyncio.gather(*(one(u) for u in urls)))

        return self._run(many())


def get_fetcher(runtime: Runtime) -> ContextFetcher:
    """The contextual app's fetcher for this runtime (built once; closed by ``runtime.close()``).

    It is separate from ``runtime.fetcher`` because an async httpx client belongs to one event loop, and
    analyses run both in API handlers and in job worker threads."""

    def build() -> ContextFetcher:
        hosts = {"127.0.0.1", "localhost", "::1", runtime.settings.host.lower()}
        return ContextFetcher(Fetcher.from_settings(runtime.settings), local_hosts=frozenset(hosts))

    return runtime.shared("contextual.fetcher", build)


# --- extraction -------------------------------------------------------------------------------------


@dataclass
class PageParts:
    """What the HTML says, before language detection and capping."""

    title: str = ""
    description: str = ""
    keywords: list[str] = field(default_factory=list)
    headings: list[str] = field(default_factory=list)
    og: dict[str, str] = field(default_factory=dict)
    text: str = ""
    extractor: str = "trafilatura"
    html_lang: str | None = None


def _clean(text: str | None) -> str:
    return " ".join((text or "").split())


def _meta(page: Page, *names: str) -> str:
    for name in names:
        for attr in ("name", "property"):
            node = page.dom.css_first(f'meta[{attr}="{name}"]')
            if node is not None:
                content = _clean(node.attributes.get("content"))
                if content:
                    return content
    return ""


def extract_parts(page: Page) -> PageParts:
    """Main text (trafilatura, else the visible body text) and metadata of a fetched page."""
    import trafilatura

    parts = PageParts()
    dom = page.dom
    parts.og = {
        key[3:]: _clean(node.attributes.get("content"))
        for node in dom.css('meta[property^="og:"]')
        if (key := node.attributes.get("property") or "") and node.attributes.get("content")
    }
    parts.title = page.title or parts.og.get("title", "")
    parts.description = _meta(page, "description", "og:description", "twitter:description")
    raw_keywords = _meta(page, "keywords", "news_keywords")
    parts.keywords = [k.strip() for k in raw_keywords.split(",") if k.strip()][:30]
    seen: set[str] = set()
    for node in dom.css("h1, h2, h3"):
        heading = _clean(node.text())
        if heading and heading not in seen and len(parts.headings) < 20:
            seen.add(heading)
            parts.headings.append(heading[:200])
    html_node = dom.css_first("html")
    if html_node is not None and html_node.attributes.get("lang"):
        parts.html_lang = (html_node.attributes.get("lang") or "").split("-")[0].lower() or None
    text = ""
    try:
        text = (
            trafilatura.extract(
                page.html[:_EXTRACT_HTML_CAP],
                url=page.final_url,
                include_comments=False,
                include_tables=True,
                include_images=False,
                deduplicate=True,
                favor_recall=True,
            )
            or ""
        )
    except Exception as exc:  # trafilatura/lxml choke on some markup: fall back, never fail the analysis
        log.warning("trafilatura failed on %s: %s", page.final_url, type(exc).__name__)
    text = "\n".join(_clean(line) for line in text.splitlines() if line.strip())
    if len(text) < 50:
        body = page.text
        if len(body) > len(text):
            text, parts.extractor = body, "body-text"
    parts.text = text
    return parts


_IDENTIFIER: Any = None


def detect_language(text: str) -> tuple[str | None, float]:
    """``(ISO 639-1 code, probability)`` from py3langid over the first 3,000 characters; ``(None, 0)`` for
    text too short to tell."""
    global _IDENTIFIER
    sample = text[:3000]
    if len(sample.strip()) < 20:
        return None, 0.0
    if _IDENTIFIER is None:
        from py3langid.langid import MODEL_FILE, LanguageIdentifier

        _IDENTIFIER = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    lang, prob = _IDENTIFIER.classify(sample)
    return str(lang), float(prob)


def cap_text(text: str, cap: int = TEXT_CAP) -> tuple[str, bool]:
    """``text`` cut to at most ``cap`` characters at a word boundary, and whether it was cut."""
    if len(text) <= cap:
        return text, False
    cut = text.rfind(" ", 0, cap)
    return text[: cut if cut > cap * 0.8 else cap], True


# --- the pipeline -----------------------------------------------------------------------------------


@dataclass
class BuiltDocument:
    """A scored-ready :class:`Document` plus what the pipeline learnt on the way."""

    document: Document
    page: Page
    parts: PageParts
    language_score: float
    low_confidence: bool
    notes: list[str]
    timings: dict[str, float]


def _fetch(fetcher: ContextFetcher, url: str, render: bool, notes: list[str]) -> tuple[Page, PageParts]:
    page = fetcher.fetch(url, render=True if render else "auto")
    parts = extract_parts(page)
    if not render and not page.rendered and len(parts.text) < 50 and page.dom.css_first("script") is not None:
        try:
            rendered = fetcher.fetch(url, render=True)
        except AdlensError as exc:
            notes.append(f"the static page had no text and rendering failed: {exc.message}")
        else:
            rendered_parts = extract_parts(rendered)
            if len(rendered_parts.text) > len(parts.text):
                page, parts = rendered, rendered_parts
    if page.rendered and not render:
        notes.append("the static page had no main text, so it was rendered with Chromium")
    return page, parts


def build_document(
    runtime: Runtime,
    url: str,
    *,
    render: bool = False,
    max_images: int = MAX_IMAGES,
    text_cap: int = TEXT_CAP,
    progress: Progress | None = None,
) -> BuiltDocument:
    """Fetch ``url`` and build the :class:`Document` the scorer reads (see the module docstring).

    Errors: malformed URL → ``InvalidInput``; refused address → ``Forbidden``; HTTP 4xx/5xx →
    ``UpstreamError``; not HTML → ``UnsupportedMedia``; a page with no readable text at all → ``InvalidInput``.
    """
    from adlens.contextual.scoring import Document

    def step(message: str) -> None:
        if progress is not None:
            progress(message)

    url = check_url(url)
    fetcher = get_fetcher(runtime)
    notes: list[str] = []
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    step("fetching the page")
    page, parts = _fetch(fetcher, url, render, notes)
    timings["fetch_extract_ms"] = (time.perf_counter() - t0) * 1000
    if not (parts.text or parts.title or parts.description):
        raise InvalidInput(f"{page.final_url} has no readable text (empty page)", detail={"url": url})
    low_confidence = False
    t1 = time.perf_counter()
    step("detecting the language")
    lang, lang_score = detect_language(parts.text or " ".join((parts.title, parts.description)))
    if lang is None:
        lang, lang_score = parts.html_lang, 0.0
    elif lang != "en" and lang_score < MIN_LANGUAGE_PROB:
        notes.append(f"language uncertain (py3langid: '{lang}' with p={lang_score:.2f}); scored as is")
    if lang is not None and lang != "en" and (lang_score >= MIN_LANGUAGE_PROB or lang == parts.html_lang):
        low_confidence = True
        notes.append(
            f"the page language is '{lang}'; the text model (MiniLM) was trained on English, so categories "
            "for other languages are unreliable (treat them as low-confidence)"
        )
    if len(parts.text) < 200:
        low_confidence = True
        notes.append(
            f"only {len(parts.text)} characters of main text: categories rest mostly on title and meta"
        )
    text, truncated = cap_text(parts.text, text_cap)
    if truncated:
        notes.append(
            f"text capped at {len(text):,} of {len(parts.text):,} characters (the start of the page)"
        )
    timings["language_ms"] = (time.perf_counter() - t1) * 1000
    t2 = time.perf_counter()
    candidates = image_candidates(page)
    images: list[Any] = []
    if candidates and max_images > 0:
        step(f"analysing up to {min(max_images, len(candidates))} image(s)")
        images = analyse_images(runtime, fetcher, candidates, parts.title, max_images, notes)
    timings["images_ms"] = (time.perf_counter() - t2) * 1000
    document = Document(
        url=page.final_url,
        title=parts.title,
        description=parts.description,
        headings=parts.headings,
        text=text,
        language=lang,
        meta_keywords=parts.keywords,
        images=images,
        truncated=truncated,
    )
    return BuiltDocument(document, page, parts, lang_score, low_confidence, notes, timings)
