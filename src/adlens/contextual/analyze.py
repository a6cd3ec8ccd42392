"""The analysis service: URL → document summary, ranked categories, keywords, brand safety, OpenRTB/Prebid.

One function, :func:`analyze_url`, serves the CLI, the REST API, batch jobs and the bid-time cache.
Results are cached in ``runtime.cache`` (namespace ``contextual.analysis``) by normalised URL, taxonomy,
render mode and ``top_k``, for :data:`ANALYSIS_TTL_S`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from adlens.cache import decode_json, encode_json
from adlens.cache.codec import CorruptEntry
from adlens.cli.output import to_jsonable
from adlens.contextual.document import (
    MAX_IMAGES,
    TEXT_CAP,
    Progress,
    build_document,
    check_url,
    normalise_url,
)
from adlens.contextual.openrtb import SEGTAX, openrtb_site, prebid_config, segment_ids
from adlens.errors import InvalidInput

if TYPE_CHECKING:
    from adlens.contextual.scoring import ContextScorer
    from adlens.runtime import Runtime

ANALYSIS_NS = "contextual.analysis"
ANALYSIS_TTL_S = 24 * 3600.0
MAX_TOP_K = 50
_CACHE_FORMAT = "1"

__all__ = [
    "ANALYSIS_NS",
    "ANALYSIS_TTL_S",
    "MAX_TOP_K",
    "analysis_key",
    "analyze_url",
    "canonical_taxonomy",
    "get_scorer",
]


def canonical_taxonomy(taxonomy: str) -> str:
    """The canonical version name (``"3.1"`` → ``"iab-3.1"``); ``InvalidInput`` for unknown versions."""
    from adlens.contextual.taxonomy import TAXONOMIES, load_taxonomy

    if taxonomy in TAXONOMIES:
        return taxonomy
    if not isinstance(taxonomy, str):
        raise InvalidInput("taxonomy must be a string")
    return str(load_taxonomy(taxonomy).version)


def get_scorer(runtime: Runtime, taxonomy: str) -> ContextScorer:
    """The scorer for one taxonomy, built once per runtime."""
    from adlens.contextual.scoring import ContextScorer

    return runtime.shared(
        f"contextual.scorer.{taxonomy}", lambda: ContextScorer.from_runtime(runtime, taxonomy)
    )


def analysis_key(url: str, taxonomy: str, render: bool, top_k: int) -> str:
    raw = f"{_CACHE_FORMAT}|{taxonomy}|{int(bool(render))}|{top_k}|{normalise_url(url)}"
    return hashlib.sha256(raw.encode()).hexdigest()


def _check_top_k(top_k: Any) -> int:
    if isinstance(top_k, bool) or not isinstance(top_k, int) or not 1 <= top_k <= MAX_TOP_K:
        raise InvalidInput(f"top_k must be an integer from 1 to {MAX_TOP_K}, got {top_k!r}")
    return top_k


def _plain(obj: Any) -> Any:
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: _plain(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, Mapping):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_plain(v) for v in obj]
    return to_jsonable(obj)


def _document_summary(built: Any) -> dict[str, Any]:
    doc, page, parts = built.document, built.page, built.parts
    return {
        "title": doc.title,
        "description": doc.description,
        "headings": list(doc.headings)[:10],
        "meta_keywords": list(doc.meta_keywords),
        "og": dict(parts.og),
        "language": doc.language,
        "language_score": round(float(built.language_score), 4),
        "text_chars": len(doc.text),
        "text_excerpt": doc.text[:400],
        "truncated": bool(doc.truncated),
        "extractor": parts.extractor,
        "rendered": bool(page.rendered),
        "status": page.status,
        "images": [
            {
                "url": img.url,
                "alt": img.alt,
                "concepts": list(img.concepts),
                "ocr_text": img.ocr_text,
                "area": int(img.area),
            }
            for img in doc.images
        ],
    }


def _safety(brand_safety: Any) -> dict[str, Any]:
    plain = _plain(brand_safety) or {}
    if not isinstance(plain, dict):
        return {"risk_level": "none", "flags": []}
    plain.setdefault("risk_level", "none")
    plain.setdefault("flags", [])
    return plain


def analyze_url(
    runtime: Runtime,
    url: str,
    render: bool = False,
    taxonomy: str = "iab-3.1",
    top_k: int = 10,
    *,
    use_cache: bool = True,
    max_images: int = MAX_IMAGES,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Analyse one page. Returns a JSON-able dict: ``url``, ``normalized_url``, ``final_url``, ``taxonomy``,
    ``document`` (summary), ``categories`` (ranked, calibrated ``confidence``, ``evidence``), ``keywords``,
    ``brand_safety`` (``risk_level`` and ``flags``), ``low_confidence``, ``notes``, ``timings`` (ms),
    ``cached``, ``segments`` (IDs sent to OpenRTB), ``openrtb`` (``{"site": ...}``) and ``prebid``
    (``pbjs.setConfig`` argument). Errors: see :func:`adlens.contextual.document.build_document`."""
    started = time.perf_counter()
    url = check_url(url)
    top_k = _check_top_k(top_k)
    taxonomy = canonical_taxonomy(taxonomy)
    key = analysis_key(url, taxonomy, render, top_k)
    if use_cache:
        blob = runtime.cache.get(ANALYSIS_NS, key)
        if blob is not None:
            try:
                cached = decode_json(blob)
            except CorruptEntry:
                runtime.cache.delete(ANALYSIS_NS, key)
            else:
                if isinstance(cached, dict):
                    cached["cached"] = True
                    cached["url"] = url
                    cached["timings"] = {"total_ms": (time.perf_counter() - started) * 1000}
                    return cached
    built = build_document(
        runtime, url, render=render, max_images=max_images, text_cap=TEXT_CAP, progress=progress
    )
    scorer = get_scorer(runtime, taxonomy)
    if progress is not None:
        progress("scoring categories and brand safety")
    t_score = time.perf_counter()
    classification = scorer.classify(built.document, top_k=top_k)
    score_ms = (time.perf_counter() - t_score) * 1000
    categories = [_plain(c) for c in classification.categories]
    notes = list(built.notes)
    for note in classification.notes:
        if note not in notes:
            notes.append(note)
    result: dict[str, Any] = {
        "url": url,
        "normalized_url": normalise_url(url),
        "final_url": built.page.final_url,
        "taxonomy": taxonomy,
        "segtax": SEGTAX.get(taxonomy),
        "document": _document_summary(built),
        "categories": categories,
        "keywords": list(classification.keywords),
        "brand_safety": _safety(classification.brand_safety),
        "low_confidence": bool(classification.low_confidence or built.low_confidence),
        "notes": notes,
        "analyzed_at": time.time(),
        "cached": False,
    }
    result["segments"] = segment_ids(categories)
    site = openrtb_site(result)
    result["openrtb"] = {"site": site}
    result["prebid"] = prebid_config(result)
    result["timings"] = {
        **{k: round(v, 2) for k, v in built.timings.items()},
        "score_ms": round(score_ms, 2),
        "total_ms": round((time.perf_counter() - started) * 1000, 2),
    }
    result = to_jsonable(result)
    runtime.cache.set(ANALYSIS_NS, key, encode_json(result), ANALYSIS_TTL_S)
    return result
