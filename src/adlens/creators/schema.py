"""How creators live in the store: one collection, profile records plus one record per photo.

Collection ``creators`` has three vector fields:

* ``text`` (384, MiniLM): name, handle, category, bio, location and captions;
* ``photo_text`` (384): the photo's text-space vector from the embed seam (ImageNet concepts,
  colours, OCR), so a text query can search photos ("people with curly hair");
* ``photo_visual`` (1280, EfficientNet features): image → image similarity.

Records with ``kind = "profile"`` (id ``platform:handle``) carry the text vector and the *mean* of
their photos' vectors (the text vector and a constant when there is no photo). Records with
``kind = "photo"`` (id ``platform:handle#photoN``) carry one photo each plus a copy of the profile's
filter metadata, so photo searches are filtered in the store and then grouped by creator (best photo
wins). Every record repeats the filter metadata: platform, handle, followers, engagement_rate,
avg_likes, posts, category, country, location_terms, language.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from adlens.creators.profile import Profile, photo_id
from adlens.store import Record

__all__ = [
    "COLLECTION",
    "FILTER_KEYS",
    "VECTOR_FIELDS",
    "ensure_collection",
    "location_terms",
    "photo_record",
    "profile_metadata",
    "profile_record",
]

COLLECTION = "creators"
VECTOR_FIELDS = {"text": 384, "photo_text": 384, "photo_visual": 1280}
FILTER_KEYS = (
    "platform",
    "handle",
    "followers",
    "engagement_rate",
    "avg_likes",
    "posts",
    "category",
    "country",
    "location_terms",
    "language",
)
_NO_PHOTO_VISUAL = np.zeros(1280, np.float32)
_NO_PHOTO_VISUAL[0] = 1.0


def ensure_collection(store: Any) -> None:
    store.create_collection(COLLECTION, dict(VECTOR_FIELDS), exist_ok=True)


def location_terms(p: Profile) -> list[str]:
    """Lower-case words and full names of the location and country, for ``$contains`` filters."""
    out: list[str] = []
    for value in (p.location, p.country):
        if value:
            v = value.lower().strip()
            out.append(v)
            out.extend(w for w in re.split(r"[^\w']+", v) if len(w) > 1)
    return sorted(set(out))


def profile_metadata(p: Profile, *, photos: list[dict[str, Any]]) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "kind": "profile",
        "platform": p.platform,
        "handle": p.handle,
        "name": p.name,
        "bio": p.bio,
        "followers": p.followers,
        "engagement_rate": p.engagement_rate,
        "engagement_source": p.engagement_source,
        "avg_likes": p.avg_likes,
        "avg_comments": p.avg_comments,
        "posts": p.posts,
        "total_likes": p.total_likes,
        "influence_score": p.influence_score,
        "category": p.category,
        "country": p.country,
        "location": p.location,
        "location_terms": location_terms(p),
        "language": p.language,
        "photo_count": len(photos),
        "photos": [ph["file"] for ph in photos],
        "photo_sources": [ph["source"] for ph in photos],
    }
    return {k: v for k, v in meta.items() if v is not None}


def _mean(vectors: list[np.ndarray], fallback: np.ndarray) -> np.ndarray:
    if not vectors:
        return fallback
    m = np.mean(np.stack(vectors), axis=0)
    n = float(np.linalg.norm(m))
    return (m / n).astype(np.float32) if n > 0 else fallback


def profile_record(p: Profile, text_vec: np.ndarray, photos: list[dict[str, Any]]) -> Record:
    """``photos``: dicts with ``file``, ``source``, ``text_vector``, ``visual``."""
    return Record(
        id=p.id,
        vectors={
            "text": text_vec,
            "photo_text": _mean([ph["text_vector"] for ph in photos], text_vec),
            "photo_visual": _mean([ph["visual"] for ph in photos], _NO_PHOTO_VISUAL),
        },
        metadata=profile_metadata(p, photos=photos),
        text=p.text(),
    )


def photo_record(
    p: Profile, n: int, text_vec: np.ndarray, photo: dict[str, Any], profile_meta: dict[str, Any]
) -> Record:
    meta = {k: profile_meta[k] for k in FILTER_KEYS if k in profile_meta}
    meta.update(
        kind="photo",
        creator_id=p.id,
        photo_index=n,
        file=photo["file"],
        source=photo["source"],
        concepts=photo.get("concepts", ""),
    )
    return Record(
        id=photo_id(p.id, n),
        vectors={"text": text_vec, "photo_text": photo["text_vector"], "photo_visual": photo["visual"]},
        metadata=meta,
        text="",
    )
