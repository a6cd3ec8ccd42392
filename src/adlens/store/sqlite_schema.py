"""The SQLite source of truth of the embedded store: schema, version and migrations.

Tables::

    meta(key, value)                      schema_version, seq_high_water (never reused),
                                          tombstone_floor (tombstones up to it were pruned)
    collections(name, fields_json, incarnation)
                                          vector fields (name -> dim), in declared order;
                                          incarnation: a fresh seq per create, so another process
                                          notices a collection dropped and created again
    records(seq, collection, namespace, id, metadata_json, text, vec)
                                          vec: the normalised float32 vectors of every field
                                          concatenated in declared order; seq is assigned on
                                          every write and never reused, so the ANN index can
                                          catch up by "rows with seq > last applied seq";
                                          indexed by (collection, namespace, id) and (collection, seq)
    tombstones(id, collection, seq)       every deleted or replaced row's seq, in commit order: how
                                          other processes on the same file learn of deletions
                                          (new rows they find by seq)
    fts_<collection>(text)                FTS5, external content = records(seq, text)

Migrations follow rclip: ``VERSION`` is the schema this code writes; ``MIGRATIONS[v]`` upgrades
a database from version ``v`` to ``v + 1`` inside one transaction.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

from adlens.errors import Unavailable
from adlens.sqlite_wal import enable_wal

VERSION = 3
FTS_TOKENIZE = "porter unicode61 remove_diacritics 2"

# the version-1 schema; a new database is created as version 1 and migrated like any other
_BASE = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS collections (name TEXT PRIMARY KEY, fields_json TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS records (
    seq INTEGER PRIMARY KEY,
    collection TEXT NOT NULL,
    namespace TEXT NOT NULL,
    id TEXT NOT NULL,
    metadata_json TEXT NOT NULL,
    text TEXT NOT NULL,
    vec BLOB NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS records_key ON records(collection, namespace, id);
"""


def _v1_to_v2(conn: sqlite3.Connection) -> None:
    """Several processes on one store: collection incarnations and a tombstone log."""
    conn.execute("ALTER TABLE collections ADD COLUMN incarnation INTEGER NOT NULL DEFAULT 0")
    conn.execute(
        "CREATE TABLE tombstones (id INTEGER PRIMARY KEY AUTOINCREMENT, "
        "collection TEXT NOT NULL, seq INTEGER NOT NULL)"
    )
    conn.execute("CREATE INDEX tombstones_collection ON tombstones(collection, id)")


def _v2_to_v3(conn: sqlite3.Connection) -> None:
    """Rows of one collection in seq order (loads, catch-ups and record iteration walk it)."""
    conn.execute("CREATE INDEX records_collection_seq ON records(collection, seq)")


MIGRATIONS: dict[int, Callable[[sqlite3.Connection], None]] = {1: _v1_to_v2, 2: _v2_to_v3}


def connect(path: Path, *, wal_wait_s: float = 30.0) -> sqlite3.Connection:
    """A connection in WAL mode with synchronous=FULL (a commit is on disk when it returns)."""
    conn = sqlite3.connect(str(path), timeout=30.0, isolation_level=None, check_same_thread=False)
    try:
        enable_wal(conn, wal_wait_s)
    except BaseException:
        conn.close()
        raise
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA cache_size=-65536")
    return conn


def init_db(conn: sqlite3.Connection) -> None:
    """Create or migrate the schema to :data:`VERSION`."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        for stmt in filter(None, (s.strip() for s in _BASE.split(";"))):
            conn.execute(stmt)
        row = conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        version = int(row[0]) if row else 1  # no version yet: the base (version 1) schema was just created
        if version > VERSION:
            raise Unavailable(
                f"store schema version {version} is newer than this adlens ({VERSION}); upgrade adlens"
            )
        while version < VERSION:
            MIGRATIONS[version](conn)
            version += 1
        conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('schema_version', ?)", (str(version),))
        conn.execute("INSERT OR IGNORE INTO meta(key, value) VALUES ('seq_high_water', '0')")
        conn.execute("INSERT OR IGNORE INTO meta(key, value) VALUES ('tombstone_floor', '0')")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def fts_table(collection: str) -> str:
    """FTS table name; collection names are validated to ``[A-Za-z][A-Za-z0-9_]*``."""
    return f"fts_{collection}"


def create_fts(conn: sqlite3.Connection, collection: str) -> None:
    t = fts_table(collection)
    conn.execute(
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {t} USING fts5(text, content='records', "
        f"content_rowid='seq', tokenize='{FTS_TOKENIZE}')"
    )


def drop_fts(conn: sqlite3.Connection, collection: str) -> None:
    conn.execute(f"DROP TABLE IF EXISTS {fts_table(collection)}")


def tombstone_floor(conn: sqlite3.Connection) -> int:
    """Tombstones with an id up to this were pruned: a process that had not applied them reloads."""
    row = conn.execute("SELECT value FROM meta WHERE key='tombstone_floor'").fetchone()
    return int(row[0]) if row else 0


def prune_tombstones(conn: sqlite3.Connection, keep: int) -> int:
    """Delete all but the newest ``keep`` tombstones (inside the caller's write transaction)."""
    (newest,) = conn.execute("SELECT coalesce(max(id), 0) FROM tombstones").fetchone()
    bound = int(newest) - keep
    if bound <= tombstone_floor(conn):
        return 0
    n = conn.execute("DELETE FROM tombstones WHERE id <= ?", (bound,)).rowcount
    conn.execute("UPDATE meta SET value=? WHERE key='tombstone_floor'", (str(bound),))
    return int(n)


def seq_high_water(conn: sqlite3.Connection) -> int:
    """The highest seq ever assigned (committed, as the connection's snapshot sees it)."""
    return int(conn.execute("SELECT value FROM meta WHERE key='seq_high_water'").fetchone()[0])


def next_seqs(conn: sqlite3.Connection, n: int) -> int:
    """Reserve ``n`` new seqs inside the current transaction; returns the first."""
    hw = int(conn.execute("SELECT value FROM meta WHERE key='seq_high_water'").fetchone()[0])
    conn.execute("UPDATE meta SET value=? WHERE key='seq_high_water'", (str(hw + n),))
    return hw + 1


__all__ = [
    "FTS_TOKENIZE",
    "MIGRATIONS",
    "VERSION",
    "connect",
    "create_fts",
    "drop_fts",
    "fts_table",
    "init_db",
    "next_seqs",
    "prune_tombstones",
    "seq_high_water",
    "tombstone_floor",
]
