"""Image analysis: decode safely, then visual features, concepts, OCR, colours, pHash and a ``text``-space vector.

The ``text``-space vector of an image is the L2-normalised weighted sum of unit vectors (weights are
constructor parameters; a missing part simply drops out):

* ``concepts`` (weight ``w_concepts`` = 1.0): ConSE over the top-10 ImageNet classes (see
  :mod:`adlens.embed.concepts`); measured on COCO-mini text→image R@10 = 76 %.
* ``ocr`` (``w_ocr`` = 1.0): the MiniLM embedding of the recognised text, when there is any. In ads the
  words on the image are the strongest signal (MODELS.md: OCR + labels + colours matched 5/5 synthetic ads).
* ``context`` (``w_context`` = 1.0): the embedding of alt / title / caption / page title / nearby text.
* ``colours`` (``w_colours`` = 0.5): the embedding of e.g. "red and white" (foreground colours; a uniform
  background is skipped). Measured, concepts + colours at weights 0 / 0.25 / 0.5 / 1.0, text→image R@10:
  fashion test (300 product shots vs titles) 17.7 / 25.0 / 27.3 / 28.0 %; COCO-mini photos
  76.0 / 75.7 / 75.3 / - %. 0.5 buys most of the product-shot gain for ~1 point on photos.

The text and context weights were not tuned on data (no labelled ads with page context here yet).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from adlens.config import Settings, get_settings
from adlens.embed.backbone import ImageBackbone
from adlens.embed.colours import dominant_colours
from adlens.embed.concepts import ConceptIndex
from adlens.embed.decode import MAX_PIXELS, DecodedImage, decode_image
from adlens.embed.ocr import OcrReader
from adlens.embed.phash import phash
from adlens.embed.spaces import TEXT_SPACE, VISUAL_SPACE, Space
from adlens.embed.text import TextEmbedder
from adlens.errors import AdlensError


@dataclass(frozen=True)
class ImageContext:
    """What the page says about an image."""

    alt: str = ""
    title: str = ""
    caption: str = ""
    page_title: str = ""
    surrounding: str = ""

    def text(self, max_chars: int = 1000) -> str:
        parts = [p.strip() for p in (self.alt, self.title, self.caption, self.page_title, self.surrounding)]
        seen: list[str] = []
        for p in parts:
            if p and p not in seen:
                seen.append(p)
        return ". ".join(seen)[:max_chars]


@dataclass
class ImageAnalysis:
    """Everything adlens reads from one image."""

    width: int
    height: int
    format: str
    frames: int
    visual: np.ndarray  # (1280,) float32, L2-normalised, VISUAL_SPACE
    concepts: list[tuple[str, float]]
    ocr_text: str
    colours: list[str]
    phash: str
    text_vector: np.ndarray  # (384,) float32, L2-normalised, TEXT_SPACE
    parts: dict[str, str] = field(default_factory=dict)  # part name -> the text embedded ("concepts": labels)
    weights: dict[str, float] = field(default_factory=dict)  # part name -> weight used
    ocr_ran: bool = False

    visual_space: Space = VISUAL_SPACE
    text_space: Space = TEXT_SPACE

    def as_dict(self, *, vectors: bool = False) -> dict[str, Any]:
        """JSON-able summary (vectors as lists only when ``vectors=True``)."""
        out: dict[str, Any] = {
            "width": self.width,
            "height": self.height,
            "format": self.format,
            "frames": self.frames,
            "concepts": [{"label": label, "prob": round(prob, 4)} for label, prob in self.concepts],
            "ocr_text": self.ocr_text,
            "ocr_ran": self.ocr_ran,
            "colours": self.colours,
            "phash": self.phash,
            "parts": self.parts,
            "weights": self.weights,
        }
        if vectors:
            out["visual"] = self.visual.tolist()
            out["text_vector"] = self.text_vector.tolist()
        return out


@lru_cache(maxsize=256)
def _colour_phrase(colours: tuple[str, ...]) -> str:
    if not colours:
        return ""
    return colours[0] if len(colours) == 1 else ", ".join(colours[:-1]) + " and " + colours[-1]


class ImageEmbedder:
    """Analyse images into :class:`ImageAnalysis`. Models load lazily; safe to share between threads."""

    def __init__(
        self,
        cache_dir: str | Path | None = None,
        *,
        text: TextEmbedder | None = None,
        provider: str = "cpu",
        threads: int = 2,
        ocr_enabled: bool = True,
        max_pixels: int = MAX_PIXELS,
        top_k_concepts: int = 5,
        conse_k: int = 10,
        w_concepts: float = 1.0,
        w_ocr: float = 1.0,
        w_context: float = 1.0,
        w_colours: float = 0.5,
    ) -> None:
        self.cache_dir = Path(cache_dir) if cache_dir is not None else get_settings().models_dir
        self.text = text or TextEmbedder(self.cache_dir, provider=provider, threads=threads)
        self.backbone = ImageBackbone(self.cache_dir, provider=provider, threads=threads)
        self.concept_index = ConceptIndex(self.text, self.cache_dir)
        self.ocr_reader = OcrReader(threads=threads)
        self.ocr_enabled = ocr_enabled
        self.max_pixels = max_pixels
        self.top_k_concepts = top_k_concepts
        self.conse_k = conse_k
        self.weights = {"concepts": w_concepts, "ocr": w_ocr, "context": w_context, "colours": w_colours}

    @classmethod
    def from_settings(cls, settings: Settings, text: TextEmbedder | None = None) -> ImageEmbedder:
        return cls(
            settings.models_dir,
            text=text,
            provider=settings.onnx_provider,
            threads=settings.threads,
            ocr_enabled=settings.ocr_enabled,
        )

    def load(self) -> None:
        """Load every model now (they otherwise load on first use)."""
        self.text.load()
        self.backbone.load()
        _ = self.concept_index.matrix

    def decode(self, data: bytes) -> DecodedImage:
        return decode_image(data, max_pixels=self.max_pixels)

    def analyze(
        self, data: bytes, *, context: ImageContext | None = None, ocr: bool | None = None
    ) -> ImageAnalysis:
        """Analyse one encoded image. ``ocr``: True = always, False = never, None = when
        :meth:`OcrReader.likely_has_text` says so (and ``ocr_enabled``)."""
        return self._analyze_decoded([self.decode(data)], [context], ocr)[0]

    def analyze_many(
        self,
        items: Sequence[bytes],
        *,
        contexts: Sequence[ImageContext | None] | None = None,
        ocr: bool | None = None,
        return_errors: bool = False,
    ) -> list[ImageAnalysis | AdlensError]:
        """Analyse several images with one batched backbone pass.

        A bad item raises its error, or with ``return_errors=True`` is returned in its place.
        """
        ctxs = list(contexts) if contexts is not None else [None] * len(items)
        if len(ctxs) != len(items):
            raise ValueError("contexts must be as long as items")
        decoded: list[DecodedImage | AdlensError] = []
        for data in items:
            try:
                decoded.append(self.decode(data))
            except AdlensError as exc:
                if not return_errors:
                    raise
                decoded.append(exc)
        ok = [i for i, d in enumerate(decoded) if isinstance(d, DecodedImage)]
        results: list[ImageAnalysis | AdlensError] = list(decoded)  # type: ignore[arg-type]
        analysed = self._analyze_decoded([decoded[i] for i in ok], [ctxs[i] for i in ok], ocr)  # type: ignore[misc]
        for i, res in zip(ok, analysed, strict=True):
            results[i] = res
        return results

    def _analyze_decoded(
        self, images: list[DecodedImage], contexts: list[ImageContext | None], ocr: bool | None
    ) -> list[ImageAnalysis]:
        if not images:
            return []
        probs, feats = self.backbone.run([d.image for d in images])
        conse = self.concept_index.conse(probs, k=self.conse_k)
        results: list[ImageAnalysis] = []
        texts: list[str] = []  # every text to embed, in one batch
        slots: list[dict[str, int]] = []
        for d, ctx, p, f in zip(images, contexts, probs, feats, strict=True):
            run_ocr = self.ocr_enabled and (
                ocr if ocr is not None else self.ocr_reader.likely_has_text(d.image)
            )
            ocr_text = self.ocr_reader.read_text(d.image) if run_ocr else ""
            colours = dominant_colours(d.image)
            parts = {
                "ocr": ocr_text,
                "context": ctx.text() if ctx else "",
                "colours": _colour_phrase(tuple(colours)),
            }
            slot: dict[str, int] = {}
            for name, value in parts.items():
                if value and self.weights[name] > 0:
                    slot[name] = len(texts)
                    texts.append(value)
            slots.append(slot)
            concepts = self.concept_index.top(p, self.top_k_concepts)
            results.append(
                ImageAnalysis(
                    width=d.width,
                    height=d.height,
                    format=d.format,
                    frames=d.frames,
                    visual=f,
                    concepts=concepts,
                    ocr_text=ocr_text,
                    colours=colours,
                    phash=phash(d.image),
                    text_vector=np.zeros(TEXT_SPACE.dim, np.float32),
                    parts={
                        "concepts": ", ".join(label for label, _ in concepts),
                        **{k: v for k, v in parts.items() if v},
                    },
                    ocr_ran=bool(run_ocr),
                )
            )
        vectors = self.text.embed(texts) if texts else np.zeros((0, TEXT_SPACE.dim), np.float32)
        for res, slot, c in zip(results, slots, conse, strict=True):
            total = self.weights["concepts"] * c
            used = {"concepts": self.weights["concepts"]}
            for name, row in slot.items():
                total = total + self.weights[name] * vectors[row]
                used[name] = self.weights[name]
            norm = float(np.linalg.norm(total))
            res.text_vector = (total / norm).astype(np.float32) if norm > 0 else total.astype(np.float32)
            res.weights = used
        return results


__all__ = ["ImageAnalysis", "ImageContext", "ImageEmbedder"]
