"""Row-level SQLite operations of the embedded store (inside a caller-held transaction)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator, Sequence

import numpy as np
import orjson

from adlens.store.base import Metadata, Record
from adlens.store.memstate import Rows
from adlens.store.sqlite_schema import fts_table, next_seqs

_CHUNK = 500


def _chunks(seq: Sequence[int], n: int = _CHUNK) -> Iterator[Sequence[int]]:
    for i in range(0, len(seq), n):
        yield seq[i : i + n]


def dumps(meta: Metadata) -> str:
    return json.dumps(meta, ensure_ascii=False, separators=(",", ":"))


def loads(meta_json: str) -> Metadata:
    """Stored metadata JSON back to a dict (orjson: ~3x the standard library on the search path;
    ``check_metadata`` keeps what ``dumps`` writes inside what orjson reads: finite floats, |int| ≤ 2**53)."""
    out: Metadata = orjson.loads(meta_json)
    return out


def pack(mats: dict[str, np.ndarray], fields: dict[str, int]) -> np.ndarray:
    """Rows of every field's vectors concatenated in declared order."""
    return np.ascontiguousarray(np.hstack([mats[f] for f in fields]), dtype=np.float32)


def unpack(blob: bytes, fields: dict[str, int]) -> dict[str, np.ndarray]:
    flat = np.frombuffer(blob, dtype=np.float32)
    out, off = {}, 0
    for f, d in fields.items():
        out[f] = flat[off : off + d].copy()
        off += d
    return out


def delete_seqs(conn: sqlite3.Connection, collection: str, seqs: Sequence[int]) -> None:
    t = fts_table(collection)
    rows = [(int(s),) for s in seqs]
    conn.executemany(
        # only rows that were indexed (insert_rows skips empty text): an FTS5 'delete' of a row it
        # never held corrupts the index ("database disk image is malformed")
        f"INSERT INTO {t}({t}, rowid, text) SELECT 'delete', seq, text FROM records WHERE seq=? AND text != ''",
        rows,
    )
    conn.executemany("DELETE FROM records WHERE seq=?", rows)
    conn.executemany(
        "INSERT INTO tombstones(collection, seq) VALUES (?, ?)", [(collection, r[0]) for r in rows]
    )


def last_tombstone(conn: sqlite3.Connection) -> int:
    """The id of the newest tombstone (0 when there is none)."""
    return int(conn.execute("SELECT coalesce(max(id), 0) FROM tombstones").fetchone()[0])


def tombstones_after(conn: sqlite3.Connection, collection: str, after: int) -> tuple[int, np.ndarray]:
    """(newest tombstone id, seqs deleted from ``collection`` after tombstone ``after``)."""
    rows = conn.execute(
        "SELECT id, seq FROM tombstones WHERE collection=? AND id>? ORDER BY id", (collection, after)
    ).fetchall()
    if not rows:
        return after, np.zeros(0, np.int64)
    return int(rows[-1][0]), np.asarray([r[1] for r in rows], dtype=np.int64)


def insert_rows(
    conn: sqlite3.Connection,
    collection: str,
    namespace: str,
    records: Sequence[Record],
    packed: np.ndarray,
) -> np.ndarray:
    """Insert records with fresh seqs (never reused); returns the seqs."""
    first = next_seqs(conn, len(records))
    seqs = np.arange(first, first + len(records), dtype=np.int64)
    conn.executemany(
        "INSERT INTO records(seq, collection, namespace, id, metadata_json, text, vec) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            (int(s), collection, namespace, r.id, dumps(r.metadata), r.text, packed[i].tobytes())
            for i, (s, r) in enumerate(zip(seqs.tolist(), records, strict=True))
        ],
    )
    t = fts_table(collection)
    conn.executemany(
        f"INSERT INTO {t}(rowid, text) VALUES (?, ?)",
        [(int(s), r.text) for s, r in zip(seqs.tolist(), records, strict=True) if r.text],
    )
    return seqs


def load_rows(conn: sqlite3.Connection, collection: str, fields: dict[str, int], after: int = 0) -> Rows:
    """Every live row of a collection with seq > ``after``, in seq order.

    Vectors go straight into preallocated per-field matrices, one batch at a time, so peak memory
    is the matrices plus one batch (not the blobs, their concatenation and the copies at once)."""
    dim = sum(fields.values())
    # served by the (collection, seq) index: a catch-up reads only the new rows of this collection
    where = "collection=? AND seq>?"
    (total,) = conn.execute(f"SELECT count(*) FROM records WHERE {where}", (collection, after)).fetchone()
    mats = {f: np.empty((total, d), np.float32) for f, d in fields.items()}
    seqs: list[int] = []
    nss: list[str] = []
    ids: list[str] = []
    metas: list[Metadata] = []
    mjs: list[str] = []
    texts: list[str] = []
    cur = conn.execute(
        f"SELECT seq, namespace, id, metadata_json, text, vec FROM records WHERE {where} ORDER BY seq",
        (collection, after),
    )
    n = 0
    while batch := cur.fetchmany(10_000):
        blobs = []
        for s, ns, rid, mj, text, vec in batch:
            seqs.append(s)
            nss.append(ns)
            ids.append(rid)
            metas.append(loads(mj))
            mjs.append(mj)
            texts.append(text)
            blobs.append(vec)
        m = len(blobs)
        if n + m > total:  # rows committed since the count (only outside a read transaction)
            mats = {
                f: np.concatenate([a, np.empty((n + m - total, a.shape[1]), np.float32)])
                for f, a in mats.items()
            }
            total = n + m
        flat = np.frombuffer(b"".join(blobs), dtype=np.float32).reshape(m, dim)
        off = 0
        for f, d in fields.items():
            mats[f][n : n + m] = flat[:, off : off + d]
            off += d
        n += m
    if n < total:
        mats = {f: a[:n] for f, a in mats.items()}
    return Rows(np.asarray(seqs, dtype=np.int64), nss, ids, metas, mats, mjs, texts)


def fetch_by_seqs(conn: sqlite3.Connection, seqs: Sequence[int]) -> dict[int, tuple[str, str, Metadata, str]]:
    """seq -> (namespace, id, metadata, text)."""
    out: dict[int, tuple[str, str, Metadata, str]] = {}
    for chunk in _chunks([int(s) for s in seqs]):
        q = ",".join("?" * len(chunk))
        for s, ns, rid, mj, text in conn.execute(
            f"SELECT seq, namespace, id, metadata_json, text FROM records WHERE seq IN ({q})", chunk
        ):
            out[s] = (ns, rid, loads(mj), text)
    return out


def fts_ranked(
    conn: sqlite3.Connection,
    collection: str,
    fts_query: str,
    k: int,
    accept: Callable[[np.ndarray], np.ndarray],
) -> tuple[list[int], list[float]]:
    """Best-first BM25 matches (``-bm25()``, higher is better), paging through FTS5 results;
    ``accept`` maps a page of seqs to positions (-1 = filtered out). Returns (positions, scores)."""
    t = fts_table(collection)
    sql = f"SELECT rowid, -bm25({t}) FROM {t} WHERE {t} MATCH ? ORDER BY bm25({t}) LIMIT ? OFFSET ?"
    pos_out: list[int] = []
    scores: list[float] = []
    off, page = 0, max(4 * k, 64)
    while len(pos_out) < k:
        rows = conn.execute(sql, (fts_query, page, off)).fetchall()
        if not rows:
            break
        pos = accept(np.asarray([r[0] for r in rows], dtype=np.int64))
        for p, (_, sc) in zip(pos.tolist(), rows, strict=True):
            if p >= 0 and len(pos_out) < k:
                pos_out.append(p)
                scores.append(float(sc))
        off, page = off + len(rows), page * 2
    return pos_out, scores


def page_rows(
    conn: sqlite3.Connection, collection: str, namespace: str | None, after: int, limit: int
) -> list[tuple[int, str, str, str, str, bytes]]:
    """(seq, namespace, id, metadata_json, text, vec) with seq > after, in seq order."""
    # the (collection, seq) index: each page reads its own rows only, in order
    sql = "SELECT seq, namespace, id, metadata_json, text, vec FROM records WHERE collection=? AND seq>?"
    args: tuple[object, ...] = (collection, after)
    if namespace is not None:
        sql, args = sql + " AND namespace=?", (*args, namespace)
    return conn.execute(sql + " ORDER BY seq LIMIT ?", (*args, limit)).fetchall()


def get_records(
    conn: sqlite3.Connection, collection: str, namespace: str, ids: Sequence[str], fields: dict[str, int]
) -> list[Record]:
    found: dict[str, Record] = {}
    for i in range(0, len(ids), _CHUNK):
        chunk = list(ids[i : i + _CHUNK])
        q = ",".join("?" * len(chunk))
        for rid, mj, text, vec in conn.execute(
            "SELECT id, metadata_json, text, vec FROM records "
            f"WHERE collection=? AND namespace=? AND id IN ({q})",
            (collection, namespace, *chunk),
        ):
            found[rid] = Record(rid, unpack(vec, fields), json.loads(mj), text)
    return [found[i] for i in dict.fromkeys(ids) if i in found]


__all__ = [
    "delete_seqs",
    "dumps",
    "fetch_by_seqs",
    "fts_ranked",
    "get_records",
    "insert_rows",
    "last_tombstone",
    "load_rows",
    "pack",
    "page_rows",
    "tombstones_after",
    "unpack",
]
