"""Job state and events in SQLite (WAL). Every state change and its event commit in one transaction."""

from __future__ import annotations

import builtins
import json
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from adlens.errors import InvalidInput, NotFound
from adlens.jobs.base import ACTIVE_STATES, Job, JobEvent, JobState
from adlens.sqlite_wal import enable_wal

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    params TEXT NOT NULL,
    state TEXT NOT NULL,
    done INTEGER,
    total INTEGER,
    counters TEXT NOT NULL DEFAULT '{}',
    message TEXT,
    result TEXT,
    error TEXT,
    error_debug TEXT,
    checkpoint TEXT,
    cancel_requested INTEGER NOT NULL DEFAULT 0,
    created_at REAL NOT NULL,
    started_at REAL,
    finished_at REAL,
    attempt INTEGER NOT NULL DEFAULT 0,
    dedupe_key TEXT,
    last_seq INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS jobs_state ON jobs(state, created_at);
CREATE INDEX IF NOT EXISTS jobs_kind ON jobs(kind, created_at);
CREATE UNIQUE INDEX IF NOT EXISTS jobs_active_dedupe ON jobs(kind, dedupe_key)
    WHERE dedupe_key IS NOT NULL AND state IN ('queued', 'running');
CREATE TABLE IF NOT EXISTS events (
    job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    type TEXT NOT NULL,
    data TEXT NOT NULL,
    ts REAL NOT NULL,
    PRIMARY KEY (job_id, seq)
) WITHOUT ROWID;
"""

_ACTIVE = tuple(s.value for s in ACTIVE_STATES)


def to_json(value: Any, what: str) -> str:
    """Serialise ``value`` or raise :class:`InvalidInput` naming ``what``."""
    try:
        return json.dumps(value, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"{what} must be JSON-serialisable: {exc}") from None


class SqliteJobStore:
    """Persistence for :class:`~adlens.jobs.runner.LocalJobRunner`; safe to share between threads."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=10.0)
        self._conn.row_factory = sqlite3.Row
        enable_wal(self._conn)
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.execute("PRAGMA foreign_keys=ON")
        self._migrate()

    def _migrate(self) -> None:
        with self._lock:
            version = self._conn.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise InvalidInput(
                    f"job database {self.path.name} has schema v{version}, newer than this adlens (v{SCHEMA_VERSION})"
                )
            if version < SCHEMA_VERSION:  # v0 → v1: create everything, atomically
                self._conn.executescript(
                    f"BEGIN IMMEDIATE;{_SCHEMA}PRAGMA user_version={SCHEMA_VERSION};COMMIT;"
                )

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    # -- reads -------------------------------------------------------------------------------------

    def get(self, job_id: str) -> Job:
        with self._lock:
            row = self._conn.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
        if row is None:
            raise NotFound(f"no job with id {job_id!r}")
        return _job(row)

    def list(self, kind: str | None, state: JobState | None, limit: int) -> builtins.list[Job]:
        sql = "SELECT * FROM jobs WHERE 1=1"
        args: builtins.list[object] = []
        if kind is not None:
            sql += " AND kind = ?"
            args.append(kind)
        if state is not None:
            sql += " AND state = ?"
            args.append(state.value)
        sql += " ORDER BY created_at DESC, rowid DESC LIMIT ?"
        args.append(limit)
        with self._lock:
            return [_job(r) for r in self._conn.execute(sql, args).fetchall()]

    def events(self, job_id: str, after_seq: int = 0) -> builtins.list[JobEvent]:
        with self._lock:
            exists = self._conn.execute("SELECT 1 FROM jobs WHERE id = ?", (job_id,)).fetchone()
            rows = self._conn.execute(
                "SELECT * FROM events WHERE job_id = ? AND seq > ? ORDER BY seq", (job_id, after_seq)
            ).fetchall()
        if exists is None:
            raise NotFound(f"no job with id {job_id!r}")
        return [JobEvent(r["job_id"], r["seq"], r["type"], json.loads(r["data"]), r["ts"]) for r in rows]

    def last_seq(self, job_id: str) -> int:
        with self._lock:
            row = self._conn.execute("SELECT last_seq FROM jobs WHERE id = ?", (job_id,)).fetchone()
        if row is None:
            raise NotFound(f"no job with id {job_id!r}")
        return int(row[0])

    def cancel_requested(self, job_id: str) -> bool:
        with self._lock:
            row = self._conn.execute("SELECT cancel_requested FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return bool(row and row[0])

    def data_version(self) -> int:
        """Changes whenever another connection (e.g. another process) committed to the database."""
        with self._lock:
            return int(self._conn.execute("PRAGMA data_version").fetchone()[0])

    def checkpoint_of(self, job_id: str) -> dict[str, Any] | None:
        with self._lock:
            row = self._conn.execute("SELECT checkpoint FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return json.loads(row[0]) if row and row[0] else None

    def error_debug(self, job_id: str) -> str | None:
        with self._lock:
            row = self._conn.execute("SELECT error_debug FROM jobs WHERE id = ?", (job_id,)).fetchone()
        if row is None:
            raise NotFound(f"no job with id {job_id!r}")
        return row[0]

    # -- writes ------------------------------------------------------------------------------------

    def _event(self, c: sqlite3.Connection, job_id: str, type_: str, data: dict[str, Any]) -> None:
        seq = c.execute("UPDATE jobs SET last_seq = last_seq + 1 WHERE id = ? RETURNING last_seq", (job_id,))
        c.execute(
            "INSERT INTO events (job_id, seq, type, data, ts) VALUES (?, ?, ?, ?, ?)",
            (job_id, seq.fetchone()[0], type_, to_json(data, "event data"), time.time()),
        )

    def insert(self, kind: str, params: dict[str, Any], dedupe_key: str | None) -> tuple[Job, bool]:
        """Insert a queued job; with ``dedupe_key``, return the active twin instead (``created=False``)."""
        params_json = to_json(params, "job params")
        with self._tx() as c:
            if dedupe_key is not None:
                row = c.execute(
                    f"SELECT id FROM jobs WHERE kind = ? AND dedupe_key = ? AND state IN {_ACTIVE}",
                    (kind, dedupe_key),
                ).fetchone()
                if row is not None:
                    return self.get(row[0]), False
            job_id = uuid.uuid4().hex
            c.execute(
                "INSERT INTO jobs (id, kind, params, state, created_at, dedupe_key) VALUES (?, ?, ?, ?, ?, ?)",
                (job_id, kind, params_json, JobState.QUEUED.value, time.time(), dedupe_key),
            )
            self._event(c, job_id, "state", {"state": JobState.QUEUED.value, "attempt": 0})
        return self.get(job_id), True

    def claim(self, kinds: Sequence[str]) -> tuple[Job, dict[str, Any] | None] | None:
        """Atomically move the oldest queued job of one of ``kinds`` to running (attempt + 1)."""
        if not kinds:
            return None
        marks = ",".join("?" * len(kinds))
        with self._tx() as c:
            row = c.execute(
                f"UPDATE jobs SET state = 'running', attempt = attempt + 1, started_at = ?, "
                f"cancel_requested = 0 WHERE id = (SELECT id FROM jobs WHERE state = 'queued' "
                f"AND kind IN ({marks}) ORDER BY created_at, rowid LIMIT 1) RETURNING id, attempt, checkpoint",
                (time.time(), *kinds),
            ).fetchone()
            if row is None:
                return None
            job_id, attempt, ckpt = row[0], row[1], row[2]
            self._event(c, job_id, "state", {"state": JobState.RUNNING.value, "attempt": attempt})
        return self.get(job_id), (json.loads(ckpt) if ckpt else None)

    def progress(
        self,
        job_id: str,
        done: int | None,
        total: int | None,
        message: str | None,
        counters: dict[str, float],
    ) -> None:
        data = {"done": done, "total": total, "message": message, "counters": counters}
        with self._tx() as c:
            c.execute(
                "UPDATE jobs SET done = ?, total = ?, message = ?, counters = ? WHERE id = ?",
                (done, total, message, to_json(counters, "progress counters"), job_id),
            )
            self._event(c, job_id, "progress", data)

    def log(self, job_id: str, message: str) -> None:
        with self._tx() as c:
            self._event(c, job_id, "log", {"message": message})

    def checkpoint(self, job_id: str, state: dict[str, Any]) -> None:
        with self._tx() as c:
            c.execute(
                "UPDATE jobs SET checkpoint = ? WHERE id = ?", (to_json(state, "checkpoint state"), job_id)
            )

    def finish(
        self,
        job_id: str,
        state: JobState,
        *,
        result: dict[str, Any] | None = None,
        error: str | None = None,
        debug: str | None = None,
    ) -> None:
        """Record the outcome: a ``result`` or ``error`` event, then the terminal ``state`` event."""
        with self._tx() as c:
            c.execute(
                "UPDATE jobs SET state = ?, result = ?, error = ?, error_debug = ?, finished_at = ? WHERE id = ?",
                (
                    state.value,
                    to_json(result, "job result") if result is not None else None,
                    error,
                    debug,
                    time.time(),
                    job_id,
                ),
            )
            if result is not None:
                self._event(c, job_id, "result", {"result": result})
            if error is not None:
                self._event(c, job_id, "error", {"message": error})
            self._event(c, job_id, "state", {"state": state.value})

    def request_cancel(self, job_id: str) -> Job:
        """Queued → cancelled now; running → flag (the handler stops at its next check); else unchanged."""
        with self._tx() as c:
            row = c.execute("SELECT state FROM jobs WHERE id = ?", (job_id,)).fetchone()
            if row is None:
                raise NotFound(f"no job with id {job_id!r}")
            if row[0] == JobState.QUEUED.value:
                c.execute(
                    "UPDATE jobs SET state = 'cancelled', finished_at = ? WHERE id = ?", (time.time(), job_id)
                )
                self._event(c, job_id, "state", {"state": JobState.CANCELLED.value})
            elif row[0] == JobState.RUNNING.value:
                c.execute("UPDATE jobs SET cancel_requested = 1 WHERE id = ?", (job_id,))
        return self.get(job_id)

    def requeue(self, job_id: str, reason: str) -> None:
        """Put one running job back in the queue (runner shutdown); its checkpoint is kept. A job whose
        cancel was requested meanwhile (possibly by another process) is cancelled instead."""
        with self._tx() as c:
            row = c.execute("SELECT state, cancel_requested FROM jobs WHERE id = ?", (job_id,)).fetchone()
            if row is None or row[0] != JobState.RUNNING.value:
                return
            if row[1]:
                self._cancel_running(c, job_id)
                return
            c.execute("UPDATE jobs SET state = 'queued' WHERE id = ?", (job_id,))
            self._event(c, job_id, "state", {"state": JobState.QUEUED.value, "reason": reason})

    def requeue_orphans(self) -> builtins.list[str]:
        """On start (only by the process holding the runner lock): jobs left ``running`` by a dead process
        go back to ``queued`` for resume; those whose cancel was requested are cancelled. Returns the ids
        re-queued."""
        with self._tx() as c:
            rows = c.execute("SELECT id, cancel_requested FROM jobs WHERE state = 'running'").fetchall()
            ids = []
            for job_id, cancel_requested in rows:
                if cancel_requested:
                    self._cancel_running(c, job_id)
                    continue
                c.execute("UPDATE jobs SET state = 'queued' WHERE id = ?", (job_id,))
                self._event(
                    c, job_id, "state", {"state": JobState.QUEUED.value, "reason": "resumed after restart"}
                )
                ids.append(job_id)
        return ids

    def _cancel_running(self, c: sqlite3.Connection, job_id: str) -> None:
        c.execute("UPDATE jobs SET state = 'cancelled', finished_at = ? WHERE id = ?", (time.time(), job_id))
        self._event(c, job_id, "state", {"state": JobState.CANCELLED.value})

    def purge(self, finished_before: float) -> int:
        """Delete finished jobs (and their events) that ended before ``finished_before`` (epoch seconds)."""
        with self._tx() as c:
            cur = c.execute(
                "DELETE FROM jobs WHERE state IN ('done', 'failed', 'cancelled') AND finished_at < ?",
                (finished_before,),
            )
            return cur.rowcount


def _job(row: sqlite3.Row) -> Job:
    return Job(
        id=row["id"],
        kind=row["kind"],
        params=json.loads(row["params"]),
        state=JobState(row["state"]),
        done=row["done"],
        total=row["total"],
        counters=json.loads(row["counters"]),
        message=row["message"],
        result=json.loads(row["result"]) if row["result"] else None,
        error=row["error"],
        created_at=row["created_at"],
        started_at=row["started_at"],
        finished_at=row["finished_at"],
        attempt=row["attempt"],
        dedupe_key=row["dedupe_key"],
    )


__all__ = ["SCHEMA_VERSION", "SqliteJobStore"]
