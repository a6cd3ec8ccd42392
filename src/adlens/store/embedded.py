"""The embedded default store: SQLite (WAL) as the source of truth + in-memory FAISS HNSW.

Durability: ``upsert``/``delete`` commit one SQLite transaction (synchronous=FULL) before they
return; the in-memory matrices, metadata columns and HNSW indexes are derived state. The indexes
are persisted with the seq of every position by :meth:`EmbeddedStore.checkpoint` (also run by
:meth:`close`); on open, every live row is read back and rows the persisted index does not hold
(seq above what it applied) are appended, deletions become dead positions. So a crash never
loses an acknowledged write, it only costs catch-up work.

Several processes may open one store file (writes: :mod:`adlens.store.embedded_writes`) (``adlens serve --workers N``, a CLI import beside a
running server): SQLite serialises their writes, every write transaction first catches up with
what the others committed (so a replaced id is found wherever it was written), and every read
catches up when ``PRAGMA data_version`` says another connection committed: new rows by seq,
deletions from the ``tombstones`` log, collections dropped or created again by incarnation. Within
a process, writes take a lock and reads run concurrently.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from adlens.errors import InvalidInput, Unavailable
from adlens.store import filters, sqlite_rows, sqlite_schema, validation
from adlens.store.ann import HnswIndex, save_state
from adlens.store.base import DEFAULT_NAMESPACE, FusionMethod, Hit, Record, Where
from adlens.store.embedded_writes import WritableCore
from adlens.store.fusion import check_method, fuse, fusion_depth
from adlens.store.keyword import fts_query
from adlens.store.memstate import CollectionState
from adlens.store.planner import plan_and_search


class _NeedIndex(Exception):
    """Internal: the HNSW index must catch up under the write lock first."""


class EmbeddedStore(WritableCore):
    """SQLite + FAISS store; see the module docstring. Implements ``VectorStore``.

    ``exact_scan_threshold``: filters matching fewer rows are answered by an exact scan; unset, it
    grows with the collection (:meth:`StoreCore.scan_threshold`).
    ``ef_search`` (256; raised by sqrt(1 / selectivity) under a filter): on bench/creators.py at 1M
    (384-d MiniLM-like vectors, 200 random filters) 128 gave recall@10 0.974 (ANN p50 4.2 ms), 256
    0.992 (6.6 ms), 512 0.994 (10 ms). Constructor arguments: :class:`StoreCore`.
    """

    @classmethod
    def from_settings(cls, settings: Any) -> EmbeddedStore:
        """``settings.data_dir / "store.sqlite"`` with ``settings.exact_scan_threshold`` (as
        :func:`adlens.store.open_store`)."""
        threshold = getattr(settings, "exact_scan_threshold", None)
        return cls(Path(settings.data_dir) / "store.sqlite", exact_scan_threshold=threshold)

    # -- reads -------------------------------------------------------------------------------
    def list_namespaces(self, collection: str) -> list[str]:
        self._ensure_loaded(collection)
        with self._lock.read():
            st = self._state(collection)
            live = np.unique(st.ns[: st.n][st.alive[: st.n]])
            names = {c: n for n, c in st.ns_vocab.items()}
            return sorted(names[int(c)] for c in live)

    def get(self, collection: str, ids: Sequence[str], namespace: str = DEFAULT_NAMESPACE) -> list[Record]:
        fields = self._get_fields(collection)
        ids = validation.check_ids(ids)
        validation.check_namespace(namespace)
        with self._lock.read():
            st = self._states.get(collection)
            if st is None:  # not loaded: read SQLite rather than load the whole collection
                return sqlite_rows.get_records(self._r(), collection, namespace, ids, fields)
            code = st.ns_vocab.get(namespace, -1)
            out = []
            for rid in dict.fromkeys(ids):
                p = st.key_to_pos.get((code, rid))
                if p is not None:
                    vecs = {f: st.mats[f][p].copy() for f in fields}
                    out.append(Record(rid, vecs, sqlite_rows.loads(st.meta_json[p]), st.texts[p]))
            return out

    def count(self, collection: str, namespace: str | None = None, where: Where | None = None) -> int:
        self._ensure_loaded(collection)
        node = filters.parse(where)
        with self._lock.read():
            return self._select(self._state(collection), namespace, node).count

    def _hits(self, st: CollectionState, pos: np.ndarray, scores: np.ndarray, key: str) -> list[Hit]:
        """Hits from the in-memory copy of metadata and text (no SQLite read on the search path)."""
        names = {c: n for n, c in st.ns_vocab.items()}
        out = []
        for p, sc in zip(pos.tolist(), scores.tolist(), strict=True):
            meta = sqlite_rows.loads(st.meta_json[p])
            out.append(Hit(st.ids[p], float(sc), meta, st.texts[p], {key: float(sc)}, names[int(st.ns[p])]))
        return out

    def _query_vector(self, fields: dict[str, int], field: str, vector: Any) -> np.ndarray:
        if field not in fields:
            raise InvalidInput(f"unknown vector field {field!r}; fields: {sorted(fields)}")
        return validation.normalise(vector, fields[field], "query vector")

    def _vector_hits(
        self, collection: str, q: np.ndarray, field: str, k: int, namespace: str | None, node: Any
    ) -> list[Hit]:
        for _ in range(3):
            with self._lock.read():
                st = self._state(collection)
                sel = self._select(st, namespace, node)
                all_allowed = st.dead == 0 and namespace is None and node is None

                def get_index(st: CollectionState = st) -> HnswIndex:
                    if st.ann_behind(field):
                        raise _NeedIndex
                    return st.ann[field]

                try:
                    s, p, plan = plan_and_search(
                        st.mats[field],
                        q,
                        k,
                        sel,
                        all_allowed=all_allowed,
                        exact_scan_threshold=self.scan_threshold(st.n),
                        get_index=get_index,
                        get_codes=partial(st.int8_codes, field),
                        ef_search=self._ef[0],
                        ef_max=self._ef[1],
                    )
                except _NeedIndex:
                    pass
                else:
                    self.last_plan = plan
                    return self._hits(st, p, s, "vector")
            with self._lock.write():
                self._build(self._state(collection), [field])
                self._dirty.add(collection)
        raise Unavailable("the vector index could not catch up with concurrent writes")

    def search(
        self,
        collection: str,
        vector: np.ndarray | Sequence[float],
        *,
        field: str,
        k: int,
        where: Where | None = None,
        namespace: str | None = None,
    ) -> list[Hit]:
        fields = self._ensure_loaded(collection)
        q = self._query_vector(fields, field, vector)
        validation.check_k(k)
        return self._vector_hits(collection, q, field, k, namespace, filters.parse(where))

    def _keyword_hits(self, collection: str, fq: str, k: int, namespace: str | None, node: Any) -> list[Hit]:
        with self._lock.read():
            st = self._state(collection)
            mask = self._mask(st, namespace, node)

            def accept(seqs: np.ndarray) -> np.ndarray:
                pos = st.positions_of_seqs(seqs)
                return np.where((pos >= 0) & mask[np.maximum(pos, 0)], pos, -1)

            pos, scores = sqlite_rows.fts_ranked(self._r(), collection, fq, k, accept)
            return self._hits(st, np.asarray(pos, np.int64), np.asarray(scores), "keyword")

    def keyword_search(
        self,
        collection: str,
        query: str,
        *,
        k: int,
        where: Where | None = None,
        namespace: str | None = None,
    ) -> list[Hit]:
        self._ensure_loaded(collection)
        validation.check_k(k)
        return self._keyword_hits(collection, fts_query(query), k, namespace, filters.parse(where))

    def hybrid_search(
        self,
        collection: str,
        vector: np.ndarray | Sequence[float],
        query: str,
        *,
        field: str,
        k: int,
        where: Where | None = None,
        namespace: str | None = None,
        method: FusionMethod = "rrf",
        alpha: float = 0.5,
    ) -> list[Hit]:
        fields = self._ensure_loaded(collection)
        q = self._query_vector(fields, field, vector)
        validation.check_k(k)
        check_method(method, alpha)
        fq, node = fts_query(query), filters.parse(where)
        depth = fusion_depth(k)
        vec = self._vector_hits(collection, q, field, depth, namespace, node)
        kw = self._keyword_hits(collection, fq, depth, namespace, node)

        def cosine_of(keys: list[tuple[str, str]]) -> dict[tuple[str, str], float]:
            with self._lock.read():
                st = self._state(collection)
                out = {}
                for ns, rid in keys:
                    p = st.key_to_pos.get((st.ns_vocab.get(ns, -1), rid))
                    if p is not None:
                        out[(ns, rid)] = float(st.mats[field][p] @ q)
                return out

        return fuse(vec, kw, k, method=method, alpha=alpha, cosine_of=cosine_of)

    def iter_records(
        self, collection: str, namespace: str | None = None, *, batch_size: int = 1000
    ) -> Iterator[tuple[str, Record]]:
        fields = self._get_fields(collection)
        last = 0
        while True:
            with self._lock.read():
                rows = sqlite_rows.page_rows(self._r(), collection, namespace, last, batch_size)
            if not rows:
                return
            for seq, ns, rid, mj, text, vec in rows:
                yield ns, Record(rid, sqlite_rows.unpack(vec, fields), sqlite_rows.loads(mj), text)
                last = seq

    # -- maintenance -------------------------------------------------------------------------
    def build_index(self, collection: str, fields: Sequence[str] | None = None) -> None:
        """Build (or catch up) the HNSW index of ``fields`` now (default: every vector field).

        Searches build an index on first need; this moves that cost to ingest time."""
        have = self._ensure_loaded(collection)
        wanted = list(have) if fields is None else list(fields)
        for f in wanted:
            if f not in have:
                raise InvalidInput(f"unknown vector field {f!r}; fields: {sorted(have)}")
        with self._lock.write():
            self._build(self._state(collection), wanted)
            self._dirty.add(collection)

    def checkpoint(self, collection: str | None = None) -> None:
        """Catch the existing HNSW indexes up (compacting dead rows when > 25 %) and persist them;
        prune the tombstone log to its newest ``tombstone_keep`` entries (a process that had not
        applied the pruned ones reloads the collection on its next operation)."""
        self._check_open()
        with self._lock.write():
            self._write(lambda c: sqlite_schema.prune_tombstones(c, self.tombstone_keep))
        names = [collection] if collection else sorted(self._fields)
        for name in names:
            fields = self._ensure_loaded(name)
            with self._lock.write():
                st = self._state(name)
                if st.n and st.dead > 0.25 * st.n:
                    indexed = list(st.ann)
                    st = self._load_state(name, fields, persisted=False)
                    self._states[name] = st
                    self._build(st, indexed)
                self._build(st)
                with self._index_lock(name):
                    save_state(self.index_dir / name, st.persisted_seqs(), st.ann)
                self._dirty.discard(name)

    def close(self) -> None:
        if self._closed:
            return
        for name in sorted(self._dirty):
            if name in self._states and self._states[name].ann:
                self.checkpoint(name)
        # under the write lock: no operation of another thread (e.g. a background preload) is using
        # a connection while it is closed
        with self._lock.write(), self._vlock:
            self._closed = True
            self._states.clear()  # the derived state can be large: let it go with the store
            self._release()

    def __enter__(self) -> EmbeddedStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


__all__ = ["EmbeddedStore"]
