"""Columnar in-memory metadata for fast filter masks (rows are ANN positions ``0..n-1``).

Per key, up to four typed columns: strings as int32 dictionary codes (-1 absent), numbers as
float64 (NaN absent), booleans as int8 (-1 absent), and string lists as an inverted index
(value -> positions). ``None`` values are stored as absent, matching the filter semantics.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from adlens.store.base import Metadata
from adlens.store.filters import Scalar


class _Grow:
    """A 1-D numpy array that grows by doubling; ``view()`` is the first ``n`` entries."""

    __slots__ = ("arr", "fill")

    def __init__(self, dtype: type, fill: float | int, n: int) -> None:
        self.fill = fill
        self.arr: np.ndarray = np.full(max(16, n), fill, dtype=dtype)

    def ensure(self, n: int) -> None:
        if n > self.arr.shape[0]:
            new = np.full(max(n, 2 * self.arr.shape[0]), self.fill, dtype=self.arr.dtype)
            new[: self.arr.shape[0]] = self.arr
            self.arr = new


class MetaColumns:
    """Columns over rows ``0..n-1``; implements :class:`adlens.store.filters.Columns`."""

    def __init__(self) -> None:
        self._n = 0
        self._str: dict[str, _Grow] = {}
        self._vocab: dict[str, dict[str, int]] = {}
        self._num: dict[str, _Grow] = {}
        self._bool: dict[str, _Grow] = {}
        self._lists: dict[str, dict[str, list[int]]] = {}
        self._list_present: dict[str, _Grow] = {}

    @property
    def n(self) -> int:
        return self._n

    def _col(self, table: dict[str, _Grow], key: str, dtype: type, fill: float | int) -> _Grow:
        col = table.get(key)
        if col is None:
            col = table[key] = _Grow(dtype, fill, self._n)
        col.ensure(self._n)
        return col

    def append(self, metas: Sequence[Metadata]) -> None:
        """Add rows ``n .. n+len(metas)-1``."""
        start = self._n
        self._n += len(metas)
        for off, meta in enumerate(metas):
            pos = start + off
            for k, v in meta.items():
                if v is None:
                    continue
                if isinstance(v, bool):
                    self._col(self._bool, k, np.int8, -1).arr[pos] = int(v)
                elif isinstance(v, int | float):
                    self._col(self._num, k, np.float64, np.nan).arr[pos] = float(v)
                elif isinstance(v, str):
                    vocab = self._vocab.setdefault(k, {})
                    code = vocab.setdefault(v, len(vocab))
                    self._col(self._str, k, np.int32, -1).arr[pos] = code
                else:
                    self._col(self._list_present, k, np.bool_, False).arr[pos] = True
                    inv = self._lists.setdefault(k, {})
                    for item in set(v):
                        inv.setdefault(item, []).append(pos)

    def _view(self, table: dict[str, _Grow], key: str) -> np.ndarray | None:
        col = table.get(key)
        if col is None:
            return None
        col.ensure(self._n)
        return col.arr[: self._n]

    def _zeros(self) -> np.ndarray:
        return np.zeros(self._n, dtype=bool)

    def eq(self, key: str, value: Scalar) -> np.ndarray:
        if isinstance(value, bool):
            col = self._view(self._bool, key)
            return self._zeros() if col is None else col == int(value)
        if isinstance(value, str):
            col = self._view(self._str, key)
            code = self._vocab.get(key, {}).get(value)
            return self._zeros() if col is None or code is None else col == code
        col = self._view(self._num, key)
        return self._zeros() if col is None else col == float(value)

    def compare(self, key: str, op: str, value: float) -> np.ndarray:
        col = self._view(self._num, key)
        if col is None:
            return self._zeros()
        with np.errstate(invalid="ignore"):
            if op == "gt":
                return col > value
            if op == "gte":
                return col >= value
            if op == "lt":
                return col < value
            return col <= value

    def compare_at(self, key: str, op: str, value: float, positions: np.ndarray) -> np.ndarray:
        """:meth:`compare` evaluated only at ``positions`` (a bool array of their length)."""
        col = self._view(self._num, key)
        if col is None:
            return np.zeros(positions.shape[0], dtype=bool)
        vals = col[positions]
        with np.errstate(invalid="ignore"):
            if op == "gt":
                return vals > value
            if op == "gte":
                return vals >= value
            if op == "lt":
                return vals < value
            return vals <= value

    def isin(self, key: str, values: tuple[Scalar, ...]) -> np.ndarray:
        out = self._zeros()
        if not values:
            return out
        first = values[0]
        if isinstance(first, str):
            col = self._view(self._str, key)
            vocab = self._vocab.get(key, {})
            codes = [vocab[v] for v in values if v in vocab]
            if col is None or not codes:
                return out
            if len(codes) <= 8:  # OR-ed equalities beat np.isin's sort for a few values (~10x at 100k)
                for code in codes:
                    out |= col == code
                return out
            # many values: a lookup table over the vocabulary codes
            table = np.zeros(len(vocab) + 1, dtype=bool)
            table[np.asarray(codes, dtype=np.int64)] = True
            return table[col]  # code -1 (absent) indexes the last, always-False slot
        for v in values:
            out |= self.eq(key, v)
        return out

    def exists(self, key: str) -> np.ndarray:
        out = self._zeros()
        for table, absent in ((self._str, -1), (self._bool, -1)):
            col = self._view(table, key)
            if col is not None:
                out |= col != absent
        num = self._view(self._num, key)
        if num is not None:
            out |= ~np.isnan(num)
        lp = self._view(self._list_present, key)
        if lp is not None:
            out |= lp
        return out

    def contains(self, key: str, value: str) -> np.ndarray:
        out = self._zeros()
        pos = self._lists.get(key, {}).get(value)
        if pos:
            out[np.asarray(pos, dtype=np.int64)] = True
        return out


__all__ = ["MetaColumns"]
