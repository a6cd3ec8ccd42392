"""The image step of the document pipeline: pick a page's largest content images, download them with a
byte cap and analyse them with the image embedder (OCR, concepts, text-space vector).

Skipped: data URIs, SVG/ICO, declared or actual sizes under 64 px, very long strips (ad banners, dividers)
and file names that look like icons, logos, ads or tracking pixels.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

from adlens.errors import AdlensError
from adlens.fetch import Page

if TYPE_CHECKING:
    from adlens.contextual.document import ContextFetcher
    from adlens.runtime import Runtime

MAX_IMAGES = 4
IMAGE_MAX_BYTES = 5 * 1024 * 1024
MIN_IMAGE_SIDE = 64
MAX_ASPECT = 6.0
_SKIP_IMAGE = re.compile(
    r"(pixel|spacer|blank|transparent|tracking|tracker|beacon|sprite|icon|favicon|logo|avatar|badge|"
    r"emoji|1x1|ads?[-_/]|banner)",
    re.IGNORECASE,
)

__all__ = ["IMAGE_MAX_BYTES", "MAX_IMAGES", "ImageCandidate", "analyse_images", "image_candidates"]


def _clean(text: str | None) -> str:
    return " ".join((text or "").split())


@dataclass
class ImageCandidate:
    url: str
    alt: str = ""
    declared_area: int | None = None
    in_main: bool = False
    order: int = 0


def _int_attr(value: str | None) -> int | None:
    m = re.match(r"\s*(\d+)", value or "")
    return int(m.group(1)) if m else None


def image_candidates(page: Page) -> list[ImageCandidate]:
    """Content images of a page, best first: declared area (``width``×``height``), images inside
    ``<main>``/``<article>`` first among equals, then document order. Skipped: data URIs, SVGs, declared
    sizes under 64 px, and file names that look like icons, logos, ads or tracking pixels."""
    main_nodes = {id(n) for root in page.dom.css("main, article") for n in root.css("img")}
    found: dict[str, ImageCandidate] = {}
    for order, node in enumerate(page.dom.css("img")):
        attrs = node.attributes
        src = attrs.get("src") or attrs.get("data-src") or attrs.get("data-lazy-src") or ""
        if not src and attrs.get("srcset"):
            src = (attrs.get("srcset") or "").split(",")[0].strip().split(" ")[0]
        src = src.strip()
        if not src or src.startswith("data:"):
            continue
        url = urljoin(page.final_url, src)
        path = urlsplit(url).path.lower()
        if path.endswith((".svg", ".svgz", ".ico")) or _SKIP_IMAGE.search(path.rsplit("/", 1)[-1]):
            continue
        width, height = _int_attr(attrs.get("width")), _int_attr(attrs.get("height"))
        if (width is not None and width < MIN_IMAGE_SIDE) or (height is not None and height < MIN_IMAGE_SIDE):
            continue
        area = width * height if width is not None and height is not None else None
        if url not in found:
            found[url] = ImageCandidate(
                url, _clean(attrs.get("alt"))[:300], area, id(node) in main_nodes, order
            )
    og_image = page.dom.css_first('meta[property="og:image"]')
    if og_image is not None and og_image.attributes.get("content"):
        url = urljoin(page.final_url, (og_image.attributes.get("content") or "").strip())
        if url not in found and not urlsplit(url).path.lower().endswith((".svg", ".ico")):
            found[url] = ImageCandidate(url, "", None, True, 10_000)
    return sorted(found.values(), key=lambda c: (-(c.declared_area or 0), not c.in_main, c.order))


def _pixel_size(data: bytes) -> tuple[int, int] | None:
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as img:
            return int(img.width), int(img.height)
    except Exception:
        return None


def analyse_images(
    runtime: Runtime,
    fetcher: ContextFetcher,
    candidates: list[ImageCandidate],
    page_title: str,
    max_images: int,
    notes: list[str],
) -> list[Any]:
    from adlens.contextual.scoring import ImageEvidence
    from adlens.embed.image import ImageContext

    if max_images <= 0 or not candidates:
        return []
    tried = candidates[: max_images * 2]
    downloads = fetcher.fetch_resources([c.url for c in tried], max_bytes=IMAGE_MAX_BYTES)
    usable: list[tuple[int, ImageCandidate, bytes, int, int]] = []
    failed = 0
    for cand, res in zip(tried, downloads, strict=True):
        if isinstance(res, AdlensError):
            failed += 1
            continue
        size = _pixel_size(res.data)
        if size is None:
            failed += 1
            continue
        w, h = size
        if min(w, h) < MIN_IMAGE_SIDE or max(w, h) > MAX_ASPECT * min(w, h) or w * h > 40_000_000:
            continue
        usable.append((w * h, cand, res.data, w, h))
    if failed:
        notes.append(f"{failed} image(s) could not be downloaded or decoded and were skipped")
    usable.sort(key=lambda u: -u[0])
    usable = usable[:max_images]
    if not usable:
        return []
    contexts = [ImageContext(alt=c.alt, page_title=page_title) for _, c, _, _, _ in usable]
    analyses = runtime.image_embedder.analyze_many(
        [data for _, _, data, _, _ in usable], contexts=contexts, return_errors=True
    )
    out = []
    for (area, cand, _, _, _), analysis in zip(usable, analyses, strict=True):
        if isinstance(analysis, AdlensError):
            continue
        out.append(
            ImageEvidence(
                url=cand.url,
                alt=cand.alt,
                concepts=[label for label, _ in analysis.concepts[:5]],
                ocr_text=_clean(analysis.ocr_text)[:500],
                text_vector=analysis.text_vector,
                area=area,
            )
        )
    return out
