"""In-memory state of one embedded collection, derived from SQLite.

Rows are *positions* ``0..n-1`` in increasing ``seq`` order (appends only; a replaced or deleted
row becomes a dead position until compaction). Per position: seq, alive flag, namespace code, id,
one float32 unit vector per field, columnar metadata. A field gets an HNSW index only once a search
needs one (a filter matching at least ``exact_scan_threshold`` rows), so a field that is only ever
searched under selective filters (e.g. photo vectors of 1 % of the records) never costs an index;
an index holds positions ``0..ntotal-1`` and is caught up lazily (:meth:`CollectionState.ensure_ann`).
Every write bumps ``version``, which invalidates the cached filter masks (``masks``).
``tombstone`` is the newest tombstone (deletion by any process) this state has applied; rows newer
than :attr:`CollectionState.seen_seq` are the ones it has not seen yet.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from adlens.store.ann import HnswIndex, IndexState
from adlens.store.base import Metadata
from adlens.store.columns import MetaColumns
from adlens.store.maskcache import MaskCache
from adlens.store.quantized import Int8Codes

log = logging.getLogger(__name__)

SYNC_CODES_ROWS = 131_072  # larger fields get their int8 codes from a background thread


@dataclass(slots=True)
class Rows:
    """A batch of SQLite rows in increasing seq order."""

    seqs: np.ndarray
    namespaces: list[str]
    ids: list[str]
    metas: list[Metadata]
    mats: dict[str, np.ndarray]
    meta_json: list[str]  # the stored JSON of each metadata (search hits are read from memory)
    texts: list[str]


class CollectionState:
    def __init__(self, fields: dict[str, int]) -> None:
        self.fields = dict(fields)
        self.n = 0
        self._cap = 0
        self.seqs = np.zeros(0, np.int64)
        self.alive = np.zeros(0, bool)
        self.ns = np.zeros(0, np.int32)
        self.mats = {f: np.zeros((0, d), np.float32) for f, d in fields.items()}
        self.ns_vocab: dict[str, int] = {}
        self.ids: list[str] = []
        self.meta_json: list[str] = []
        self.texts: list[str] = []
        self.key_to_pos: dict[tuple[int, str], int] = {}
        self.columns = MetaColumns()
        self.ann: dict[str, HnswIndex] = {}
        self.codes: dict[str, Int8Codes] = {}  # int8 pre-scan copies, built by the first large scan
        self._codes_lock = threading.Lock()
        self._codes_building: set[str] = set()
        self._codes_retry: dict[str, tuple[float, float]] = {}  # field -> (not before, back-off s)
        self.dead = 0
        self.version = 0
        self.tombstone = 0
        self.synced_seq = 0  # every row of this collection with seq <= this is here (or was deleted)
        self.masks = MaskCache()  # whole filters and range leaves (mostly short-lived)
        self.leaf_masks = MaskCache()  # categorical leaves: equality, $in, $exists, $contains

    # -- building ---------------------------------------------------------------------------
    def _reserve(self, n: int) -> None:
        if n <= self._cap:
            return
        cap = max(n, 2 * self._cap, 1024)

        def grow(a: np.ndarray, fill: object = 0) -> np.ndarray:
            new = np.full((cap, *a.shape[1:]), fill, dtype=a.dtype)
            new[: self.n] = a[: self.n]
            return new

        def grow_mat(a: np.ndarray) -> np.ndarray:
            # rows past n are never read: np.empty leaves their pages uncommitted until written
            new = np.empty((cap, a.shape[1]), dtype=a.dtype)
            new[: self.n] = a[: self.n]
            return new

        self.seqs, self.alive, self.ns = grow(self.seqs), grow(self.alive), grow(self.ns, -1)
        self.mats = {f: grow_mat(m) for f, m in self.mats.items()}
        self._cap = cap

    def ns_code(self, namespace: str) -> int:
        return self.ns_vocab.setdefault(namespace, len(self.ns_vocab))

    def append(self, rows: Rows, alive: np.ndarray | None = None) -> np.ndarray:
        """Append rows as new positions (``alive=False`` entries become dead placeholders)."""
        m = int(rows.seqs.shape[0])
        self.version += 1
        start = self.n
        fresh = start == 0 and self._cap < m
        self._reserve(start + m)
        end = start + m
        self.seqs[start:end] = rows.seqs
        live = np.ones(m, bool) if alive is None else alive
        self.alive[start:end] = live
        self.dead += int(m - live.sum())
        codes = [self.ns_code(ns) if ok else -1 for ns, ok in zip(rows.namespaces, live, strict=True)]
        self.ns[start:end] = np.asarray(codes, np.int32) if m else []
        for f, mat in rows.mats.items():
            if fresh and mat.shape[0] == self._cap and mat.dtype == np.float32 and mat.flags.c_contiguous:
                self.mats[f] = mat  # adopt a first large batch (a store being loaded): no second copy
            else:
                self.mats[f][start:end] = mat
            if f in self.codes:
                self.codes[f].catch_up(self.mats[f], end)
        self.n = end
        self.ids.extend(rows.ids)
        self.meta_json.extend(rows.meta_json)
        self.texts.extend(rows.texts)
        for off, (code, rid) in enumerate(zip(codes, rows.ids, strict=True)):
            if code >= 0:
                self.key_to_pos[(code, rid)] = start + off
        self.columns.append([md if ok else {} for md, ok in zip(rows.metas, live, strict=True)])
        return np.arange(start, end)

    def kill(self, positions: Sequence[int] | np.ndarray) -> None:
        self.version += 1
        for p in np.asarray(positions, dtype=np.int64).tolist():
            if self.alive[p]:
                self.alive[p] = False
                self.dead += 1
                key = (int(self.ns[p]), self.ids[p])
                if self.key_to_pos.get(key) == p:  # not a newer row of the same id
                    del self.key_to_pos[key]

    @classmethod
    def from_rows(cls, fields: dict[str, int], rows: Rows, state: IndexState | None) -> CollectionState:
        """Rebuild from every live SQLite row, reusing a persisted index when consistent."""
        self = cls(fields)
        if state is not None:
            placed = self._place_persisted(rows, state)
            if placed is not None:
                return placed
            self = cls(fields)
        self.append(rows)
        return self

    def _place_persisted(self, rows: Rows, state: IndexState) -> CollectionState | None:
        pabs = np.abs(state.seqs)
        n_p = int(pabs.shape[0])
        if n_p and np.any(np.diff(pabs) <= 0):
            return None
        idx = np.searchsorted(rows.seqs, pabs)
        idx_c = np.minimum(idx, max(rows.seqs.shape[0] - 1, 0))
        found = (
            (idx < rows.seqs.shape[0]) & (state.seqs > 0) & (rows.seqs[idx_c] == pabs)
            if rows.seqs.shape[0]
            else np.zeros(n_p, bool)
        )
        used = np.zeros(rows.seqs.shape[0], bool)
        used[idx_c[found]] = True
        new = np.flatnonzero(~used)
        if n_p and new.size and rows.seqs[new].min() <= pabs.max():
            return None  # a row the index should hold is missing: rebuild
        if n_p and (n_p - int(found.sum())) > 0.25 * n_p:
            return None  # mostly dead: compact instead
        src = idx_c[found]
        if found.all() and np.array_equal(src, np.arange(n_p)):
            self.append(rows)  # common case (no deletion since the checkpoint): rows already in place
            self.ann = dict(state.indexes)
            return self
        ns = ["" for _ in range(n_p)]
        ids = ["" for _ in range(n_p)]
        metas: list[Metadata] = [{} for _ in range(n_p)]
        mj = ["{}" for _ in range(n_p)]
        texts = ["" for _ in range(n_p)]
        mats = {f: np.zeros((n_p, d), np.float32) for f, d in self.fields.items()}
        for p, s in zip(np.flatnonzero(found).tolist(), src.tolist(), strict=True):
            ns[p], ids[p], metas[p] = rows.namespaces[s], rows.ids[s], rows.metas[s]
            mj[p], texts[p] = rows.meta_json[s], rows.texts[s]
        for f in self.fields:
            mats[f][found] = rows.mats[f][src]
        self.append(Rows(pabs, ns, ids, metas, mats, mj, texts), alive=found)
        sel = new.tolist()
        self.append(
            Rows(
                rows.seqs[new],
                [rows.namespaces[i] for i in sel],
                [rows.ids[i] for i in sel],
                [rows.metas[i] for i in sel],
                {f: m[new] for f, m in rows.mats.items()},
                [rows.meta_json[i] for i in sel],
                [rows.texts[i] for i in sel],
            )
        )
        self.ann = dict(state.indexes)
        return self

    # -- querying ---------------------------------------------------------------------------
    def base_mask(self, namespace: str | None) -> np.ndarray:
        mask = self.alive[: self.n].copy()
        if namespace is not None:
            code = self.ns_vocab.get(namespace)
            if code is None:
                return np.zeros(self.n, bool)
            mask &= self.ns[: self.n] == code
        return mask

    def positions_of_seqs(self, seqs: np.ndarray) -> np.ndarray:
        """Positions of live seqs (-1 where not live)."""
        s = self.seqs[: self.n]
        idx = np.searchsorted(s, seqs)
        idx_c = np.minimum(idx, max(self.n - 1, 0))
        ok = (idx < self.n) & (s[idx_c] == seqs) & self.alive[idx_c] if self.n else idx < 0
        return np.where(ok, idx_c, -1)

    @property
    def last_seq(self) -> int:
        """The seq of the newest position (0 when empty)."""
        return int(self.seqs[self.n - 1]) if self.n else 0

    @property
    def seen_seq(self) -> int:
        """Rows of this collection with a higher seq are not here yet: the store-wide seq high-water at
        the last catch-up (so rows other collections wrote since are not scanned again), or the
        newest own row if that is newer."""
        return max(self.synced_seq, self.last_seq)

    def int8_codes(self, field: str, *, wait: bool = False) -> Int8Codes | None:
        """The int8 codes of ``field`` up to ``n``, built on first use and fitted again when
        :attr:`Int8Codes.stale` (safe under the read lock).

        Up to :data:`SYNC_CODES_ROWS` rows they are built in the calling thread (< 0.5 s); above, a
        background thread builds them (3.3 s at 1M x 384) and the current codes (or ``None``: the
        caller scans float32) serve meanwhile, unless ``wait``. A failed build is retried after a
        back-off (1 s, doubling up to 5 min)."""
        codes = self.codes.get(field)
        if codes is None or codes.stale:
            with self._codes_lock:
                codes = self.codes.get(field)
                if codes is None or codes.stale:
                    mat, n = self.mats[field], self.n  # rows < n never change in place
                    if n <= SYNC_CODES_ROWS or wait:
                        codes = self.codes[field] = Int8Codes(mat[:n])
                    elif (
                        field not in self._codes_building
                        and time.monotonic() >= self._codes_retry.get(field, (0.0, 0.0))[0]
                    ):
                        self._codes_building.add(field)
                        threading.Thread(
                            target=self._build_codes,
                            args=(field, mat, n),
                            name="adlens-int8-codes",
                            daemon=True,
                        ).start()
            if codes is None:
                return None
        codes.catch_up(self.mats[field], self.n)
        return codes

    def _build_codes(self, field: str, mat: np.ndarray, n: int) -> None:
        try:
            codes = Int8Codes(mat[:n])
        except Exception:  # MemoryError included: the field scans float32 until a retry works
            with self._codes_lock:
                backoff = min(300.0, 2 * self._codes_retry.get(field, (0.0, 0.5))[1])
                self._codes_retry[field] = (time.monotonic() + backoff, backoff)
                self._codes_building.discard(field)
            log.exception("building the int8 codes of %r failed; retrying in %.0f s", field, backoff)
            return
        with self._codes_lock:
            self.codes[field] = codes  # replaces stale codes; rows appended since are caught up on use
            self._codes_retry.pop(field, None)
            self._codes_building.discard(field)

    def ann_behind(self, field: str) -> bool:
        idx = self.ann.get(field)
        return idx is None or idx.ntotal < self.n

    def ensure_ann(self, fields: Sequence[str] | None = None, *, m: int, ef_construction: int) -> None:
        """Build or catch up the HNSW index of ``fields`` (default: the fields that have one)."""
        for f in list(self.ann) if fields is None else fields:
            d = self.fields[f]
            idx = self.ann.get(f)
            if idx is None:
                idx = self.ann[f] = HnswIndex(d, m=m, ef_construction=ef_construction)
            if idx.ntotal < self.n:
                idx.add(self.mats[f][idx.ntotal : self.n])

    def persisted_seqs(self) -> np.ndarray:
        """Seq per position, negated for dead positions (the on-disk form)."""
        s = self.seqs[: self.n].copy()
        s[~self.alive[: self.n]] *= -1
        return s


__all__ = ["CollectionState", "Rows"]
