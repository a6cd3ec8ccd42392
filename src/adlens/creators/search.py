"""Search creators by text, photo or both, with exact filters, cursor pagination and explanations.

Modes and weights (``score = sum(weight * cosine)``; a signal a creator lacks, e.g. no photo, counts 0):

=============  ==========================================================================
``text``       text → text: query vs profile text (bio, category, name, location)
``text_image`` text → image: query vs the text-space vector of each photo (best photo)
``image``      image → image: query image vs each photo's visual vector (best photo)
``hybrid``     query only: 0.6 text + 0.4 text_image; image + query: 0.5 image + 0.3 text +
               0.2 text_image; image only: the ``image`` mode
``auto``       ``hybrid`` (the default)
=============  ==========================================================================

Filters are applied inside the store (exact: when at least k profiles match, k come back; photo
modes consider creators that have photos). Hybrid candidates are the union of each signal's top
``offset + k + 1``; every candidate then gets every signal computed exactly. Results are ordered by
(score desc, id) and paged with an opaque cursor bound to the search it came from.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import re
import threading
import time
from collections import OrderedDict
from pathlib import Path
from typing import Any, Literal

import numpy as np

from adlens.creators.filters import CreatorFilters, to_where
from adlens.creators.ingest import quality_path
from adlens.creators.quality import QualityModel
from adlens.creators.query import ParsedQuery, parse_query
from adlens.creators.schema import PROFILES, ensure_collections
from adlens.creators.signals import (
    QueryImage,
    best_photos,
    load_query_image,
    photo_scores,
    profile_hits,
    store_query_image,
)
from adlens.errors import InvalidInput
from adlens.store.filters import parse as parse_filter

__all__ = ["MAX_DEPTH", "MODES", "WEIGHTS", "Mode", "get_creator", "result_of", "search_creators"]

Mode = Literal["auto", "text", "text_image", "image", "hybrid"]
MODES = ("auto", "text", "text_image", "image", "hybrid")
WEIGHTS: dict[str, dict[str, float]] = {
    "text": {"text": 1.0},
    "text_image": {"text_image": 1.0},
    "image": {"image": 1.0},
    "hybrid_text": {"text": 0.6, "text_image": 0.4},
    "hybrid_both": {"image": 0.5, "text": 0.3, "text_image": 0.2},
}
MAX_DEPTH = 1000
_quality_cache: dict[str, tuple[float, QualityModel]] = {}


def _quality(settings: Any) -> QualityModel:
    path: Path = quality_path(settings)
    try:
        mtime = path.stat().st_mtime
    except OSError:
        return QualityModel()
    hit = _quality_cache.get(str(path))
    if hit is None or hit[0] != mtime:
        hit = (mtime, QualityModel.load(path))
        _quality_cache[str(path)] = hit
    return hit[1]


@functools.lru_cache(maxsize=4096)
def _parse_cached(query: str) -> ParsedQuery:
    return parse_query(query)


def _parse(query: str) -> ParsedQuery:
    """``parse_query`` (pure, ~4 ms of regular expressions) memoised; callers get their own copy."""
    p = _parse_cached(query)
    return ParsedQuery(p.semantic, p.filters.model_copy(deep=True), [dict(m) for m in p.matched])


_QUERY_VECS: OrderedDict[tuple[int, str], np.ndarray] = OrderedDict()
_QUERY_VECS_MAX = 4096
_qlock = threading.Lock()


def _embed_query(runtime: Any, text: str) -> np.ndarray:
    """Query embeddings, with a small in-process LRU (popular queries repeat; MiniLM costs ~10 ms)."""
    key = (id(runtime.text_embedder), text)
    with _qlock:
        vec = _QUERY_VECS.get(key)
        if vec is not None:
            _QUERY_VECS.move_to_end(key)
            return vec
    vec = runtime.text_embedder.embed([text])[0]
    with _qlock:
        _QUERY_VECS[key] = vec
        while len(_QUERY_VECS) > _QUERY_VECS_MAX:
            _QUERY_VECS.popitem(last=False)
    return vec


def _encode_cursor(offset: int, fp: str) -> str:
    return base64.urlsafe_b64encode(json.dumps({"o": offset, "h": fp}).encode()).decode().rstrip("=")


def _decode_cursor(cursor: str, fp: str) -> int:
    try:
        doc = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        offset, h = int(doc["o"]), str(doc["h"])
    except (ValueError, KeyError, TypeError):
        raise InvalidInput("cursor is malformed: pass the next_cursor of a previous answer") from None
    if h != fp:
        raise InvalidInput("cursor belongs to a different search (query, filters, image or mode changed)")
    if offset < 0 or offset > MAX_DEPTH:
        raise InvalidInput(f"cursor offset out of range (at most {MAX_DEPTH} results can be paged)")
    return offset


def _weights(mode: str, has_text: bool, qimg: QueryImage | None) -> dict[str, float]:
    if mode == "auto":
        mode = "hybrid"
    if mode == "hybrid":
        if qimg is not None and has_text:
            return WEIGHTS["hybrid_both"]
        return WEIGHTS["image"] if qimg is not None else WEIGHTS["hybrid_text"]
    if mode == "image" and qimg is None:
        raise InvalidInput("mode 'image' needs an image (upload one or pass image_id)")
    if mode in ("text", "text_image") and not has_text:
        raise InvalidInput(f"mode {mode!r} needs a text query")
    return WEIGHTS[mode]


def _explain(
    meta: dict[str, Any], signals: dict[str, float], semantic: str, f: CreatorFilters, concepts: str
) -> list[str]:
    out: list[str] = []
    if "text" in signals:
        text = " ".join(
            str(meta.get(k) or "") for k in ("name", "handle", "category", "bio", "location", "country")
        ).lower()
        words = sorted({w for w in re.findall(r"[\w']{3,}", semantic.lower()) if w in text})
        extra = f"; words found: {', '.join(words)}" if words else ""
        out.append(f"profile text matches “{semantic}” (cosine {signals['text']:.2f}{extra})")
    if "text_image" in signals:
        out.append(
            f"photo fits “{semantic}” (cosine {signals['text_image']:.2f}; photo shows {concepts or 'n/a'})"
        )
    if "image" in signals:
        out.append(f"photo looks like your image (cosine {signals['image']:.2f})")
    fol = meta.get("followers")
    if f.min_followers is not None or f.max_followers is not None:
        rng = (
            f"{f.min_followers or 0:,}–{f.max_followers:,}"
            if f.max_followers is not None
            else f"≥ {f.min_followers:,}"
        )
        out.append(f"followers {fol:,} within {rng}")
    er = meta.get("engagement_rate")
    if (f.min_engagement is not None or f.max_engagement is not None) and isinstance(er, int | float):
        out.append(f"engagement {er:.2%} within the asked range")
    for key in ("category", "country", "platform", "language"):
        if getattr(f, key):
            out.append(f"{key} is {meta.get(key)}")
    if f.location:
        out.append(f"location matches “{f.location}” ({meta.get('location') or meta.get('country')})")
    return out


def result_of(meta: dict[str, Any], cid: str, quality: QualityModel) -> dict[str, Any]:
    """A creator as the API shows it (without score/explanations)."""
    photos = [f"/api/v1/creators/photos/{p}" for p in (meta.get("photos") or [])]  # type: ignore[union-attr]
    keys = (
        "platform",
        "handle",
        "name",
        "bio",
        "category",
        "country",
        "location",
        "language",
        "followers",
        "engagement_rate",
        "engagement_source",
        "avg_likes",
        "avg_comments",
        "posts",
        "total_likes",
        "influence_score",
    )
    out = {"id": cid, **{k: meta.get(k) for k in keys}}
    out["photo"] = photos[0] if photos else None
    out["photos"] = photos
    out["photo_ids"] = [f"{cid}#photo{n}" for n in range(len(photos))]
    out["audience_quality"] = quality.assess(meta)
    return out


def search_creators(
    runtime: Any,
    query: str = "",
    *,
    filters: CreatorFilters | None = None,
    image: bytes | None = None,
    image_id: str | None = None,
    k: int = 10,
    cursor: str | None = None,
    mode: str = "auto",
    parse: bool = True,
) -> dict[str, Any]:
    """Run one search; see the module docstring. Raises ``InvalidInput`` for bad mode/cursor/k."""
    t0 = time.perf_counter()
    if mode not in MODES:
        raise InvalidInput(f"unknown mode {mode!r}; use one of {', '.join(MODES)}")
    if not 1 <= k <= 100:
        raise InvalidInput("k must be between 1 and 100")
    query = (query or "").strip()
    if len(query) > 1000:
        raise InvalidInput("query is longer than 1000 characters")
    parsed = _parse(query) if parse else ParsedQuery(query, CreatorFilters())
    f = parsed.filters.merged(filters) if filters is not None else parsed.filters
    semantic = parsed.semantic or " ".join(f.category) or ("" if parsed.matched else query)
    store = runtime.store
    ensure_collections(store)
    qimg = (
        store_query_image(runtime, image)
        if image is not None
        else (load_query_image(runtime, image_id) if image_id else None)
    )
    browse = not semantic and qimg is None
    if browse:
        semantic = "creator profile"  # filters only: rank by a neutral profile query
    weights = _weights("text" if browse else mode, bool(semantic), qimg)
    fp = hashlib.sha1(
        json.dumps([mode, semantic, f.model_dump(), qimg.id if qimg else None]).encode()
    ).hexdigest()[:16]
    offset = _decode_cursor(cursor, fp) if cursor else 0
    need = offset + k + 1
    if need > MAX_DEPTH + 1:
        raise InvalidInput(f"at most {MAX_DEPTH} results can be paged")
    notes: list[str] = []
    explicit_cat = filters is not None and bool(filters.category)
    if f.category and not explicit_cat and store.count(PROFILES, where=to_where(f)) == 0:
        relaxed = f.model_copy(update={"category": []})
        if store.count(PROFILES, where=to_where(relaxed)) > 0:
            notes.append(
                f"no stored creator has category {', '.join(f.category)}: searched without that filter"
            )
            f = relaxed
    where = parse_filter(to_where(f))  # parsed once for the several store calls below
    qtext = _embed_query(runtime, semantic) if ("text" in weights or "text_image" in weights) else None
    scores: dict[str, dict[str, float]] = {}
    metas: dict[str, dict[str, Any]] = {}
    best_photo: dict[str, tuple[str, str]] = {}  # creator -> (photo id, concepts)
    if "text" in weights and qtext is not None:
        for cid, (s, meta) in profile_hits(store, qtext, where, need).items():
            scores.setdefault(cid, {})["text"] = s
            metas[cid] = meta
    for sig, field, vec in (
        ("text_image", "photo_text", qtext),
        ("image", "photo_visual", qimg.visual if qimg else None),
    ):
        if sig in weights and vec is not None:
            for cid, (s, pid, concepts) in best_photos(store, field, vec, where, need).items():
                scores.setdefault(cid, {})[sig] = s
                if sig == "image" or cid not in best_photo:
                    best_photo[cid] = (pid, concepts)
    missing = [cid for cid in scores if cid not in metas]
    if missing:  # creators found through their photos: profile metadata (and text vector) from the store
        q = qtext / (np.linalg.norm(qtext) or 1.0) if qtext is not None else None
        for r in store.get(PROFILES, missing):
            metas[r.id] = r.metadata
            if "text" in weights and q is not None:
                scores[r.id]["text"] = float(np.dot(q, r.vectors["text"]))
    for name, field, vec in (
        ("text_image", "photo_text", qtext),
        ("image", "photo_visual", qimg.visual if qimg else None),
    ):
        if len(weights) > 1 and name in weights and vec is not None:  # fill missing photo signals exactly
            lacking = {cid: m for cid, m in metas.items() if name not in scores[cid] and m.get("photo_count")}
            for cid, (s, pid, concepts) in photo_scores(store, lacking, field, vec).items():
                scores[cid][name] = s
                best_photo.setdefault(cid, (pid, concepts))
    ranked = sorted(
        (
            (sum(w * scores[cid].get(s, 0.0) for s, w in weights.items()), cid)
            for cid in scores
            if cid in metas
        ),
        key=lambda t: (-t[0], t[1]),
    )
    page = ranked[offset : offset + k]
    quality = _quality(runtime.settings)
    results = []
    for rank, (score, cid) in enumerate(page, start=offset + 1):
        meta = metas[cid]
        item = result_of(meta, cid, quality)
        shown = {s: round(v, 4) for s, v in scores[cid].items() if s in weights}
        photo_id, concepts = best_photo.get(cid, (None, ""))
        reasons = _explain(meta, {}, "", f, "") if browse else _explain(meta, shown, semantic, f, concepts)
        item.update(rank=rank, score=round(score, 4), signals=shown, best_photo_id=photo_id, reasons=reasons)
        results.append(item)
    has_more = len(ranked) > offset + k and offset + k < MAX_DEPTH
    return {
        "query": query,
        "semantic": "" if browse else semantic,
        "mode": mode,
        "weights": weights,
        "filters": f.model_dump(exclude_defaults=True),
        "parsed": parsed.matched,
        "notes": notes,
        "image_id": qimg.id if qimg else None,
        "image_concepts": qimg.concepts if qimg else None,
        "matches": store.count(PROFILES, where=where),
        "results": results,
        "next_cursor": _encode_cursor(offset + k, fp) if has_more else None,
        "took_ms": round((time.perf_counter() - t0) * 1000, 1),
    }


def get_creator(runtime: Any, cid: str) -> dict[str, Any]:
    """One stored creator by id (``platform:handle``); ``NotFound`` otherwise."""
    from adlens.errors import NotFound

    ensure_collections(runtime.store)
    recs = runtime.store.get(PROFILES, [cid])
    if not recs:
        raise NotFound(f"no creator {cid!r}")
    return result_of(recs[0].metadata, cid, _quality(runtime.settings))
