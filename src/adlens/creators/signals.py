"""Query vectors and per-signal candidate retrieval from the store.

Signals (all cosines in [-1, 1]):

* ``text``       — query text vs the profile's ``text`` vector (bio, category, name…);
* ``text_image`` — query text vs each photo's ``photo_text`` vector; a creator's score is their best photo;
* ``image``      — query image's ``visual`` vector vs each photo's ``photo_visual``; best photo wins.

Photo signals search photo records with the same filters and group hits by creator; the depth grows
(×4) until ``need`` distinct creators are found or every matching photo has been seen, so grouping
never returns too few creators.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from typing import Any

import numpy as np

from adlens.creators.schema import PHOTOS, PROFILES
from adlens.errors import InvalidInput, NotFound
from adlens.store.base import Where

__all__ = [
    "QueryImage",
    "best_photos",
    "load_query_image",
    "photo_scores",
    "profile_hits",
    "store_query_image",
]

MAX_STORE_K = 10_000
_NS = "creators-qimg"
_TTL = 24 * 3600


@dataclass
class QueryImage:
    id: str
    visual: np.ndarray
    text_vector: np.ndarray
    concepts: str = ""


def store_query_image(runtime: Any, data: bytes) -> QueryImage:
    """Analyse an uploaded query image and keep its vectors (cache, 24 h) under a content id."""
    a = runtime.image_embedder.analyze(data, ocr=False)
    qid = "q" + hashlib.sha256(data).hexdigest()[:31]
    concepts = ", ".join(label for label, _ in a.concepts)
    buf = io.BytesIO()
    np.savez(buf, visual=a.visual, text=a.text_vector, concepts=np.array(concepts))
    runtime.cache.set(_NS, qid, buf.getvalue(), ttl=_TTL)
    return QueryImage(qid, a.visual, a.text_vector, concepts)


def load_query_image(runtime: Any, image_id: str) -> QueryImage:
    """A query image by id: an uploaded one (``q…``) or a stored creator photo (``platform:handle#photoN``)."""
    if "#photo" in image_id:
        recs = runtime.store.get(PHOTOS, [image_id])
        if not recs:
            raise NotFound(f"no stored creator photo {image_id!r}")
        r = recs[0]
        return QueryImage(
            image_id, r.vectors["photo_visual"], r.vectors["photo_text"], str(r.metadata.get("concepts", ""))
        )
    raw = runtime.cache.get(_NS, image_id) if image_id.startswith("q") and len(image_id) == 32 else None
    if raw is None:
        raise NotFound(f"query image {image_id!r} not found or expired: upload it again")
    with np.load(io.BytesIO(raw)) as z:
        return QueryImage(image_id, z["visual"], z["text"], str(z["concepts"]))


def profile_hits(
    store: Any, vec: np.ndarray, where: Where | None, need: int
) -> dict[str, tuple[float, dict[str, Any]]]:
    """creator id -> (text cosine, profile metadata) for the top ``need`` profiles matching ``where``."""
    if need > MAX_STORE_K:
        raise InvalidInput(f"cannot page deeper than {MAX_STORE_K} results")
    hits = store.search(PROFILES, vec, field="text", k=need, where=where)
    return {h.id: (float(h.score), h.metadata) for h in hits}


PhotoHit = tuple[float, str, str]  # (cosine, photo id, concepts)


def best_photos(
    store: Any, field: str, vec: np.ndarray, where: Where | None, need: int
) -> dict[str, PhotoHit]:
    """creator id -> best photo for the top ``need`` creators by their best photo."""
    depth = min(max(need * 2, 20), MAX_STORE_K)
    while True:
        best: dict[str, PhotoHit] = {}
        hits = store.search(PHOTOS, vec, field=field, k=depth, where=where)
        for h in hits:
            cid = str(h.metadata.get("creator_id"))
            if cid not in best or h.score > best[cid][0]:
                best[cid] = (float(h.score), h.id, str(h.metadata.get("concepts", "")))
        if len(best) >= need or len(hits) < depth or depth >= MAX_STORE_K:
            return best  # enough creators, or every matching photo seen
        depth = min(depth * 4, MAX_STORE_K)


def photo_scores(
    store: Any, metas: dict[str, dict[str, Any]], field: str, vec: np.ndarray
) -> dict[str, PhotoHit]:
    """Exact best-photo cosine for given creators (for candidates found by another signal)."""
    ids = [f"{cid}#photo{n}" for cid, m in metas.items() for n in range(int(m.get("photo_count") or 0))]
    out: dict[str, PhotoHit] = {}
    if not ids:
        return out
    q = vec / (np.linalg.norm(vec) or 1.0)
    for r in store.get(PHOTOS, ids):
        v = r.vectors[field]
        s = float(np.dot(q, v / (np.linalg.norm(v) or 1.0)))
        cid = str(r.metadata.get("creator_id"))
        if cid not in out or s > out[cid][0]:
            out[cid] = (s, r.id, str(r.metadata.get("concepts", "")))
    return out
