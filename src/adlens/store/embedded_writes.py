"""Collections and writes of the embedded store (:class:`adlens.store.embedded.EmbeddedStore`).

Every write is one SQLite transaction that first catches up with what other processes committed
(``StoreCore._write``), so positions are computed on an up-to-date state; the in-memory state is
changed only after the commit.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Sequence
from typing import Any

import numpy as np

from adlens.errors import Conflict, NotFound
from adlens.store import sqlite_rows, sqlite_schema, validation
from adlens.store.base import DEFAULT_NAMESPACE, CollectionInfo, Record
from adlens.store.embedded_core import StoreCore
from adlens.store.memstate import CollectionState, Rows

__all__ = ["WritableCore"]


class WritableCore(StoreCore):
    """Collection management and writes (create, drop, upsert, delete)."""

    # -- collections -------------------------------------------------------------------------
    def create_collection(
        self, name: str, vector_fields: dict[str, int], *, exist_ok: bool = True
    ) -> CollectionInfo:
        self._check_open()
        validation.check_name("collection", name)
        fields = validation.check_fields(vector_fields)
        if exist_ok and self._fields.get(name) == fields:  # up to date: _check_open caught up
            return CollectionInfo(name, dict(fields))
        with self._lock.write():

            def tx(c: sqlite3.Connection) -> int | None:
                if name in self._fields:  # up to date: _write caught up with other processes
                    if not exist_ok:
                        raise Conflict(f"collection {name!r} already exists")
                    if self._fields[name] != fields:
                        raise Conflict(f"collection {name!r} exists with fields {self._fields[name]}")
                    return None
                incarnation = sqlite_schema.next_seqs(c, 1)
                c.execute(
                    "INSERT INTO collections(name, fields_json, incarnation) VALUES (?, ?, ?)",
                    (name, json.dumps(fields), incarnation),
                )
                sqlite_schema.create_fts(c, name)
                return incarnation

            incarnation = self._write(tx)
            if incarnation is not None:
                with self._index_lock(name):
                    shutil.rmtree(self.index_dir / name, ignore_errors=True)
                self._fields[name], self._incarnations[name] = fields, incarnation
                st = self._states[name] = CollectionState(fields)
                st.synced_seq = incarnation  # none of its rows is older than the collection
        return CollectionInfo(name, dict(fields))

    def drop_collection(self, name: str) -> None:
        self._get_fields(name)
        with self._lock.write():

            def tx(c: sqlite3.Connection) -> None:
                if name not in self._fields:
                    raise NotFound(f"collection {name!r} does not exist")
                sqlite_schema.drop_fts(c, name)
                c.execute("DELETE FROM records WHERE collection=?", (name,))
                c.execute("DELETE FROM tombstones WHERE collection=?", (name,))
                c.execute("DELETE FROM collections WHERE name=?", (name,))

            self._write(tx)
            self._forget(name)
            with self._index_lock(name):
                shutil.rmtree(self.index_dir / name, ignore_errors=True)

    def list_collections(self) -> list[CollectionInfo]:
        self._check_open()
        return [CollectionInfo(n, dict(f)) for n, f in sorted(self._fields.items())]

    # -- writes ------------------------------------------------------------------------------
    def _writable(self, collection: str, fields: dict[str, int]) -> CollectionState:
        """The loaded state of ``collection`` inside a write transaction (after the catch-up): it
        may have been dropped, or dropped and created again, by another process meanwhile."""
        if self._fields.get(collection) != fields:
            if collection not in self._fields:
                raise NotFound(f"collection {collection!r} does not exist")
            raise Conflict(
                f"collection {collection!r} was created again with fields {self._fields[collection]}"
            )
        if collection not in self._states:
            self._states[collection] = self._load_state(collection, fields, persisted=True)
        return self._states[collection]

    def upsert(self, collection: str, records: Sequence[Record], namespace: str = DEFAULT_NAMESPACE) -> int:
        fields = self._ensure_loaded(collection)
        validation.check_namespace(namespace)
        recs, mats = validation.check_records(records, fields)
        if not recs:
            return 0
        packed = sqlite_rows.pack(mats, fields)
        with self._lock.write():

            def tx(c: sqlite3.Connection) -> tuple[CollectionState, list[int], np.ndarray]:
                st = self._writable(collection, fields)
                code = st.ns_vocab.get(namespace, -1)
                old = [p for r in recs if (p := st.key_to_pos.get((code, r.id))) is not None]
                if old:
                    sqlite_rows.delete_seqs(c, collection, st.seqs[old].tolist())
                return st, old, sqlite_rows.insert_rows(c, collection, namespace, recs, packed)

            st, old, seqs = self._write(tx)
            st.kill(old)
            rows = Rows(
                seqs,
                [namespace] * len(recs),
                [r.id for r in recs],
                [r.metadata for r in recs],
                mats,
                [sqlite_rows.dumps(r.metadata) for r in recs],
                [r.text for r in recs],
            )
            st.append(rows)
            if st.ann:
                self._build(st)
            self._dirty.add(collection)
        return len(recs)

    def _delete_where(self, collection: str, fields: dict[str, int], positions: Any) -> int:
        """Delete the rows ``positions(state)`` picks, computed after the catch-up (write lock held)."""

        def tx(c: sqlite3.Connection) -> tuple[CollectionState, list[int]]:
            st = self._writable(collection, fields)
            pos = positions(st)
            if pos:
                sqlite_rows.delete_seqs(c, collection, st.seqs[pos].tolist())
            return st, pos

        st, pos = self._write(tx)
        if pos:
            st.kill(pos)
            self._dirty.add(collection)
        return len(pos)

    def delete(self, collection: str, ids: Sequence[str], namespace: str = DEFAULT_NAMESPACE) -> int:
        fields = self._ensure_loaded(collection)
        ids = validation.check_ids(ids)
        validation.check_namespace(namespace)

        def positions(st: CollectionState) -> list[int]:
            code = st.ns_vocab.get(namespace, -1)
            return [p for i in dict.fromkeys(ids) if (p := st.key_to_pos.get((code, i))) is not None]

        with self._lock.write():
            return self._delete_where(collection, fields, positions)

    def delete_namespace(self, collection: str, namespace: str) -> int:
        fields = self._ensure_loaded(collection)
        validation.check_namespace(namespace)
        with self._lock.write():
            return self._delete_where(
                collection, fields, lambda st: np.flatnonzero(st.base_mask(namespace)).tolist()
            )
