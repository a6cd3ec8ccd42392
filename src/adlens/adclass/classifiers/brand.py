"""Brand profiles: the keyword plus built-in knowledge (``data/brands.yaml``) plus per-keyword overrides."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from adlens.adclass.classifiers.base import BrandProfile
from adlens.adclass.classifiers.evidence import compact
from adlens.errors import InvalidInput

_LIST_FIELDS = ("aliases", "handles", "products", "negatives")


@lru_cache(maxsize=1)
def _packaged() -> dict[str, dict[str, Any]]:
    text = resources.files("adlens.adclass").joinpath("data/brands.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text) or {}
    return {str(k).lower(): v for k, v in data.items() if isinstance(v, dict)}


@lru_cache(maxsize=8)
def _merged(path: str, mtime_ns: int, size: int) -> dict[str, dict[str, Any]]:
    from adlens.adclass.deployment import merge_brands, read_brands

    return merge_brands(_packaged(), read_brands(Path(path)))


def brand_knowledge(path: Path | None = None) -> dict[str, dict[str, Any]]:
    """The built-in brand knowledge keyed by lower-case keyword, with a deployment's file merged over it.

    ``path`` (``settings.adclass_brands_path``) adds aliases, handles, products and negatives to the
    built-in entries and replaces their description; a missing or malformed file raises ``Misconfigured``.
    """
    if path is None:
        return _packaged()
    from adlens.adclass.deployment import BRANDS_ENV, Misconfigured

    try:
        st = Path(path).stat()
    except OSError as exc:
        raise Misconfigured(f"{BRANDS_ENV}: brands file {path} does not exist") from exc
    return _merged(str(path), st.st_mtime_ns, st.st_size)


def _lookup(keyword: str, path: Path | None = None) -> dict[str, Any]:
    known = brand_knowledge(path)
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
    used for its settings: ``adclass_brands_path`` merges a deployment's brand knowledge over the
    built-in one.
    """
    if not isinstance(keyword, str) or not keyword.strip():
        raise InvalidInput("keyword must be a non-empty string")
    keyword = " ".join(keyword.split())
    if len(keyword) > 100:
        raise InvalidInput("keyword must be at most 100 characters")
    from adlens.adclass.deployment import brands_path

    entry = _lookup(keyword, brands_path(getattr(runtime, "settings", None)))
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
