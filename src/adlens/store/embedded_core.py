"""Plumbing of the embedded store: the process lock, SQLite connections, transactions, loaded
collection states and filter masks. :class:`adlens.store.embedded.EmbeddedStore` builds on it."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from adlens.errors import NotFound, Unavailable
from adlens.file_lock import file_lock
from adlens.store import filters, selection, sqlite_rows, sqlite_schema, validation
from adlens.store.ann import load_state
from adlens.store.maskcache import Selection
from adlens.store.memstate import CollectionState
from adlens.store.planner import Plan
from adlens.store.rwlock import RWLock

__all__ = ["StoreCore"]


class StoreCore:
    """Opens ``path`` (shared with other processes) and holds the derived state.

    Several processes may open the same file: writes are serialised by SQLite's write lock, and
    each process catches its in-memory state up with what the others committed (new rows by seq,
    deletions from the tombstone log, collections by incarnation) before every operation, after a
    ``PRAGMA data_version`` check that costs microseconds when nothing changed."""

    def __init__(
        self,
        path: Path | str,
        *,
        exact_scan_threshold: int | None = None,
        hnsw_m: int = 32,
        ef_construction: int = 100,
        ef_search: int = 256,
        ef_max: int = 2048,
        tombstone_keep: int = 1_000_000,
    ) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.index_dir = self.path.with_name(self.path.name + ".index")
        self.exact_scan_threshold = exact_scan_threshold
        self._hnsw = {"m": hnsw_m, "ef_construction": ef_construction}
        self._ef = (ef_search, ef_max)
        self.tombstone_keep = tombstone_keep  # checkpoint prunes older ones (~40 bytes each)
        self._lock = RWLock()
        self._conns: list[sqlite3.Connection] = []
        self._local = threading.local()
        self._fields: dict[str, dict[str, int]] = {}
        self._incarnations: dict[str, int] = {}
        self._seen = -1  # the PRAGMA data_version the in-memory state reflects
        self._vlock = threading.Lock()
        self._states: dict[str, CollectionState] = {}
        self._dirty: set[str] = set()
        self._closed = False
        self.last_plan: Plan | None = None
        try:
            self._w = self._connect()
            sqlite_schema.init_db(self._w)
            self._v = self._connect()  # only for PRAGMA data_version (another process committed?)
            self._catch_up(self._w)
        except BaseException:
            self._release()
            raise

    def scan_threshold(self, rows: int) -> int:
        """Filters matching fewer rows than this get an exact scan: the configured value, or by
        default ``max(20_000, 500 * rows ** (1/3))``. With the in-place scan the crossover with
        filtered HNSW grows about as the cube root of the collection (bench/creators.py: 20,000 was
        right at 100k rows; at 1M, 50,000 gave mean / p90 6.8 / 10.9 ms vs 8.7 / 16.7 ms and the same
        recall)."""
        if self.exact_scan_threshold is not None:
            return self.exact_scan_threshold
        return max(20_000, round(500 * rows ** (1 / 3)))

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite_schema.connect(self.path)
        self._conns.append(conn)
        return conn

    def _r(self) -> sqlite3.Connection:
        if self._closed:  # a caller that passed _check_open before close() took the lock
            raise Unavailable("store is closed")
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = self._connect()
        return conn

    def _check_open(self) -> None:
        if self._closed:
            raise Unavailable("store is closed")
        self._sync()

    # -- other processes ---------------------------------------------------------------------
    def _data_version(self) -> int:
        with self._vlock:
            if self._closed:
                raise Unavailable("store is closed")
            return int(self._v.execute("PRAGMA data_version").fetchone()[0])

    def _sync(self) -> None:
        """Catch up with commits of other connections (other processes) if there were any."""
        if self._data_version() == self._seen:
            return
        with self._lock.write():
            self._catch_up(self._w)  # _data_version raises if the store was closed meanwhile

    def _catch_up(self, conn: sqlite3.Connection) -> None:
        """Apply what other processes committed: collections created or dropped, new rows,
        deletions. Write lock held; ``conn`` is ``self._w``, inside a write transaction or not."""
        seen = self._data_version()  # read first: a commit after this changes it again
        if seen == self._seen:
            return
        own_tx = not conn.in_transaction
        reload: list[str] = []
        if own_tx:
            conn.execute("BEGIN")  # one snapshot for everything read below
        try:
            current = {
                name: (json.loads(fj), int(inc))
                for name, fj, inc in conn.execute("SELECT name, fields_json, incarnation FROM collections")
            }
            for name in list(self._fields):
                if name not in current or current[name][1] != self._incarnations.get(name):
                    self._forget(name)  # dropped (and perhaps created again) elsewhere
            for name, (fields, inc) in current.items():
                if name not in self._fields:
                    self._fields[name], self._incarnations[name] = fields, inc
            high = sqlite_schema.seq_high_water(conn)
            floor = sqlite_schema.tombstone_floor(conn)
            for name, st in self._states.items():
                if st.tombstone < floor:  # fell behind pruned tombstones: deletions may be missed
                    reload.append(name)
                    continue
                # deletions first: a replaced id's old row dies before its new row takes the key
                st.tombstone, gone = sqlite_rows.tombstones_after(conn, name, st.tombstone)
                if gone.size:
                    pos = st.positions_of_seqs(gone)
                    st.kill(pos[pos >= 0])
                if high > st.seen_seq:
                    rows = sqlite_rows.load_rows(conn, name, self._fields[name], after=st.seen_seq)
                    if rows.seqs.size:
                        st.append(rows)
                    st.synced_seq = high
        finally:
            if own_tx:
                conn.execute("COMMIT")
        for name in reload:  # after the snapshot: _load_state reads the persisted index first
            self._states[name] = self._load_state(name, self._fields[name], persisted=True)
        self._seen = seen

    def _forget(self, name: str) -> None:
        """Drop the in-memory state of a collection (write lock held)."""
        self._fields.pop(name, None)
        self._incarnations.pop(name, None)
        self._states.pop(name, None)
        self._dirty.discard(name)

    def _load_state(self, name: str, fields: dict[str, int], *, persisted: bool) -> CollectionState:
        """Every live row (plus the persisted index when ``persisted``), from one snapshot (write
        lock held)."""
        # the persisted index first: it holds committed rows only, so it is never ahead of the
        # snapshot taken after it (read the other way round, rows another process committed and
        # checkpointed in between would be placed as dead and never loaded)
        state = None
        if persisted:
            with self._index_lock(name):
                state = load_state(self.index_dir / name, fields)
        conn = self._w
        own_tx = not conn.in_transaction
        if own_tx:
            conn.execute("BEGIN")
        try:
            tombstone = sqlite_rows.last_tombstone(conn)
            high = sqlite_schema.seq_high_water(conn)
            rows = sqlite_rows.load_rows(conn, name, fields)
        finally:
            if own_tx:
                conn.execute("COMMIT")
        st = CollectionState.from_rows(fields, rows, state)
        st.tombstone, st.synced_seq = tombstone, high
        return st

    @contextmanager
    def _index_lock(self, name: str) -> Iterator[None]:
        """Serialise reading and writing a collection's persisted index across processes."""
        self.index_dir.mkdir(parents=True, exist_ok=True)
        with file_lock(self.index_dir / f".{name}.lock"):
            yield

    def _get_fields(self, name: str) -> dict[str, int]:
        self._check_open()
        fields = self._fields.get(name)
        if fields is None:
            raise NotFound(f"collection {name!r} does not exist")
        return fields

    def _state(self, name: str) -> CollectionState:
        """Loaded state (caller holds a lock)."""
        st = self._states.get(name)
        if st is None:
            if self._closed:  # closed while this thread waited for the lock
                raise Unavailable("store is closed")
            raise NotFound(f"collection {name!r} does not exist")
        return st

    def _ensure_loaded(self, name: str) -> dict[str, int]:
        fields = self._get_fields(name)
        if name not in self._states:
            with self._lock.write():
                if self._closed:  # closed while this thread waited for the lock
                    raise Unavailable("store is closed")
                if name not in self._states and name in self._fields:
                    self._states[name] = self._load_state(name, fields, persisted=True)
        return fields

    def _tx(self) -> sqlite3.Connection:
        self._w.execute("BEGIN IMMEDIATE")
        return self._w

    def _write(self, fn: Any) -> Any:
        """Run ``fn(conn)`` in one write transaction, after catching up with other processes
        (nobody else can commit until this one ends). Write lock held."""
        if self._closed:  # closed while this thread waited for the write lock
            raise Unavailable("store is closed")
        try:
            conn = self._tx()
            self._catch_up(conn)
            out = fn(conn)
            self._w.execute("COMMIT")
            return out
        except BaseException:
            if self._w.in_transaction:
                self._w.execute("ROLLBACK")
            raise

    def _select(self, st: CollectionState, namespace: str | None, node: filters.Node | None) -> Selection:
        """Rows matching (alive, namespace, filter): a cached, read-only :class:`Selection` (caller holds
        a lock)."""
        if namespace is not None:
            validation.check_namespace(namespace)
        return selection.select(st, namespace, node)

    def _mask(self, st: CollectionState, namespace: str | None, node: filters.Node | None) -> np.ndarray:
        """The mask of :meth:`_select` (read-only; caller holds a lock)."""
        return self._select(st, namespace, node).mask

    def _build(self, st: CollectionState, fields: list[str] | None = None) -> None:
        """Build/catch up HNSW indexes of ``fields`` (default: those that exist); write lock held."""
        st.ensure_ann(fields, m=self._hnsw["m"], ef_construction=self._hnsw["ef_construction"])

    def _release(self) -> None:
        for c in self._conns:
            c.close()
