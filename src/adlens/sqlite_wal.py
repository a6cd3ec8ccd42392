"""Switching a SQLite connection to WAL when other processes may be opening the same file.

While another process opens (or recovers) the file, ``PRAGMA journal_mode=WAL`` can answer
"database is locked" at once, without waiting for the busy timeout: several server workers starting
together hit it. :func:`enable_wal` retries with a short back-off.
"""

from __future__ import annotations

import sqlite3
import time

from adlens.errors import Unavailable

__all__ = ["enable_wal"]


def enable_wal(conn: sqlite3.Connection, wait_s: float = 30.0) -> None:
    """Put ``conn``'s database in WAL mode, retrying for up to ``wait_s`` seconds while locked."""
    deadline = time.monotonic() + wait_s
    delay = 0.005
    while True:
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise Unavailable(f"cannot open {_name(conn)}: {exc}") from exc
            time.sleep(delay)
            delay = min(delay * 2, 0.2)


def _name(conn: sqlite3.Connection) -> str:
    row = conn.execute("PRAGMA database_list").fetchone()
    return str(row[2]) if row and row[2] else "the database"
