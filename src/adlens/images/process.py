"""Downloaded images → store records: analysis through the embed seam, cached by content hash.

One batch at a time (:meth:`ImageProcessor.process`): the bytes of every new content hash are analysed
with one ``analyze_many`` call (no page context, so the analysis is reusable; the page context enters
through :func:`adlens.images.vectors.build_vectors_many`), SVGs are rasterised from a sanitised copy
(:mod:`adlens.images.svg`) and their text kept, a thumbnail is written per content hash, and the
metadata of the images contract is assembled. Analyses are cached in memory and in the runtime cache
(namespace ``images.analysis``, key = SHA-256 of the bytes + OCR mode), so the same image on a hundred
pages — or in two crawls — is analysed once.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np

from adlens.embed import ImageAnalysis
from adlens.errors import AdlensError, InvalidInput
from adlens.images.download import Downloaded
from adlens.images.extract import FoundImage
from adlens.images.schema import build_record
from adlens.images.svg import rasterize_svg, svg_text
from adlens.images.thumbs import save_thumbnail, thumb_url
from adlens.images.vectors import build_vectors_many
from adlens.store import Record

log = logging.getLogger(__name__)

CACHE_NS = "images.analysis"
CACHE_VERSION = "v1"
_PEOPLE_CONCEPTS = frozenset(
    {
        "groom", "scuba diver", "ballplayer", "jersey", "suit", "miniskirt", "sweatshirt", "cowboy hat",
        "sunglasses", "sunglass", "lab coat", "military uniform", "academic gown", "abaya", "kimono",
        "bow tie", "wig", "lipstick", "bikini", "swimming trunks", "cardigan", "trench coat", "fur coat",
        "pajama", "brassiere", "maillot", "stole", "poncho", "bulletproof vest", "mortarboard",
        "Windsor tie", "hoopskirt", "gown", "apron", "vestment", "cloak", "sombrero", "bearskin",
        "overskirt", "sarong", "jean", "football helmet", "crash helmet", "knee pad",
    }
)  # fmt: skip
_PEOPLE_WORDS = frozenset(
    {
        "person", "people", "man", "men", "woman", "women", "boy", "girl", "child", "children", "kid",
        "kids", "baby", "portrait", "selfie", "face", "faces", "astronaut", "photographer", "model",
        "team", "family", "crowd", "player", "commander", "customer", "customers", "worker", "staff",
    }
)  # fmt: skip


@dataclass
class Candidate:
    """An image found on a page and downloaded, waiting to be processed."""

    found: FoundImage
    page_url: str
    page_title: str
    download: Downloaded


@dataclass
class Processed:
    """The outcome for one candidate: a record, or an error, or a reason it was skipped."""

    candidate: Candidate
    content_hash: str
    record: Record | None = None
    error: AdlensError | None = None
    skipped: str = ""
    analysed: bool = False  # False when the analysis came from the cache


def encode_analysis(a: ImageAnalysis) -> bytes:
    doc = {
        "width": a.width,
        "height": a.height,
        "format": a.format,
        "frames": a.frames,
        "concepts": [[label, float(p)] for label, p in a.concepts],
        "ocr_text": a.ocr_text,
        "colours": list(a.colours),
        "phash": a.phash,
        "parts": a.parts,
        "weights": a.weights,
        "ocr_ran": a.ocr_ran,
        "visual": base64.b64encode(np.asarray(a.visual, np.float32).tobytes()).decode("ascii"),
        "text_vector": base64.b64encode(np.asarray(a.text_vector, np.float32).tobytes()).decode("ascii"),
    }
    return json.dumps(doc).encode("utf-8")


def decode_analysis(blob: bytes) -> ImageAnalysis:
    doc = json.loads(blob)
    return ImageAnalysis(
        width=int(doc["width"]),
        height=int(doc["height"]),
        format=str(doc["format"]),
        frames=int(doc["frames"]),
        visual=np.frombuffer(base64.b64decode(doc["visual"]), np.float32).copy(),
        concepts=[(str(label), float(p)) for label, p in doc["concepts"]],
        ocr_text=str(doc["ocr_text"]),
        colours=[str(c) for c in doc["colours"]],
        phash=str(doc["phash"]),
        text_vector=np.frombuffer(base64.b64decode(doc["text_vector"]), np.float32).copy(),
        parts=dict(doc.get("parts") or {}),
        weights=dict(doc.get("weights") or {}),
        ocr_ran=bool(doc.get("ocr_ran")),
    )


class AnalysisCache:
    """Analyses by content hash: an in-memory LRU in front of the runtime cache (which may be absent)."""

    def __init__(self, cache: Any | None = None, *, ocr: bool | None = None, memory_items: int = 512) -> None:
        self.cache = cache
        self.mode = {True: "ocr", False: "noocr", None: "auto"}[ocr]
        self._memory: OrderedDict[str, ImageAnalysis] = OrderedDict()
        self._memory_items = memory_items
        self._lock = threading.Lock()

    def key(self, content_hash: str) -> str:
        return f"{CACHE_VERSION}-{self.mode}-{content_hash}"

    def get(self, content_hash: str) -> ImageAnalysis | None:
        with self._lock:
            hit = self._memory.get(content_hash)
            if hit is not None:
                self._memory.move_to_end(content_hash)
                return hit
        if self.cache is None:
            return None
        try:
            blob = self.cache.get(CACHE_NS, self.key(content_hash))
            return None if blob is None else self._remember(content_hash, decode_analysis(blob))
        except Exception:  # a cache is an optimisation: a bad entry is a miss
            log.warning("unreadable cached analysis for %s", content_hash, exc_info=True)
            return None

    def set(self, content_hash: str, analysis: ImageAnalysis) -> None:
        self._remember(content_hash, analysis)
        if self.cache is not None:
            try:
                self.cache.set(CACHE_NS, self.key(content_hash), encode_analysis(analysis))
            except Exception:
                log.warning("could not cache the analysis of %s", content_hash, exc_info=True)

    def forget(self, content_hash: str) -> None:
        with self._lock:
            self._memory.pop(content_hash, None)
        if self.cache is not None:
            for mode in ("ocr", "noocr", "auto"):
                try:
                    self.cache.delete(CACHE_NS, f"{CACHE_VERSION}-{mode}-{content_hash}")
                except Exception:
                    log.warning("could not drop the cached analysis of %s", content_hash, exc_info=True)

    def _remember(self, content_hash: str, analysis: ImageAnalysis) -> ImageAnalysis:
        with self._lock:
            self._memory[content_hash] = analysis
            self._memory.move_to_end(content_hash)
            while len(self._memory) > self._memory_items:
                self._memory.popitem(last=False)
        return analysis


def richness(found: FoundImage) -> tuple[int, int]:
    """How well an occurrence describes its image: an inline image beats og/twitter/css/link, then the
    length of its alt, caption, title and aria-label."""
    inline = found.source not in ("og", "twitter", "css", "link")
    return (int(inline), len(found.alt) + len(found.caption) + len(found.title) + len(found.aria_label))


def has_people(concepts: Sequence[str], texts: Sequence[str]) -> bool:
    """People in the image: a people-implying ImageNet concept, or a people word in alt/caption/title."""
    if any(c in _PEOPLE_CONCEPTS for c in concepts):
        return True
    words = {w.strip(".,;:!?()\"'").lower() for t in texts for w in t.split()}
    return bool(words & _PEOPLE_WORDS)


def domain_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.netloc.lower()


class ImageProcessor:
    """Turns :class:`Candidate` batches into store records (see the module docstring)."""

    def __init__(
        self,
        image_embedder: Any,
        text_embedder: Any,
        data_dir: Path,
        *,
        cache: Any | None = None,
        ocr: bool | None = None,
    ) -> None:
        self.image_embedder = image_embedder
        self.text_embedder = text_embedder
        self.data_dir = Path(data_dir)
        self.ocr = ocr
        self.analyses = AnalysisCache(cache, ocr=ocr)
        self.stats = {"analysed": 0, "cache_hits": 0}
        self._analysed_now: set[str] = set()

    @classmethod
    def from_runtime(cls, runtime: Any, *, ocr: bool | None = None) -> ImageProcessor:
        return cls(
            runtime.image_embedder,
            runtime.text_embedder,
            runtime.settings.data_dir,
            cache=runtime.cache,
            ocr=ocr,
        )

    def _rasters(self, items: Sequence[Candidate]) -> dict[str, tuple[bytes | None, str, AdlensError | None]]:
        """content hash -> (raster bytes or None, SVG text, rasterisation error)."""
        out: dict[str, tuple[bytes | None, str, AdlensError | None]] = {}
        for c in items:
            h = c.download.content_hash
            if h in out:
                continue
            if c.download.format == "svg":
                text = svg_text(c.download.data)
                try:
                    out[h] = (rasterize_svg(c.download.data), text, None)
                except AdlensError as exc:
                    out[h] = (None, text, exc)
            else:
                out[h] = (c.download.data, "", None)
        return out

    def _analyse(
        self, rasters: dict[str, tuple[bytes | None, str, AdlensError | None]]
    ) -> dict[str, ImageAnalysis | AdlensError | None]:
        results: dict[str, ImageAnalysis | AdlensError | None] = {}
        self._analysed_now = set()
        todo: list[str] = []
        for h, (raster, _text, err) in rasters.items():
            cached = self.analyses.get(h)
            if cached is not None:
                results[h] = cached
                self.stats["cache_hits"] += 1
            elif raster is None:
                results[h] = err
            else:
                todo.append(h)
        if todo:
            analysed = self.image_embedder.analyze_many(
                [rasters[h][0] for h in todo], ocr=self.ocr, return_errors=True
            )
            for h, res in zip(todo, analysed, strict=True):
                results[h] = res
                if isinstance(res, ImageAnalysis):
                    self.analyses.set(h, res)
                    self.stats["analysed"] += 1
                    self._analysed_now.add(h)
        return results

    def process(self, items: Sequence[Candidate]) -> list[Processed]:
        """Analyse, thumbnail and turn each candidate into a record (errors are returned, not raised)."""
        rasters = self._rasters(items)
        analyses = self._analyse(rasters)
        fresh: set[str] = set()
        out: list[Processed] = []
        metas: list[tuple[ImageAnalysis | None, dict[str, Any]]] = []
        slots: list[int] = []
        for c in items:
            h = c.download.content_hash
            analysis = analyses.get(h)
            raster, text, _err = rasters[h]
            result = Processed(c, h, analysed=h in self._analysed_now and h not in fresh)
            fresh.add(h)
            out.append(result)
            if isinstance(analysis, AdlensError):
                if c.download.format != "svg":
                    result.error = analysis
                    continue
                analysis = None
            if analysis is not None and analysis.width <= 2 and analysis.height <= 2:
                result.skipped = f"{analysis.width}x{analysis.height} placeholder"
                continue
            if analysis is None and c.download.format != "svg":
                result.error = InvalidInput("image could not be analysed")
                continue
            try:
                if raster is not None:
                    save_thumbnail(self.data_dir, h, raster)
            except AdlensError as exc:
                log.info("no thumbnail for %s: %s", c.download.final_url, exc.message)
            except OSError as exc:
                log.warning("could not write the thumbnail of %s: %s", c.download.final_url, exc)
            metas.append((analysis, self.metadata(c, analysis, text)))
            slots.append(len(out) - 1)
        if metas:
            vectors = build_vectors_many(metas, self.text_embedder)
            for i, (meta, vecs) in zip(slots, zip([m for _, m in metas], vectors, strict=True), strict=True):
                out[i].record = build_record(meta, vecs)
        return out

    def redescribe(self, record: Record, found: FoundImage, page_url: str, page_title: str) -> Record | None:
        """The record described by a richer occurrence (another page's alt/caption); ``None`` when its
        analysis is no longer cached (the record then keeps its first description)."""
        meta: dict[str, Any] = dict(record.metadata)
        analysis = None
        if meta.get("has_visual"):
            analysis = self.analyses.get(str(meta.get("content_hash") or ""))
            if analysis is None:
                return None
        meta.update(
            page_url=page_url,
            page_title=page_title,
            page_domain=domain_of(page_url),
            alt=found.alt,
            title=found.title,
            caption=found.caption,
            aria_label=found.aria_label,
            classes=list(found.classes),
            heading=found.heading,
            context=found.context,
            source=found.source,
            declared_width=found.declared_width,
            declared_height=found.declared_height,
        )
        concepts = [str(c) for c in meta.get("concepts") or []]
        meta["has_people"] = has_people(concepts, [found.alt, found.caption, found.title, found.aria_label])
        if isinstance(meta.get("concept_scores"), str):
            meta["concept_scores"] = json.loads(str(meta["concept_scores"]))
        vectors = build_vectors_many([(analysis, meta)], self.text_embedder)[0]
        return build_record(meta, vectors)

    def metadata(self, c: Candidate, analysis: ImageAnalysis | None, svg_words: str = "") -> dict[str, Any]:
        """The flat metadata of the images contract for one candidate."""
        f, d = c.found, c.download
        concepts = [label for label, _ in analysis.concepts] if analysis is not None else []
        ocr = " ".join(x for x in (svg_words, analysis.ocr_text if analysis is not None else "") if x).strip()
        thumb = thumb_url(d.content_hash) if analysis is not None else None
        return {
            "image_url": d.final_url,
            "page_url": c.page_url,
            "page_title": c.page_title,
            "page_domain": domain_of(c.page_url),
            "image_domain": domain_of(d.final_url),
            "alt": f.alt,
            "title": f.title,
            "caption": f.caption,
            "aria_label": f.aria_label,
            "classes": list(f.classes),
            "heading": f.heading,
            "context": f.context,
            "source": f.source,
            "format": d.format,
            "width": analysis.width if analysis is not None else f.declared_width,
            "height": analysis.height if analysis is not None else f.declared_height,
            "declared_width": f.declared_width,
            "declared_height": f.declared_height,
            "bytes": d.size,
            "content_hash": d.content_hash,
            "phash": analysis.phash if analysis is not None else None,
            "concepts": concepts,
            "concept_scores": {label: round(p, 4) for label, p in analysis.concepts} if analysis else {},
            "ocr_text": ocr,
            "has_text": bool(ocr),
            "has_people": has_people(concepts, [f.alt, f.caption, f.title, f.aria_label]),
            "has_visual": analysis is not None,
            "page_count": 1,
            "also_on": [],
            "crawled_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "thumb_url": thumb,
        }


__all__ = [
    "CACHE_NS",
    "AnalysisCache",
    "Candidate",
    "ImageProcessor",
    "Processed",
    "decode_analysis",
    "domain_of",
    "encode_analysis",
    "has_people",
    "richness",
]
