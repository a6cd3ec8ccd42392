"""A local SQLite FTS5 side index of record text and metadata, for backends without BM25.

Milvus 2.3 has no full-text search, so :class:`adlens.store.milvus_store.MilvusStore` keeps the
text (and a copy of the metadata, to apply ``where`` filters) of every record here, written right
after each Milvus write. Scores are FTS5 ``bm25()`` negated, per collection (one FTS table per
collection, like the embedded store), so both backends rank keyword queries identically.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path

from adlens.sqlite_wal import enable_wal
from adlens.store.base import Hit, Metadata, Record
from adlens.store.filters import Node, matches
from adlens.store.sqlite_schema import FTS_TOKENIZE

_SCHEMA = """
CREATE TABLE IF NOT EXISTS docs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    collection TEXT NOT NULL, namespace TEXT NOT NULL, id TEXT NOT NULL,
    metadata_json TEXT NOT NULL, text TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS docs_key ON docs(collection, namespace, id)
"""


class KeywordIndex:
    """Text + metadata per (collection, namespace, id), with per-collection FTS5 tables."""

    def __init__(self, path: Path | str) -> None:
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        enable_wal(self._conn)
        self._conn.execute("PRAGMA synchronous=FULL")
        for stmt in _SCHEMA.split(";"):
            self._conn.execute(stmt)
        self._lock = threading.RLock()

    @staticmethod
    def _fts(collection: str) -> str:
        return f"kw_{collection}"

    def _tx(self, fn) -> None:  # type: ignore[no-untyped-def]
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                fn(self._conn)
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise

    def ensure_collection(self, collection: str) -> None:
        t = self._fts(collection)
        self._conn.execute(
            f"CREATE VIRTUAL TABLE IF NOT EXISTS {t} USING fts5(text, content='docs', "
            f"content_rowid='seq', tokenize='{FTS_TOKENIZE}')"
        )

    def _delete_where(self, c: sqlite3.Connection, collection: str, cond: str, args: Sequence) -> int:
        t = self._fts(collection)
        c.execute(
            # only rows FTS holds (upsert indexes non-empty text only): deleting others corrupts FTS5
            f"INSERT INTO {t}({t}, rowid, text) SELECT 'delete', seq, text FROM docs "
            f"WHERE collection=? AND text != '' AND {cond}",
            (collection, *args),
        )
        return c.execute(f"DELETE FROM docs WHERE collection=? AND {cond}", (collection, *args)).rowcount

    def upsert(self, collection: str, namespace: str, records: Sequence[Record]) -> None:
        t = self._fts(collection)

        def tx(c: sqlite3.Connection) -> None:
            for r in records:
                self._delete_where(c, collection, "namespace=? AND id=?", (namespace, r.id))
                cur = c.execute(
                    "INSERT INTO docs(collection, namespace, id, metadata_json, text) VALUES (?,?,?,?,?)",
                    (collection, namespace, r.id, json.dumps(r.metadata, ensure_ascii=False), r.text),
                )
                if r.text:
                    c.execute(f"INSERT INTO {t}(rowid, text) VALUES (?, ?)", (cur.lastrowid, r.text))

        self._tx(tx)

    def delete(self, collection: str, namespace: str, ids: Sequence[str] | None) -> None:
        def tx(c: sqlite3.Connection) -> None:
            if ids is None:
                self._delete_where(c, collection, "namespace=?", (namespace,))
            for i in ids or ():
                self._delete_where(c, collection, "namespace=? AND id=?", (namespace, i))

        self._tx(tx)

    def drop(self, collection: str) -> None:
        def tx(c: sqlite3.Connection) -> None:
            c.execute(f"DROP TABLE IF EXISTS {self._fts(collection)}")
            c.execute("DELETE FROM docs WHERE collection=?", (collection,))

        self._tx(tx)

    def namespaces(self, collection: str) -> list[str]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT DISTINCT namespace FROM docs WHERE collection=? ORDER BY namespace", (collection,)
            ).fetchall()
        return [r[0] for r in rows]

    def keys(
        self, collection: str, namespace: str | None, after: int, limit: int
    ) -> list[tuple[int, str, str]]:
        """(seq, namespace, id) pages in seq order, for iteration."""
        sql = "SELECT seq, namespace, id FROM docs WHERE collection=? AND seq>?"
        args: tuple = (collection, after)
        if namespace is not None:
            sql, args = sql + " AND namespace=?", (*args, namespace)
        with self._lock:
            return self._conn.execute(sql + " ORDER BY seq LIMIT ?", (*args, limit)).fetchall()

    def texts(self, collection: str, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], str]:
        out: dict[tuple[str, str], str] = {}
        with self._lock:
            for ns, rid in keys:
                row = self._conn.execute(
                    "SELECT text FROM docs WHERE collection=? AND namespace=? AND id=?", (collection, ns, rid)
                ).fetchone()
                if row:
                    out[(ns, rid)] = row[0]
        return out

    def search(
        self, collection: str, fts_query: str, k: int, namespace: str | None, node: Node | None
    ) -> list[Hit]:
        t = self._fts(collection)
        sql = (
            f"SELECT d.namespace, d.id, d.metadata_json, d.text, -bm25({t}) FROM {t} "
            f"JOIN docs d ON d.seq = {t}.rowid WHERE {t} MATCH ? "
            f"ORDER BY bm25({t}) LIMIT ? OFFSET ?"
        )
        hits: list[Hit] = []
        off, page = 0, max(4 * k, 64)
        with self._lock:
            while len(hits) < k:
                rows = self._conn.execute(sql, (fts_query, page, off)).fetchall()
                if not rows:
                    break
                for ns, rid, mj, text, score in rows:
                    meta: Metadata = json.loads(mj)
                    if (namespace is None or ns == namespace) and matches(node, meta) and len(hits) < k:
                        hits.append(Hit(rid, float(score), meta, text, {"keyword": float(score)}, ns))
                off, page = off + len(rows), page * 2
        return hits

    def close(self) -> None:
        self._conn.close()


__all__ = ["KeywordIndex"]
