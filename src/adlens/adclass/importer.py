"""Import ad-library exports (CSV, JSON/JSON Lines, XLSX) into the ad database for one keyword.

Columns are mapped to the seed's fields by an explicit mapping (YAML/JSON ``{field: column}``) or by
recognising common names (Meta Ad Library: ``ad_creative_bodies``, ``page_name``,
``ad_creative_link_titles``, ``ad_creative_link_descriptions``, ``id``/``ad_archive_id``…). Every row is
validated; a row that cannot be stored is reported with its number and the reason, never dropped
silently. Ads are upserted by ``(keyword, external id)``, all in one transaction.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from pathlib import Path
from typing import Any

import yaml

from adlens.adclass.readers import MAX_ROWS, read_records
from adlens.adclass.repository import AD_FIELDS, AdRepository
from adlens.errors import InvalidInput, PayloadTooLarge

MAX_BODY_CHARS = 100_000
MAX_REPORTED = 1000
TEXT_TARGETS = ("body_text", "title", "description", "page_name")
CANDIDATES: dict[str, tuple[str, ...]] = {
    "external_id": ("ad_archive_id", "ad_library_id", "library_id", "archive_id", "ad_id", "id", "external_id"),
    "body_text": (
        "ad_creative_bodies", "ad_creative_body", "body_text", "body", "ad_body", "ad_text", "primary_text",
        "creative_body", "text", "message", "ad_copy", "copy", "content",
    ),
    "page_name": ("page_name", "advertiser_name", "advertiser", "page", "account_name", "brand", "author"),
    "title": ("ad_creative_link_titles", "ad_creative_link_title", "link_title", "headline", "title"),
    "description": (
        "ad_creative_link_descriptions", "ad_creative_link_description", "link_description", "description",
    ),
    "platform": ("publisher_platforms", "publisher_platform", "platforms", "platform"),
    "started_at": ("ad_delivery_start_time", "start_date", "started_at", "ad_creation_time", "date"),
}  # fmt: skip
_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%d/%m/%Y", "%m/%d/%Y", "%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%d %H:%M:%S")


def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", str(name).strip().lower()).strip("_")


# --- mapping -------------------------------------------------------------------------------------
def parse_mapping(text: str | bytes | None) -> dict[str, str] | None:
    """A mapping document (YAML or JSON): ``{field: column}``, optionally under a ``columns`` key."""
    if text is None or not str(text if isinstance(text, str) else text.decode("utf-8", "replace")).strip():
        return None
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InvalidInput(f"mapping is not valid YAML/JSON: {str(exc).splitlines()[0]}") from None
    if isinstance(doc, dict) and isinstance(doc.get("columns"), dict):
        doc = doc["columns"]
    if not isinstance(doc, dict) or not all(isinstance(v, str) for v in doc.values()):
        raise InvalidInput("mapping must map fields to column names, e.g. {body_text: 'Ad text'}")
    unknown = sorted(str(k) for k in doc if k not in AD_FIELDS)
    if unknown:
        raise InvalidInput(f"unknown mapping field(s) {', '.join(unknown)}; fields: {', '.join(AD_FIELDS)}")
    return {str(k): v for k, v in doc.items()}


def load_mapping(path: Path) -> dict[str, str] | None:
    try:
        return parse_mapping(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InvalidInput(f"cannot read mapping {path}: {exc.strerror or exc}") from None


def resolve_mapping(columns: list[str], mapping: dict[str, str] | None = None) -> dict[str, str]:
    """``{field: column}``: the explicit mapping first, then recognised column names."""
    resolved: dict[str, str] = {}
    for target, column in (mapping or {}).items():
        if column not in columns:
            raise InvalidInput(f"mapping: column {column!r} (for {target}) is not in the file")
        resolved[target] = column
    by_norm = {_norm(c): c for c in reversed(columns)}
    used = set(resolved.values())
    for target, names in CANDIDATES.items():
        if target in resolved:
            continue
        for name in names:
            found = by_norm.get(name)
            if found is not None and found not in used:
                resolved[target] = found
                used.add(found)
                break
    if not any(t in resolved for t in TEXT_TARGETS):
        shown = ", ".join(columns[:30])
        raise InvalidInput(
            f"no ad text column found (columns: {shown}); map one, e.g. --mapping with body_text: <column>"
        )
    return resolved


# --- validation ----------------------------------------------------------------------------------
def _text(value: Any, field: str) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        stripped = value.strip()
        if stripped.startswith("[") and stripped.endswith("]"):
            try:
                parsed = json.loads(stripped)
            except json.JSONDecodeError:
                return stripped
            if isinstance(parsed, list):
                return _text(parsed, field)
        return stripped
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, list):
        parts: list[str] = []
        for v in value:
            part = _text(v, field)
            if part and part not in parts:
                parts.append(part)
        return ("\n" if field in TEXT_TARGETS else ", ").join(parts)
    raise ValueError(f"{field}: expected text, got a JSON {type(value).__name__}")


def _date(value: Any) -> str | None:
    if value in (None, ""):
        return None
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    text = str(value).strip()
    try:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).isoformat()
    except ValueError:
        pass
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).isoformat()
        except ValueError:
            continue
    raise ValueError(f"started_at: not a date ({text[:40]!r})")


def _jsonable(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    if isinstance(value, float) and value != value:  # NaN
        return None
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


def validate(
    rows: list[tuple[int, Any]], mapping: dict[str, str]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, int]]:
    """Split rows into storable ads and rejected rows (``{"row", "external_id", "reason"}``)."""
    good: list[dict[str, Any]] = []
    rejected: list[dict[str, Any]] = []
    counts = {"truncated": 0, "derived_ids": 0, "no_text": 0}
    seen: dict[str, int] = {}
    mapped = set(mapping.values())
    for number, record in rows:
        if isinstance(record, str):
            rejected.append({"row": number, "external_id": None, "reason": record})
            continue
        ext = None
        try:
            ad: dict[str, Any] = {}
            for target in ("body_text", "page_name", "title", "description", "platform"):
                ad[target] = _text(record.get(mapping[target]), target) if target in mapping else ""
            ext = _text(record.get(mapping["external_id"]), "external_id") if "external_id" in mapping else ""
            ad["started_at"] = _date(record.get(mapping["started_at"])) if "started_at" in mapping else None
        except ValueError as exc:
            rejected.append({"row": number, "external_id": ext or None, "reason": str(exc)})
            continue
        if not ext and not any(ad[t] for t in TEXT_TARGETS):
            rejected.append({"row": number, "external_id": None, "reason": "empty row: no ad id and no text"})
            continue
        if len(ext) > 200:
            rejected.append({"row": number, "external_id": ext[:40] + "…", "reason": "ad id longer than 200"})
            continue
        if not ext:
            key = "\x1f".join(ad[t] for t in ("page_name", "title", "body_text", "description"))
            ext = "sha1:" + hashlib.sha1(key.encode()).hexdigest()[:16]
            counts["derived_ids"] += 1
        if ext in seen:
            rejected.append({"row": number, "external_id": ext, "reason": f"duplicate of row {seen[ext]}"})
            continue
        seen[ext] = number
        for target in TEXT_TARGETS:
            if len(ad[target]) > MAX_BODY_CHARS:
                ad[target] = ad[target][:MAX_BODY_CHARS]
                counts["truncated"] += 1
        if not any(ad[t] for t in ("body_text", "title", "description")):
            counts["no_text"] += 1
        ad["platform"] = ad["platform"][:200] or None
        ad["external_id"] = ext
        extra = {k: _jsonable(v) for k, v in record.items() if k not in mapped and v not in (None, "")}
        ad["raw"] = extra if len(json.dumps(extra, default=str)) <= 20_000 else {"note": "raw row too large"}
        good.append(ad)
    return good, rejected, counts


def import_ads(
    repo: AdRepository,
    keyword: str,
    data: bytes,
    filename: str,
    *,
    mapping: dict[str, str] | None = None,
    encoding: str | None = None,
    max_bytes: int | None = None,
    profile: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Import one export file for ``keyword``; the summary lists every rejected row with its reason."""
    if max_bytes is not None and len(data) > max_bytes:
        raise PayloadTooLarge(f"file '{Path(filename).name}' is larger than the limit of {max_bytes:,} bytes")
    fmt, columns, rows = read_records(data, filename, encoding)
    resolved = resolve_mapping(columns, mapping)
    good, rejected, counts = validate(rows, resolved)
    kw = repo.ensure_keyword(keyword, profile)
    stored = repo.upsert_ads(kw["id"], good) if good else {"imported": 0, "updated": 0, "unchanged": 0}
    warnings: list[str] = []
    if counts["truncated"]:
        warnings.append(f"{counts['truncated']} text field(s) truncated to {MAX_BODY_CHARS:,} characters")
    if counts["derived_ids"]:
        warnings.append(f"{counts['derived_ids']} row(s) had no ad id: ids derived from their content")
    if counts["no_text"]:
        warnings.append(f"{counts['no_text']} ad(s) have no body, title or description text")
    return {
        "keyword": kw["keyword"],
        "file": Path(filename).name,
        "format": fmt,
        "rows": len(rows),
        **stored,
        "rejected": len(rejected),
        "rejected_rows": rejected[:MAX_REPORTED],
        "rejected_rows_truncated": len(rejected) > MAX_REPORTED,
        "mapping": resolved,
        "warnings": warnings,
    }


__all__ = [
    "CANDIDATES",
    "MAX_BODY_CHARS",
    "MAX_ROWS",
    "import_ads",
    "load_mapping",
    "parse_mapping",
    "read_records",
    "resolve_mapping",
    "validate",
]
