"""Column mapping: which source column holds which creator field.

Auto-detection normalises header names (lower case, letters and digits only) and matches them
against synonyms. A YAML mapping file overrides or completes the guess::

    columns:            # field: source column
      handle: channel_info
      engagement_rate: 60d_eng_rate
    images: [photo_1, photo_2]   # several image columns (local paths or URLs)
    defaults:           # values for fields the file lacks
      platform: instagram

Required fields: ``handle`` and ``followers``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from adlens.errors import InvalidInput

__all__ = ["FIELDS", "REQUIRED", "ColumnMapping", "detect_mapping", "load_mapping_file"]

REQUIRED = ("handle", "followers")

#: canonical field -> header synonyms (normalised)
FIELDS: dict[str, tuple[str, ...]] = {
    "handle": ("handle", "username", "user", "channelinfo", "channel", "account", "screenname", "login"),
    "platform": ("platform", "network", "site", "source"),
    "name": ("name", "fullname", "displayname", "title", "creatorname"),
    "bio": ("bio", "biography", "description", "about", "summary"),
    "category": ("category", "niche", "topic", "vertical", "genre", "categories"),
    "country": ("country", "countryname", "nation"),
    "location": ("location", "city", "region", "place"),
    "language": ("language", "lang", "locale"),
    "followers": ("followers", "followercount", "followerscount", "subscribers", "fans", "audience"),
    "engagement_rate": (
        "engagementrate",
        "engrate",
        "60dengrate",
        "er",
        "engagement",
        "avgengagementrate",
        "engagementpct",
    ),
    "avg_likes": ("avglikes", "averagelikes", "likesavg", "meanlikes", "newpostavglike"),
    "avg_comments": ("avgcomments", "averagecomments", "comments"),
    "posts": ("posts", "postcount", "postscount", "media", "mediacount", "uploads", "videos"),
    "total_likes": ("totallikes", "likes"),
    "influence_score": ("influencescore", "score"),
    "captions": ("captions", "recentcaptions", "postcaptions", "caption"),
}
_IMAGE_RE = re.compile(
    r"^(image|img|photo|picture|pic|avatar|profilepic|profilepicture|profileimage)(url|path)?s?\d*$"
)


def norm(header: str) -> str:
    return re.sub(r"[^a-z0-9]", "", str(header).lower())


@dataclass
class ColumnMapping:
    """``columns``: field -> source column; ``images``: image columns; ``defaults``: field -> value."""

    columns: dict[str, str] = field(default_factory=dict)
    images: list[str] = field(default_factory=list)
    defaults: dict[str, Any] = field(default_factory=dict)

    def missing_required(self) -> list[str]:
        return [f for f in REQUIRED if f not in self.columns and f not in self.defaults]

    def as_dict(self) -> dict[str, Any]:
        return {"columns": dict(self.columns), "images": list(self.images), "defaults": dict(self.defaults)}


def detect_mapping(headers: list[str], override: ColumnMapping | None = None) -> ColumnMapping:
    """Guess the mapping from headers; ``override`` (e.g. from a YAML file) wins field by field."""
    by_norm: dict[str, str] = {}
    for h in headers:
        by_norm.setdefault(norm(h), h)
    out = ColumnMapping()
    used: set[str] = set()
    # exact synonym matches, in the synonym order of each field
    for fname, synonyms in FIELDS.items():
        for syn in (fname.replace("_", ""), *synonyms):
            col = by_norm.get(syn)
            if col is not None and col not in used:
                out.columns[fname] = col
                used.add(col)
                break
    out.images = [h for h in headers if h not in used and _IMAGE_RE.match(norm(h))]
    if override is not None:
        headers_set = set(headers)
        for fname, col in override.columns.items():
            if col not in headers_set:
                raise InvalidInput(
                    f"mapping: column {col!r} (for {fname}) is not in the file; columns: {headers}"
                )
            out.columns[fname] = col
        if override.images:
            missing = [c for c in override.images if c not in headers_set]
            if missing:
                raise InvalidInput(f"mapping: image columns not in the file: {missing}")
            out.images = list(override.images)
        out.defaults.update(override.defaults)
    return out


def load_mapping_file(path: str | Path) -> ColumnMapping:
    """Read a YAML mapping file (see the module docstring); malformed -> ``InvalidInput``."""
    p = Path(path)
    if not p.is_file():
        raise InvalidInput(f"mapping file not found: {p}")
    try:
        doc = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
    except (yaml.YAMLError, UnicodeDecodeError) as e:
        raise InvalidInput(f"mapping file {p.name} is not valid YAML: {str(e).splitlines()[0]}") from None
    return mapping_from_dict(doc, p.name)


def mapping_from_dict(doc: Any, what: str = "mapping") -> ColumnMapping:
    if not isinstance(doc, dict):
        raise InvalidInput(f"{what}: expected a mapping with 'columns', 'images', 'defaults'")
    unknown = set(doc) - {"columns", "images", "defaults"}
    if unknown:
        raise InvalidInput(f"{what}: unknown keys {sorted(unknown)} (known: columns, images, defaults)")
    columns = doc.get("columns") or {}
    images = doc.get("images") or []
    defaults = doc.get("defaults") or {}
    if not isinstance(columns, dict) or not all(isinstance(v, str) for v in columns.values()):
        raise InvalidInput(f"{what}: 'columns' must map field names to column names")
    bad = [k for k in columns if k not in FIELDS]
    if bad:
        raise InvalidInput(f"{what}: unknown fields {bad} (known: {', '.join(FIELDS)})")
    if isinstance(images, str):
        images = [images]
    if not isinstance(images, list) or not all(isinstance(v, str) for v in images):
        raise InvalidInput(f"{what}: 'images' must be a list of column names")
    if not isinstance(defaults, dict):
        raise InvalidInput(f"{what}: 'defaults' must be a mapping")
    return ColumnMapping(columns=dict(columns), images=list(images), defaults=dict(defaults))
