"""Moving a store written in the earlier one-collection layout into two collections.

The earlier layout kept profiles and photos in one collection ``creators`` with three vector fields
and a ``kind`` field (see :mod:`adlens.creators.schema` for why it changed). The move copies every
record into the new collections — profiles keep their ``text`` vector, photos their two photo
vectors — and drops the old collection only after everything was written, so an interrupted move
simply runs again (upserts by id are idempotent) and nothing is lost.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from adlens.errors import NotFound
from adlens.file_lock import file_lock
from adlens.store import Record

__all__ = ["LEGACY", "migrate_legacy"]

LEGACY = "creators"
_BATCH = 2000
log = logging.getLogger("adlens.creators")


@contextmanager
def _move_lock(store: Any) -> Iterator[None]:
    """One process moves at a time (server workers all reach this on first use): an ``flock``
    beside the embedded store's file. A store without a local file (Milvus) gets none."""
    path = getattr(store, "path", None)
    if not isinstance(path, Path):
        yield
        return
    with file_lock(path.with_name(path.name + ".creators-move.lock")):
        yield


def migrate_legacy(store: Any, *, profiles: str, photos: str) -> int:
    """Copy ``creators`` into ``profiles`` and ``photos`` (created if needed), then drop it.
    Returns the number of records moved (0 if another process finished the move first)."""
    with _move_lock(store):
        if not any(c.name == LEGACY for c in store.list_collections()):
            return 0  # another process moved it while this one waited
        return _move(store, profiles=profiles, photos=photos)


def _move(store: Any, *, profiles: str, photos: str) -> int:
    store.create_collection(profiles, {"text": 384}, exist_ok=True)
    store.create_collection(photos, {"photo_text": 384, "photo_visual": 1280}, exist_ok=True)
    moved = 0
    batch: dict[tuple[str, str], list[Record]] = {}
    try:
        for ns, rec in store.iter_records(LEGACY, batch_size=_BATCH):
            meta = {k: v for k, v in rec.metadata.items() if k != "kind"}
            if rec.metadata.get("kind") == "photo":
                out = Record(
                    rec.id,
                    {"photo_text": rec.vectors["photo_text"], "photo_visual": rec.vectors["photo_visual"]},
                    meta,
                    rec.text,
                )
                key = (photos, ns)
            else:
                out = Record(rec.id, {"text": rec.vectors["text"]}, meta, rec.text)
                key = (profiles, ns)
            batch.setdefault(key, []).append(out)
            if len(batch[key]) >= _BATCH:
                moved += store.upsert(key[0], batch.pop(key), namespace=key[1])
        for (name, ns), recs in batch.items():
            moved += store.upsert(name, recs, namespace=ns)
        store.drop_collection(LEGACY)
    except NotFound:  # dropped meanwhile by a process without the lock (a store without a file)
        return moved
    log.info("moved %d creator records from the one-collection layout", moved)
    return moved
