"""Brand profiles: the keyword plus built-in knowledge (``data/brands.yaml``) plus per-keyword overrides."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

from adlens.adclass.classifiers.base import BrandProfile
from adlens.adclass.classifiers.evidence import compact
from adlens.errors import InvalidInput

_LIST_FIELDS = ("aliases", "handles", "products", "negatives")


@lru_cache(maxsize=1)
def brand_knowledge() -> dict[str, dict[str, Any]]:
    """The built-in brand knowledge, keyed by lower-case keyword."""
    text = resources.files("adlens.adclass").joinpath("data/brands.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text) or {}
    return {str(k).lower(): v for k, v in data.items() if isinstance(v, dict)}


def _lookup(keyword: str) -> dict[str, Any]:
    known = brand_knowledge()
    key = keyword.strip().lower()
    if key in known:
        return known[key]
    squeezed = compact(key)
    for name, entry in known.items():
        if compact(name) == squeezed or squeezed in {compact(a) for a in entry.get("aliases", [])}:
            return entry
    return {}


def profile_for(keyword: str, runtime: Any = None, overrides: dict[str, Any] | None = None) -> BrandProfile:
    """Build the :class:`BrandProfile` of ``keyword``.

    ``overrides`` (e.g. stored per keyword by the service) may set ``aliases``, ``handles``, ``products``,
    ``negatives`` (lists, added to the built-in ones) and ``description`` (replaces it). ``runtime`` is
    accepted for symmetry with the other factories and is not needed today.
    """
    if not isinstance(keyword, str) or not keyword.strip():
        raise InvalidInput("keyword must be a non-empty string")
    keyword = " ".join(keyword.split())
    if len(keyword) > 100:
        raise InvalidInput("keyword must be at most 100 characters")
    entry = _lookup(keyword)
    overrides = overrides or {}
    for key in overrides:
        if key not in (*_LIST_FIELDS, "description"):
            raise InvalidInput(
                f"unknown brand override {key!r}; use aliases, handles, products, negatives, description"
            )
    lists: dict[str, list[str]] = {}
    for key in _LIST_FIELDS:
        extra = overrides.get(key) or []
        if not isinstance(extra, list) or not all(isinstance(x, str) for x in extra):
            raise InvalidInput(f"brand override {key!r} must be a list of strings")
        merged: dict[str, None] = {}
        for item in [*(entry.get(key) or []), *extra]:
            if str(item).strip():
                merged.setdefault(str(item).strip(), None)
        lists[key] = list(merged)
    handle = compact(keyword)
    if handle and handle not in {compact(h) for h in lists["handles"]}:
        lists["handles"].insert(0, handle)
    description = (
        overrides.get("description") or entry.get("description") or f"{keyword}, the brand and its products."
    )
    if not isinstance(description, str):
        raise InvalidInput("brand override 'description' must be a string")
    return BrandProfile(
        keyword=keyword,
        aliases=lists["aliases"],
        handles=lists["handles"],
        products=lists["products"],
        description=description,
        negatives=lists["negatives"],
    )


def profile_text(profile: BrandProfile) -> str:
    """The text embedded as the brand's semantic profile."""
    products = ", ".join(profile.products[:12])
    return f"{profile.description} {profile.keyword}" + (f": {products}" if products else "")


__all__ = ["brand_knowledge", "profile_for", "profile_text"]
