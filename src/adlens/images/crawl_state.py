"""Persistent crawl state: the crawl list, each crawl's frontier, seen pages and images, and its errors.

One SQLite file (WAL) at ``data_dir/images/crawls.sqlite3`` shared by the API, the job workers and the
CLI; every call opens its own short connection, so it is safe from any thread or process. A crawl
resumes from here after a restart: pages still ``queued`` are fetched again, images already ``stored``
are not downloaded again.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from adlens.errors import NotFound
from adlens.file_lock import file_lock

ACTIVE = ("queued", "running")
TERMINAL = ("done", "failed", "cancelled")
MAX_ERRORS_SHOWN = 200

_SCHEMA = """
CREATE TABLE IF NOT EXISTS crawls (
    crawl_id TEXT PRIMARY KEY, url TEXT NOT NULL, status TEXT NOT NULL, options TEXT NOT NULL,
    job_id TEXT, created_at REAL NOT NULL, updated_at REAL NOT NULL, finished_at REAL,
    pages INTEGER NOT NULL DEFAULT 0, images INTEGER NOT NULL DEFAULT 0,
    images_found INTEGER NOT NULL DEFAULT 0, embedded INTEGER NOT NULL DEFAULT 0,
    errors INTEGER NOT NULL DEFAULT 0, message TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS crawl_pages (
    crawl_id TEXT NOT NULL, url TEXT NOT NULL, depth INTEGER NOT NULL, status TEXT NOT NULL,
    seq INTEGER NOT NULL, PRIMARY KEY (crawl_id, url)
);
CREATE INDEX IF NOT EXISTS crawl_pages_status ON crawl_pages (crawl_id, status, depth, seq);
CREATE TABLE IF NOT EXISTS crawl_images (
    crawl_id TEXT NOT NULL, url TEXT NOT NULL, record_id TEXT, content_hash TEXT, status TEXT NOT NULL,
    PRIMARY KEY (crawl_id, url)
);
CREATE INDEX IF NOT EXISTS crawl_images_hash ON crawl_images (content_hash);
CREATE TABLE IF NOT EXISTS image_pages (
    crawl_id TEXT NOT NULL, record_id TEXT NOT NULL, page_url TEXT NOT NULL, seq INTEGER NOT NULL,
    PRIMARY KEY (crawl_id, record_id, page_url)
);
CREATE TABLE IF NOT EXISTS crawl_errors (
    id INTEGER PRIMARY KEY AUTOINCREMENT, crawl_id TEXT NOT NULL, url TEXT NOT NULL, stage TEXT NOT NULL,
    kind TEXT NOT NULL, error TEXT NOT NULL, ts REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS crawl_errors_crawl ON crawl_errors (crawl_id, id);
"""


_STORES: dict[Path, CrawlStore] = {}
_STORES_LOCK = threading.Lock()


class CrawlStore:
    """The SQLite tables behind crawls (see the module docstring)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        # Switching a new file to WAL does not wait for the busy timeout: "database is locked" when
        # another process (``serve --workers N``) creates it at the same moment. One at a time.
        with file_lock(self.path.with_name(self.path.name + ".lock")):
            db = sqlite3.connect(self.path, timeout=30.0)
            try:
                db.execute("PRAGMA journal_mode=WAL")
                db.executescript(_SCHEMA)
            finally:
                db.close()

    @classmethod
    def for_data_dir(cls, data_dir: Path) -> CrawlStore:
        """The (process-wide, shared) store of ``data_dir``."""
        path = (Path(data_dir) / "images" / "crawls.sqlite3").resolve()
        with _STORES_LOCK:
            store = _STORES.get(path)
            if store is None or not path.exists():
                store = _STORES[path] = cls(path)
            return store

    def _conn(self) -> sqlite3.Connection:
        """One connection per thread, kept open (closing one checkpoints the WAL: slow)."""
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
            db.row_factory = sqlite3.Row
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: durable at checkpoints, never corrupt
            db.execute("PRAGMA busy_timeout=30000")
            self._local.db = db
        return db

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        db = self._conn()
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    # -- crawls ------------------------------------------------------------------------------------
    def create(self, crawl_id: str, url: str, options: dict[str, Any], job_id: str | None) -> None:
        now = time.time()
        with self._db() as db:
            db.execute(
                "INSERT OR IGNORE INTO crawls (crawl_id, url, status, options, job_id, created_at, updated_at)"
                " VALUES (?, ?, 'queued', ?, ?, ?, ?)",
                (crawl_id, url, json.dumps(options, sort_keys=True), job_id, now, now),
            )

    def create_if_capacity(
        self, crawl_id: str, url: str, options: dict[str, Any], job_id: str | None, limit: int
    ) -> bool:
        """Insert a ``queued`` crawl unless ``limit`` crawls are already queued or running.

        The count and the insert are one write transaction, so processes racing for the last free
        slot (``serve --workers N``) cannot both take it. Returns False (nothing inserted) when full.
        """
        now = time.time()
        marks = ", ".join("?" for _ in ACTIVE)
        with self._db() as db:
            active = db.execute(f"SELECT COUNT(*) FROM crawls WHERE status IN ({marks})", ACTIVE)
            if int(active.fetchone()[0]) >= limit:
                return False
            db.execute(
                "INSERT INTO crawls (crawl_id, url, status, options, job_id, created_at, updated_at)"
                " VALUES (?, ?, 'queued', ?, ?, ?, ?)",
                (crawl_id, url, json.dumps(options, sort_keys=True), job_id, now, now),
            )
        return True

    def update(self, crawl_id: str, **fields: Any) -> None:
        allowed = {
            "status",
            "job_id",
            "finished_at",
            "pages",
            "images",
            "images_found",
            "embedded",
            "message",
        }
        bad = set(fields) - allowed
        if bad:
            raise ValueError(f"unknown crawl fields {sorted(bad)}")
        if not fields:
            return
        cols = ", ".join(f"{k} = ?" for k in fields)
        with self._db() as db:
            db.execute(
                f"UPDATE crawls SET {cols}, updated_at = ? WHERE crawl_id = ?",
                (*fields.values(), time.time(), crawl_id),
            )

    def row(self, crawl_id: str) -> dict[str, Any]:
        with self._db() as db:
            row = db.execute("SELECT * FROM crawls WHERE crawl_id = ?", (crawl_id,)).fetchone()
        if row is None:
            raise NotFound(f"no crawl {crawl_id!r}", detail={"crawl_id": crawl_id})
        return self._crawl_dict(row)

    def rows(self, limit: int = 100, statuses: Iterable[str] | None = None) -> list[dict[str, Any]]:
        sql, args = "SELECT * FROM crawls", []
        if statuses is not None:
            marks = ", ".join("?" for _ in statuses)
            sql += f" WHERE status IN ({marks})"
            args = list(statuses)
        sql += " ORDER BY created_at DESC LIMIT ?"
        with self._db() as db:
            rows = db.execute(sql, (*args, limit)).fetchall()
        return [self._crawl_dict(r) for r in rows]

    @staticmethod
    def _crawl_dict(row: sqlite3.Row) -> dict[str, Any]:
        out = dict(row)
        out["options"] = json.loads(out["options"])
        return out

    def delete(self, crawl_id: str) -> list[str]:
        """Drop every row of the crawl; return the content hashes no other crawl uses."""
        with self._db() as db:
            hashes = [
                r[0]
                for r in db.execute(
                    "SELECT DISTINCT content_hash FROM crawl_images WHERE crawl_id = ? AND content_hash IS NOT NULL",
                    (crawl_id,),
                )
            ]
            for table in ("crawl_pages", "crawl_images", "image_pages", "crawl_errors", "crawls"):
                db.execute(f"DELETE FROM {table} WHERE crawl_id = ?", (crawl_id,))
            orphans = [
                h
                for h in hashes
                if db.execute("SELECT 1 FROM crawl_images WHERE content_hash = ? LIMIT 1", (h,)).fetchone()
                is None
            ]
        return orphans

    # -- frontier ----------------------------------------------------------------------------------
    def add_pages(self, crawl_id: str, pages: Iterable[tuple[str, int]]) -> list[str]:
        """Insert pages not seen yet (status ``queued``); return the URLs that were new."""
        added: list[str] = []
        with self._db() as db:
            seq = db.execute("SELECT COALESCE(MAX(seq), 0) FROM crawl_pages WHERE crawl_id = ?", (crawl_id,))
            n = int(seq.fetchone()[0])
            for url, depth in pages:
                n += 1
                cur = db.execute(
                    "INSERT OR IGNORE INTO crawl_pages (crawl_id, url, depth, status, seq) VALUES (?, ?, ?, 'queued', ?)",
                    (crawl_id, url, depth, n),
                )
                if cur.rowcount:
                    added.append(url)
        return added

    def set_page(self, crawl_id: str, url: str, status: str, depth: int = 0) -> None:
        with self._db() as db:
            db.execute(
                "INSERT INTO crawl_pages (crawl_id, url, depth, status, seq) VALUES (?, ?, ?, ?, "
                "(SELECT COALESCE(MAX(seq), 0) + 1 FROM crawl_pages WHERE crawl_id = ?)) "
                "ON CONFLICT (crawl_id, url) DO UPDATE SET status = excluded.status",
                (crawl_id, url, depth, status, crawl_id),
            )

    def queued_pages(self, crawl_id: str) -> list[tuple[str, int]]:
        with self._db() as db:
            rows = db.execute(
                "SELECT url, depth FROM crawl_pages WHERE crawl_id = ? AND status = 'queued' ORDER BY depth, seq",
                (crawl_id,),
            ).fetchall()
        return [(r[0], int(r[1])) for r in rows]

    def seen_pages(self, crawl_id: str) -> set[str]:
        with self._db() as db:
            return {r[0] for r in db.execute("SELECT url FROM crawl_pages WHERE crawl_id = ?", (crawl_id,))}

    def page_states(self, crawl_id: str) -> dict[str, str]:
        """``url -> status`` of every page the crawl has seen."""
        with self._db() as db:
            rows = db.execute(
                "SELECT url, status FROM crawl_pages WHERE crawl_id = ?", (crawl_id,)
            ).fetchall()
        return {r[0]: r[1] for r in rows}

    def page_counts(self, crawl_id: str) -> dict[str, int]:
        with self._db() as db:
            rows = db.execute(
                "SELECT status, COUNT(*) FROM crawl_pages WHERE crawl_id = ? GROUP BY status", (crawl_id,)
            ).fetchall()
        return {r[0]: int(r[1]) for r in rows}

    # -- images ------------------------------------------------------------------------------------
    def set_images(self, crawl_id: str, rows: Iterable[tuple[str, str | None, str | None, str]]) -> None:
        """``(url, record_id, content_hash, status)`` rows (status ``stored``, ``failed``, ``skipped``)."""
        with self._db() as db:
            db.executemany(
                "INSERT INTO crawl_images (crawl_id, url, record_id, content_hash, status) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (crawl_id, url) DO UPDATE SET record_id = excluded.record_id, "
                "content_hash = excluded.content_hash, status = excluded.status",
                [(crawl_id, *r) for r in rows],
            )

    def images(self, crawl_id: str) -> dict[str, tuple[str | None, str | None, str]]:
        """``url -> (record_id, content_hash, status)`` of every image this crawl has handled."""
        with self._db() as db:
            rows = db.execute(
                "SELECT url, record_id, content_hash, status FROM crawl_images WHERE crawl_id = ?",
                (crawl_id,),
            ).fetchall()
        return {r[0]: (r[1], r[2], r[3]) for r in rows}

    def add_image_pages(self, crawl_id: str, pairs: Iterable[tuple[str, str]]) -> None:
        """``(record_id, page_url)`` pairs: the pages an image appears on."""
        with self._db() as db:
            n = int(
                db.execute(
                    "SELECT COALESCE(MAX(seq), 0) FROM image_pages WHERE crawl_id = ?", (crawl_id,)
                ).fetchone()[0]
            )
            for record_id, page in pairs:
                n += 1
                db.execute(
                    "INSERT OR IGNORE INTO image_pages (crawl_id, record_id, page_url, seq) VALUES (?, ?, ?, ?)",
                    (crawl_id, record_id, page, n),
                )

    def pages_of(self, crawl_id: str, record_ids: Iterable[str]) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        with self._db() as db:
            for rid in record_ids:
                rows = db.execute(
                    "SELECT page_url FROM image_pages WHERE crawl_id = ? AND record_id = ? ORDER BY seq",
                    (crawl_id, rid),
                ).fetchall()
                out[rid] = [r[0] for r in rows]
        return out

    def stored_count(self, crawl_id: str) -> int:
        with self._db() as db:
            return int(
                db.execute(
                    "SELECT COUNT(DISTINCT record_id) FROM crawl_images WHERE crawl_id = ? AND status = 'stored'",
                    (crawl_id,),
                ).fetchone()[0]
            )

    # -- errors ------------------------------------------------------------------------------------
    def add_error(self, crawl_id: str, url: str, stage: str, kind: str, error: str) -> None:
        with self._db() as db:
            db.execute(
                "INSERT INTO crawl_errors (crawl_id, url, stage, kind, error, ts) VALUES (?, ?, ?, ?, ?, ?)",
                (crawl_id, url, stage, kind, error[:500], time.time()),
            )
            db.execute("UPDATE crawls SET errors = errors + 1 WHERE crawl_id = ?", (crawl_id,))

    def errors(self, crawl_id: str, limit: int = MAX_ERRORS_SHOWN) -> list[dict[str, Any]]:
        with self._db() as db:
            rows = db.execute(
                "SELECT url, stage, kind, error FROM crawl_errors WHERE crawl_id = ? ORDER BY id LIMIT ?",
                (crawl_id, limit),
            ).fetchall()
        return [dict(r) for r in rows]


__all__ = ["ACTIVE", "MAX_ERRORS_SHOWN", "TERMINAL", "CrawlStore"]
