"""Import creator tables: map, validate every row, load photos, embed, then upsert in batches.

Order guarantees that a bad file never damages what is stored: the whole file is read, mapped and
validated, photos are loaded and every embedding is computed **before the first write**; a file-level
problem (encoding, missing required columns, size) raises ``InvalidInput``/``PayloadTooLarge`` with
nothing written. Writes are store upserts of at most ``BATCH`` records, each all-or-nothing.

Upsert key: ``(platform, handle)`` (case-insensitive). A second row with the same key in one file is
rejected ("duplicate handle, first seen in row N"); the first one is imported. When an updated row
lists no image, the creator keeps their stored photos.

Result: ``{"imported", "updated", "rejected", "rows", "photos", "rejected_rows": [{"row", "handle",
"reasons"}], "photo_errors": [...], "mapping", "source", "format", "encoding"}``. ``row`` is the
1-based data row (line number minus one in a CSV with a header).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from adlens.creators.mapping import ColumnMapping, detect_mapping
from adlens.creators.photos import PhotoLoader, photos_dir, save_thumbnail
from adlens.creators.profile import MAX_PHOTOS, Profile, RowError, photo_id, profile_from_row
from adlens.creators.quality import QualityModel, fit
from adlens.creators.schema import PHOTOS, PROFILES, ensure_collections, photo_record, profile_record
from adlens.creators.sources import Table
from adlens.errors import InvalidInput
from adlens.store import Record

__all__ = ["BATCH", "import_table", "quality_path", "quality_refit_due", "refit_quality"]

BATCH = 500
Progress = Callable[..., None]


def quality_path(settings: Any) -> Path:
    return Path(settings.data_dir) / "creators" / "quality.json"


def _detect_language(text: str | None) -> str | None:
    if not text or len(text) < 20:
        return None
    import py3langid

    lang, _ = py3langid.classify(text)
    return str(lang)


def _validate(
    table: Table, mapping: ColumnMapping, platform: str
) -> tuple[list[tuple[int, Profile]], list[dict[str, Any]]]:
    rejected: list[dict[str, Any]] = []
    good: list[tuple[int, Profile]] = []
    first: dict[str, int] = {}
    for i, row in enumerate(table.rows, start=1):
        try:
            p = profile_from_row(row, mapping, platform)
        except RowError as e:
            handle = row.get(mapping.columns.get("handle", ""), None)
            rejected.append(
                {"row": i, "handle": None if handle is None else str(handle)[:64], "reasons": e.reasons}
            )
            continue
        if p.id in first:
            rejected.append(
                {
                    "row": i,
                    "handle": p.handle,
                    "reasons": [
                        f"duplicate handle {p.handle!r} on {p.platform}: first seen in row {first[p.id]}"
                    ],
                }
            )
            continue
        first[p.id] = i
        good.append((i, p))
    return good, rejected


def _load_photos(
    runtime: Any, good: list[tuple[int, Profile]], loader: PhotoLoader, progress: Progress
) -> tuple[dict[str, list[dict[str, Any]]], list[dict[str, Any]]]:
    errors: list[dict[str, Any]] = []
    jobs: list[tuple[str, str, bytes]] = []
    todo = [(i, p, src) for i, p in good for src in p.images]
    for n, (i, p, src) in enumerate(todo, start=1):
        res = loader.load(src)
        if res.data is None:
            errors.append(
                {
                    "row": i,
                    "handle": p.handle,
                    "source": src[:300],
                    "reason": res.error,
                    "kept": "row imported without this photo",
                }
            )
        else:
            jobs.append((p.id, src, res.data))
        if n % 20 == 0:
            progress(message=f"photos {n}/{len(todo)}")
    out: dict[str, list[dict[str, Any]]] = {}
    if not jobs:
        return out, errors
    directory = photos_dir(runtime.settings)
    embedder = runtime.image_embedder
    for start in range(0, len(jobs), 16):
        chunk = jobs[start : start + 16]
        analyses = embedder.analyze_many([d for _, _, d in chunk], ocr=False, return_errors=True)
        for (cid, src, data), a in zip(chunk, analyses, strict=True):
            if not hasattr(a, "visual"):
                errors.append(
                    {
                        "row": None,
                        "handle": cid,
                        "source": src[:300],
                        "reason": getattr(a, "message", str(a)),
                        "kept": "row imported without this photo",
                    }
                )
                continue
            out.setdefault(cid, []).append(
                {
                    "file": save_thumbnail(data, directory),
                    "source": src[:500],
                    "text_vector": a.text_vector,
                    "visual": a.visual,
                    "concepts": ", ".join(label for label, _ in a.concepts),
                }
            )
    return out, errors


def import_table(
    runtime: Any,
    table: Table,
    mapping: ColumnMapping | None = None,
    *,
    platform: str = "instagram",
    allow_local_images: bool = False,
    base_dir: Path | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Import a :class:`Table`; see the module docstring for guarantees and the result shape."""
    report = progress or (lambda **kw: None)
    t0 = time.perf_counter()
    cols = detect_mapping(table.headers, mapping)
    missing = cols.missing_required()
    if missing:
        raise InvalidInput(
            f"{table.source}: missing required column(s) {', '.join(missing)}; columns found: "
            f"{', '.join(table.headers[:20])} (map them with --mapping / a mapping file)"
        )
    good, rejected = _validate(table, cols, platform)
    report(done=0, total=len(good), message=f"{len(good)} valid rows, {len(rejected)} rejected")
    loader = PhotoLoader(runtime.settings, allow_local=allow_local_images, base_dir=base_dir)
    try:
        photos, photo_errors = _load_photos(runtime, good, loader, report)
    finally:
        loader.close()
    profiles = [p for _, p in good]
    for p in profiles:
        if p.language is None:
            p.language = _detect_language(p.bio)
    texts = [p.text() for p in profiles]
    vectors = runtime.text_embedder.embed(texts) if texts else np.zeros((0, 384), np.float32)
    store = runtime.store
    ensure_collections(store)
    existing = {r.id: r for r in store.get(PROFILES, [p.id for p in profiles])} if profiles else {}
    records: list[Record] = []
    photo_records: list[Record] = []
    stale: list[str] = []
    for p, vec in zip(profiles, vectors, strict=True):
        mine = photos.get(p.id, [])
        old = existing.get(p.id)
        old_count = int(old.metadata.get("photo_count") or 0) if old else 0
        if not mine and old_count:  # keep stored photos when the update lists none
            old_photos = store.get(PHOTOS, [photo_id(p.id, n) for n in range(old_count)])
            mine = [
                {
                    "file": r.metadata.get("file"),
                    "source": r.metadata.get("source"),
                    "text_vector": r.vectors["photo_text"],
                    "visual": r.vectors["photo_visual"],
                    "concepts": r.metadata.get("concepts", ""),
                }
                for r in old_photos
            ]
        prof = profile_record(p, vec, mine)
        records.append(prof)
        photo_records.extend(photo_record(p, n, ph, prof.metadata) for n, ph in enumerate(mine))
        # every photo slot past the new ones, not just past the stored count: an import interrupted
        # between writing photos and their profile may have left some the profile does not list
        stale.extend(photo_id(p.id, n) for n in range(len(mine), MAX_PHOTOS))
    # photos first: a profile is searchable once written, and its photos are then already there
    for start in range(0, len(photo_records), BATCH):
        store.upsert(PHOTOS, photo_records[start : start + BATCH])
    for start in range(0, len(records), BATCH):
        store.upsert(PROFILES, records[start : start + BATCH])
        report(done=min(len(profiles), start + BATCH), total=len(profiles), message="writing")
    if stale:
        store.delete(PHOTOS, stale)
    refit = bool(profiles) and quality_refit_due(runtime, len(profiles))
    if refit:
        refit_quality(runtime)
    updated = sum(1 for p in profiles if p.id in existing)
    return {
        "imported": len(profiles) - updated,
        "updated": updated,
        "rejected": len(rejected),
        "rows": len(table.rows),
        "photos": sum(len(v) for v in photos.values()),
        "rejected_rows": rejected,
        "photo_errors": photo_errors,
        "mapping": cols.as_dict(),
        "source": table.source,
        "format": table.format,
        "encoding": table.encoding,
        "quality_refit": refit,
        "seconds": round(time.perf_counter() - t0, 3),
    }


REFIT_ALWAYS_BELOW = 50_000  # stored profiles: a refit reads them all (~0.5 s per 50k)
REFIT_FRACTION = 0.01


def quality_refit_due(
    runtime: Any, changed: int, *, always_below: int = REFIT_ALWAYS_BELOW, fraction: float = REFIT_FRACTION
) -> bool:
    """Whether an import of ``changed`` profiles should refit the quality statistics: always while
    the population is small or there is no fit yet; in a large one only when the import changed at
    least ``fraction`` of it (a refit reads every profile: 10.5 s at 1M, for statistics that 2 new
    rows out of a million do not move)."""
    if not quality_path(runtime.settings).exists():
        return True
    stored = runtime.store.count(PROFILES)
    return stored < always_below or changed >= fraction * stored


def refit_quality(runtime: Any) -> QualityModel:
    """Refit the audience-quality statistics over every stored profile and save them."""
    store = runtime.store
    followers: list[float] = []
    rates: list[float] = []
    for _, rec in store.iter_records(PROFILES, batch_size=2000):
        m = rec.metadata
        if m.get("engagement_rate") is not None:
            followers.append(float(m.get("followers") or 0))
            rates.append(float(m["engagement_rate"]))  # type: ignore[arg-type]
    model = fit(np.array(followers), np.array(rates))
    model.save(quality_path(runtime.settings))
    return model
