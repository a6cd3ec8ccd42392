"""How creators live in the store: a profile collection and a photo collection.

* ``creator_profiles`` (id ``platform:handle``): one vector field ``text`` (384, MiniLM) over name,
  handle, category, bio, location and captions, plus every profile field as metadata.
* ``creator_photos`` (id ``platform:handle#photoN``): one record per photo with ``photo_text`` (384:
  the photo's text-space vector from the embed seam — ImageNet concepts, colours, OCR — so a text
  query can search photos, "people with curly hair") and ``photo_visual`` (1280, EfficientNet
  features: image → image), plus a copy of the profile's filter metadata (platform, handle,
  followers, engagement_rate, avg_likes, posts, category, country, location_terms, language), so
  photo searches are filtered in the store and then grouped by creator (best photo wins).

Two collections rather than one with a ``kind`` field: the store keeps every vector field of every
record in memory, and most creators have no photo, so one collection held 2,048 floats per profile
where 384 are used (8.3 of the 12.3 GB at 1M creators), and every photo search filtered 1M rows to
find the 1 % that are photos. :func:`ensure_collections` moves a store written in the earlier
one-collection layout (``creators``) into this one.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from adlens.creators.legacy import LEGACY, migrate_legacy
from adlens.creators.profile import Profile, photo_id
from adlens.store import Record

__all__ = [
    "FILTER_KEYS",
    "PHOTOS",
    "PHOTO_FIELDS",
    "PROFILES",
    "PROFILE_FIELDS",
    "ensure_collections",
    "location_terms",
    "photo_record",
    "profile_metadata",
    "profile_record",
]

PROFILES = "creator_profiles"
PHOTOS = "creator_photos"
PROFILE_FIELDS = {"text": 384}
PHOTO_FIELDS = {"photo_text": 384, "photo_visual": 1280}
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


def ensure_collections(store: Any) -> None:
    """Create both collections (a no-op when they exist), moving an earlier layout over first."""
    if any(c.name == LEGACY for c in store.list_collections()):
        migrate_legacy(store, profiles=PROFILES, photos=PHOTOS)
    store.create_collection(PROFILES, dict(PROFILE_FIELDS), exist_ok=True)
    store.create_collection(PHOTOS, dict(PHOTO_FIELDS), exist_ok=True)


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


def profile_record(p: Profile, text_vec: np.ndarray, photos: list[dict[str, Any]]) -> Record:
    """``photos``: dicts with ``file``, ``source`` (the photo records are :func:`photo_record`)."""
    return Record(
        id=p.id, vectors={"text": text_vec}, metadata=profile_metadata(p, photos=photos), text=p.text()
    )


def photo_record(p: Profile, n: int, photo: dict[str, Any], profile_meta: dict[str, Any]) -> Record:
    """``photo``: ``file``, ``source``, ``text_vector``, ``visual`` and optional ``concepts``."""
    meta = {k: profile_meta[k] for k in FILTER_KEYS if k in profile_meta}
    meta.update(
        creator_id=p.id,
        photo_index=n,
        file=photo["file"],
        source=photo["source"],
        concepts=photo.get("concepts", ""),
    )
    return Record(
        id=photo_id(p.id, n),
        vectors={"photo_text": photo["text_vector"], "photo_visual": photo["visual"]},
        metadata=meta,
        text="",
    )
