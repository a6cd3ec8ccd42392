"""A small LRU of filter masks per collection state, valid for one state version.

Evaluating a filter over 1M rows costs a few milliseconds (one pass per leaf, plus the base mask);
popular filters repeat (UI facets, paging through results, ``count`` next to ``search``), so the
evaluated mask is kept, keyed by ``(namespace, filter AST)``. Any write bumps the state's version,
which empties the cache. Cached masks are read-only arrays: callers must not modify them.

:class:`CachedColumns` also caches the mask of each leaf (equality, ``$in``, ``$exists``,
``$contains``, ranges) so a new combination of popular values costs a few boolean ANDs, and two
filters of one request that share a range (e.g. profiles and their photos) compute it once; the LRU
bounds what rarely repeated range thresholds can take. Keys use ``repr`` of values so that
``True`` and ``1`` (equal and hashing alike in Python, different in the filter language) differ.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

import numpy as np

from adlens.store.columns import MetaColumns
from adlens.store.filters import Scalar

__all__ = ["CachedColumns", "MaskCache", "Selection"]


class MaskCache:
    """LRU of read-only boolean masks, bounded by count and by bytes (whichever is hit first)."""

    def __init__(self, max_items: int = 256, max_bytes: int = 256 << 20) -> None:
        self.max_items = max_items
        self.max_bytes = max_bytes
        self._items: OrderedDict[Hashable, np.ndarray] = OrderedDict()
        self._bytes = 0
        self._version = -1
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, version: int, key: Hashable, compute: Callable[[], np.ndarray]) -> np.ndarray:
        """The mask for ``key`` at ``version`` (computed on a miss, outside the cache lock)."""
        with self._lock:
            if version != self._version:
                self._items.clear()
                self._bytes = 0
                self._version = version
            mask = self._items.get(key)
            if mask is not None:
                self._items.move_to_end(key)
                self.hits += 1
                return mask
            self.misses += 1
        mask = compute()
        mask.flags.writeable = False
        if mask.nbytes > self.max_bytes:
            return mask
        with self._lock:
            if version == self._version and key not in self._items:
                self._items[key] = mask
                self._bytes += mask.nbytes
                while self._items and (len(self._items) > self.max_items or self._bytes > self.max_bytes):
                    _, old = self._items.popitem(last=False)
                    self._bytes -= old.nbytes
        return mask

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._bytes = 0


class Selection:
    """The rows a filter selects: its mask or its positions (whichever was computed), plus the count,
    the other form and the bitmap FAISS wants, each derived once per (filter, state version) and kept
    in the same LRU.

    A search, the ``count`` next to it and the next page of the same filter then share one
    ``count_nonzero``, one ``flatnonzero`` and one ``packbits`` over the 1M-row mask instead of
    redoing them per call; a selection narrowed to a few positions never builds its 1M-row mask
    unless a plan needs it (the HNSW bitmap)."""

    __slots__ = ("_cache", "_key", "_mask", "_pos", "_version", "n")

    def __init__(
        self,
        cache: MaskCache,
        version: int,
        key: Hashable,
        n: int,
        *,
        mask: np.ndarray | None = None,
        positions: np.ndarray | None = None,
    ) -> None:
        if mask is None and positions is None:
            raise ValueError("a selection needs its mask or its positions")
        self._cache, self._version, self._key, self.n = cache, version, key, n
        self._mask, self._pos = mask, positions

    def _derived(self, what: Hashable, compute: Callable[[], np.ndarray]) -> np.ndarray:
        return self._cache.get(self._version, (self._key, what), compute)

    @property
    def mask(self) -> np.ndarray:
        """Boolean mask over rows ``0..n-1`` (read-only)."""
        if self._mask is None:
            pos = self._pos

            def build() -> np.ndarray:
                out = np.zeros(self.n, dtype=bool)
                out[pos] = True
                return out

            self._mask = self._derived("mask", build)
        return self._mask

    @property
    def count(self) -> int:
        if self._pos is not None:
            return int(self._pos.shape[0])
        return int(self._derived("count", lambda: np.array(np.count_nonzero(self.mask))))

    def positions(self) -> np.ndarray:
        """Matching row positions (int64, ascending, read-only)."""
        if self._pos is None:
            self._pos = self._derived(
                "positions", lambda: np.flatnonzero(self.mask).astype(np.int64, copy=False)
            )
        return self._pos

    def bits(self, n: int) -> np.ndarray:
        """``mask[:n]`` packed little-endian (FAISS ``IDSelectorBitmap``; read-only)."""
        return self._derived(("bits", n), lambda: np.packbits(self.mask[:n], bitorder="little"))


class CachedColumns:
    """:class:`MetaColumns` with categorical leaf masks cached (implements ``filters.Columns``)."""

    def __init__(
        self, cols: MetaColumns, cache: MaskCache, version: int, ranges: MaskCache | None = None
    ) -> None:
        self._cols, self._cache, self._version = cols, cache, version
        self._ranges = cache if ranges is None else ranges

    @property
    def n(self) -> int:
        return self._cols.n

    def _get(self, key: tuple[str, ...], compute: Callable[[], np.ndarray]) -> np.ndarray:
        return self._cache.get(self._version, ("leaf", *key), compute)

    def eq(self, key: str, value: Scalar) -> np.ndarray:
        return self._get(("eq", key, repr(value)), lambda: self._cols.eq(key, value))

    def compare(self, key: str, op: str, value: float) -> np.ndarray:
        # ranges go to their own LRU: freely varying thresholds must not evict categorical leaves
        key_ = ("leaf", "cmp", key, op, repr(value))
        return self._ranges.get(self._version, key_, lambda: self._cols.compare(key, op, value))

    def isin(self, key: str, values: tuple[Scalar, ...]) -> np.ndarray:
        return self._get(("in", key, repr(values)), lambda: self._cols.isin(key, values))

    def exists(self, key: str) -> np.ndarray:
        return self._get(("exists", key), lambda: self._cols.exists(key))

    def contains(self, key: str, value: str) -> np.ndarray:
        return self._get(("contains", key, repr(value)), lambda: self._cols.contains(key, value))
