"""The creator profile and the validation of one mapped row into it."""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass, field
from typing import Any

from adlens.creators.mapping import ColumnMapping
from adlens.creators.parsing import is_missing, parse_count, parse_number, parse_rate, parse_text
from adlens.creators.vocab import (
    canonical_category,
    canonical_country,
    canonical_language,
    canonical_platform,
)

__all__ = ["MAX_PHOTOS", "Profile", "RowError", "creator_id", "profile_from_row"]

MAX_PHOTOS = 5
_HANDLE_RE = re.compile(r"^[\w.\- ]{1,64}$")


def creator_id(platform: str, handle: str) -> str:
    """Stable id of a creator: upsert key is (platform, handle), case-insensitive."""
    return f"{platform}:{handle}"


def photo_id(cid: str, n: int) -> str:
    return f"{cid}#photo{n}"


@dataclass
class Profile:
    platform: str
    handle: str
    followers: int
    name: str | None = None
    bio: str | None = None
    category: str | None = None
    country: str | None = None
    location: str | None = None
    language: str | None = None
    engagement_rate: float | None = None
    avg_likes: int | None = None
    avg_comments: int | None = None
    posts: int | None = None
    total_likes: int | None = None
    influence_score: float | None = None
    captions: str | None = None
    images: list[str] = field(default_factory=list)
    engagement_source: str | None = None  # "reported" | "avg_likes/followers"

    @property
    def id(self) -> str:
        return creator_id(self.platform, self.handle)

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["id"] = self.id
        return d

    def text(self) -> str:
        """The text embedded in the ``text`` space and indexed for BM25."""
        parts = [self.name or "", f"@{self.handle}", self.category or "", self.bio or ""]
        if self.location or self.country:
            parts.append(" ".join(x for x in (self.location, self.country) if x))
        if self.captions:
            parts.append(self.captions[:1000])
        return " · ".join(p for p in parts if p)

    def fingerprint(self) -> str:
        return hashlib.sha1(repr(sorted(self.as_dict().items())).encode()).hexdigest()[:16]


class RowError(ValueError):
    """A row cannot be imported; ``reasons`` lists every problem found."""

    def __init__(self, reasons: list[str]) -> None:
        super().__init__("; ".join(reasons))
        self.reasons = reasons


def _split_images(value: Any) -> list[str]:
    if is_missing(value):
        return []
    items = value if isinstance(value, list) else re.split(r"[|;\n]+|\s+(?=https?://)", str(value))
    return [s.strip() for s in items if isinstance(s, str) and s.strip()]


def profile_from_row(
    row: dict[str, Any], mapping: ColumnMapping, default_platform: str = "instagram"
) -> Profile:
    """Validate one raw row; raise :class:`RowError` with every reason when it cannot be imported."""
    reasons: list[str] = []

    def raw(fname: str) -> Any:
        col = mapping.columns.get(fname)
        value = row.get(col) if col is not None else None
        if is_missing(value) and fname in mapping.defaults:
            return mapping.defaults[fname]
        return value

    def get(fname: str, parser: Any) -> Any:
        try:
            return parser(raw(fname))
        except ValueError as e:
            reasons.append(f"{fname}: {e}")
            return None

    handle_raw = parse_text(raw("handle"), 200)
    handle = None
    if handle_raw is None:
        reasons.append("handle: missing")
    else:
        handle = handle_raw.strip().lstrip("@").lower()
        handle = re.sub(r"^https?://[^/]+/+", "", handle).strip("/")
        if not _HANDLE_RE.match(handle):
            reasons.append(
                f"handle: {handle_raw[:40]!r} is not a valid handle (letters, digits, spaces, _ . -; at most 64)"
            )
    platform_raw = parse_text(raw("platform"), 40) or default_platform
    platform = canonical_platform(platform_raw)
    followers = get("followers", parse_count)
    if followers is None and not any(r.startswith("followers") for r in reasons):
        reasons.append("followers: missing")
    rate = get("engagement_rate", parse_rate)
    avg_likes = get("avg_likes", parse_count)
    source = "reported" if rate is not None else None
    if rate is None and avg_likes is not None and followers:
        rate = min(1.0, avg_likes / followers)
        source = "avg_likes/followers"
    images = []
    for col in mapping.images:
        images.extend(_split_images(row.get(col)))
    if len(images) > MAX_PHOTOS:
        images = images[:MAX_PHOTOS]
    p_kwargs: dict[str, Any] = {
        "name": get("name", lambda v: parse_text(v, 200)),
        "bio": get("bio", lambda v: parse_text(v, 2000)),
        "category": get("category", lambda v: canonical_category(t) if (t := parse_text(v, 80)) else None),
        "country": get("country", lambda v: canonical_country(t) if (t := parse_text(v, 80)) else None),
        "location": get("location", lambda v: parse_text(v, 120)),
        "language": get("language", lambda v: canonical_language(t) if (t := parse_text(v, 40)) else None),
        "engagement_rate": rate,
        "avg_likes": avg_likes,
        "avg_comments": get("avg_comments", parse_count),
        "posts": get("posts", parse_count),
        "total_likes": get("total_likes", parse_count),
        "influence_score": get("influence_score", parse_number),
        "captions": get("captions", lambda v: parse_text(" ".join(v) if isinstance(v, list) else v, 3000)),
        "images": images,
        "engagement_source": source,
    }
    if reasons or handle is None or followers is None:
        raise RowError(reasons)
    return Profile(platform=platform, handle=handle, followers=followers, **p_kwargs)
