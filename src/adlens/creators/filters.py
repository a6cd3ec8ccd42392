"""Search filters for creators and their translation into the store's filter language."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from adlens.creators.vocab import (
    canonical_category,
    canonical_country,
    canonical_language,
    canonical_platform,
)

__all__ = ["CreatorFilters", "to_where"]


def _as_list(v: Any) -> Any:
    if v is None or v == "":
        return []
    if isinstance(v, str):
        return [s.strip() for s in v.split(",") if s.strip()]
    return v


class CreatorFilters(BaseModel):
    """Hard filters. Ranges are inclusive; engagement is a fraction (0.03 = 3 %); lists are OR-ed."""

    model_config = ConfigDict(extra="forbid")

    min_followers: int | None = Field(default=None, ge=0)
    max_followers: int | None = Field(default=None, ge=0)
    min_engagement: float | None = Field(default=None, ge=0, le=1)
    max_engagement: float | None = Field(default=None, ge=0, le=1)
    category: list[str] = Field(default_factory=list)
    country: list[str] = Field(default_factory=list)
    location: str | None = None
    platform: list[str] = Field(default_factory=list)
    language: list[str] = Field(default_factory=list)

    @field_validator("category", "country", "platform", "language", mode="before")
    @classmethod
    def _listify(cls, v: Any) -> Any:
        return _as_list(v)

    @field_validator("category")
    @classmethod
    def _cat(cls, v: list[str]) -> list[str]:
        return sorted({canonical_category(x) for x in v})

    @field_validator("country")
    @classmethod
    def _country(cls, v: list[str]) -> list[str]:
        return sorted({canonical_country(x) for x in v})

    @field_validator("platform")
    @classmethod
    def _platform(cls, v: list[str]) -> list[str]:
        return sorted({canonical_platform(x) for x in v})

    @field_validator("language")
    @classmethod
    def _language(cls, v: list[str]) -> list[str]:
        return sorted({canonical_language(x) for x in v})

    @field_validator("location", mode="before")
    @classmethod
    def _loc(cls, v: Any) -> Any:
        if v is None or (isinstance(v, str) and not v.strip()):
            return None
        return " ".join(str(v).lower().split())

    def merged(self, other: CreatorFilters) -> CreatorFilters:
        """``other`` (explicit filters) wins over ``self`` (parsed from the query) field by field."""
        data = self.model_dump()
        for k, v in other.model_dump().items():
            if v not in (None, []):
                data[k] = v
        return CreatorFilters(**data)

    def is_empty(self) -> bool:
        return all(v in (None, []) for v in self.model_dump().values())


def to_where(f: CreatorFilters) -> dict[str, Any] | None:
    """The store filter matching ``f`` (profiles and photos carry the same filter fields); ``None``
    when ``f`` filters nothing."""
    parts: list[dict[str, Any]] = []
    fol: dict[str, Any] = {}
    if f.min_followers is not None:
        fol["$gte"] = f.min_followers
    if f.max_followers is not None:
        fol["$lte"] = f.max_followers
    if fol:
        parts.append({"followers": fol})
    eng: dict[str, Any] = {}
    if f.min_engagement is not None:
        eng["$gte"] = f.min_engagement
    if f.max_engagement is not None:
        eng["$lte"] = f.max_engagement
    if eng:
        parts.append({"engagement_rate": eng})
    for key in ("category", "country", "platform", "language"):
        values = getattr(f, key)
        if not values:
            continue
        if len(values) == 1:
            parts.append({key: values[0]})
        elif len(values) <= 8:  # OR-ed equalities: cheaper than a set lookup for a few values
            parts.append({"$or": [{key: v} for v in values]})
        else:
            parts.append({key: {"$in": list(values)}})
    if f.location:
        parts.append({"location_terms": {"$contains": f.location}})
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else {"$and": parts}
