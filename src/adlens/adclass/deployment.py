"""A deployment's own themes and brand knowledge (``ADLENS_ADCLASS_THEMES_PATH``/``_BRANDS_PATH``).

Both settings are optional: without them the packaged ``data/themes.yaml`` and ``data/brands.yaml`` are
used. A configured file that is missing or malformed is a :class:`Misconfigured` error (503 in the API,
one ``error:`` line in the CLI) naming the setting, never a silent fallback.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import yaml

from adlens.adclass.classifiers.themes import ThemeSet
from adlens.errors import InvalidInput, Unavailable

THEMES_ENV = "ADLENS_ADCLASS_THEMES_PATH"
BRANDS_ENV = "ADLENS_ADCLASS_BRANDS_PATH"
_LIST_FIELDS = ("aliases", "handles", "products", "negatives")
_TEXT_FIELDS = ("description", "parent")


class Misconfigured(Unavailable):
    """A configured adclass file (themes or brands) cannot be used."""

    code = "adclass-misconfigured"
    title = "adclass is misconfigured"


def themes_path(settings: Any) -> Path | None:
    value = getattr(settings, "adclass_themes_path", None) if settings is not None else None
    return Path(value).expanduser() if value else None


def brands_path(settings: Any) -> Path | None:
    value = getattr(settings, "adclass_brands_path", None) if settings is not None else None
    return Path(value).expanduser() if value else None


def configured_themes(settings: Any) -> ThemeSet:
    """The deployment's theme set (``adclass_themes_path``) or the packaged one."""
    path = themes_path(settings)
    if path is None:
        return ThemeSet.default()
    if not path.is_file():
        raise Misconfigured(f"{THEMES_ENV}: themes file {path} does not exist")
    try:
        return ThemeSet.from_yaml(path)
    except InvalidInput as exc:
        raise Misconfigured(f"{THEMES_ENV}: {exc.message}") from exc


def read_brands(path: Path) -> dict[str, dict[str, Any]]:
    """Validate a brands YAML (``{keyword: {aliases, handles, products, negatives, description, parent}}``)."""
    if not path.is_file():
        raise Misconfigured(f"{BRANDS_ENV}: brands file {path} does not exist")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise Misconfigured(f"{BRANDS_ENV}: cannot read {path}: {exc.strerror or exc}") from exc
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise Misconfigured(f"{BRANDS_ENV}: {path} is not valid YAML ({type(exc).__name__})") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise Misconfigured(f"{BRANDS_ENV}: {path} must map brand keywords to entries")
    out: dict[str, dict[str, Any]] = {}
    for key, entry in data.items():
        where = f"{BRANDS_ENV}: {path}: brand {key!r}"
        if not isinstance(entry, dict):
            raise Misconfigured(f"{where} must be a mapping")
        unknown = sorted(set(map(str, entry)) - {*_LIST_FIELDS, *_TEXT_FIELDS})
        if unknown:
            raise Misconfigured(f"{where}: unknown field {unknown[0]!r}")
        for name in _LIST_FIELDS:
            value = entry.get(name)
            if value is not None and (
                not isinstance(value, list) or not all(isinstance(v, str | int | float) for v in value)
            ):
                raise Misconfigured(f"{where}: {name!r} must be a list of strings")
        for name in _TEXT_FIELDS:
            if entry.get(name) is not None and not isinstance(entry[name], str):
                raise Misconfigured(f"{where}: {name!r} must be a string")
        out[str(key).strip().lower()] = dict(entry)
    return out


def merge_brands(
    base: dict[str, dict[str, Any]], extra: dict[str, dict[str, Any]]
) -> dict[str, dict[str, Any]]:
    """``extra`` over ``base``: lists are added (duplicates dropped), description/parent replace."""
    merged = {k: dict(v) for k, v in base.items()}
    for key, entry in extra.items():
        target = merged.setdefault(key, {})
        for name in _LIST_FIELDS:
            if entry.get(name):
                items = [*(target.get(name) or []), *(str(v) for v in entry[name])]
                target[name] = list(dict.fromkeys(items))
        for name in _TEXT_FIELDS:
            if entry.get(name):
                target[name] = entry[name]
    return merged


def brands_digest(settings: Any) -> str | None:
    """A digest of the configured brands file (part of the stored result version), or None."""
    path = brands_path(settings)
    if path is None:
        return None
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()[:8]
    except OSError as exc:
        raise Misconfigured(f"{BRANDS_ENV}: cannot read {path}: {exc.strerror or exc}") from exc


__all__ = [
    "BRANDS_ENV",
    "THEMES_ENV",
    "Misconfigured",
    "brands_digest",
    "brands_path",
    "configured_themes",
    "merge_brands",
    "read_brands",
    "themes_path",
]
