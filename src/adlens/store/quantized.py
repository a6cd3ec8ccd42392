"""An int8 copy of a field's unit vectors, for the pre-scan of large exact scans.

An exact filtered scan reads each selected row once, in random order: at 1M rows a float32 row is
1.5 KB (384-d) and the scan is bound by memory, not arithmetic (~150 ns per row for 36k scattered
rows here). One int8 byte per dimension reads a quarter as much, and SimSIMD's int8 dot product
(VNNI / AVX-512 / AVX2 / NEON, chosen at run time) is ~15 ns per row. Rows are gathered 1,024 at a
time into a per-thread buffer that stays in the L2 cache (gathering them all first cost 1.6x: the
block went to memory and was read back). So a large scan scores every
selected row on int8 codes, keeps the best ``rescore`` candidates and ranks those again on the
float32 rows (Qdrant calls this oversampling + rescoring). The final order and scores are exact
float32 ones. Candidates are every row within :meth:`Int8Codes.margin` (twice a bound on the
quantisation error of one score) of the ``rescore``-th best int8 score, so ties and near-duplicates
all reach the float32 step: a row of the true top k could only be missed if its int8 error exceeded
that bound (4 sigma of the rounding noise of both vectors).

Quantisation is symmetric per dimension: ``code = round(127 * x_d / s_d)``, with ``s_d`` the largest
``|x_d|`` when the codes were built. The per-dimension scale is folded into the query
(``Σ q_d x_d ≈ Σ (q_d s_d / 127) code_d``), so the dot product of two int8 vectors ranks the rows.
Rows appended later with a larger ``|x_d|`` are clipped: they are remembered and always rescored on
float32, and once they exceed 1 % of the rows the codes report :attr:`Int8Codes.stale` and the store
fits them again.
"""

from __future__ import annotations

import threading

import numpy as np
import simsimd

__all__ = ["Int8Codes"]

_CHUNK = 1024  # rows per gather: 384 KB at 384-d, inside L2
_local = threading.local()


def _buffer(dim: int) -> np.ndarray:
    buf: np.ndarray | None = getattr(_local, "buf", None)
    if buf is None or buf.shape[1] != dim:
        buf = _local.buf = np.empty((_CHUNK, dim), np.int8)
    return buf


class Int8Codes:
    """Int8 codes of rows ``0..ntotal-1`` of one float32 field matrix (grows by doubling)."""

    def __init__(self, mat: np.ndarray) -> None:
        """Quantise ``mat`` (the field's rows so far, unit vectors) with scales fitted on it."""
        self.dim = int(mat.shape[1])
        peak = np.full(self.dim, 1e-6, np.float32)
        for start in range(0, mat.shape[0], _CHUNK * 64):  # no float copy of the whole matrix
            np.maximum(peak, np.abs(mat[start : start + _CHUNK * 64]).max(axis=0), out=peak)
        self.scale = peak
        self._codes = np.empty((max(1024, mat.shape[0]), self.dim), np.int8)
        self._clipped = np.zeros(self._codes.shape[0], bool)
        self.n_clipped = 0
        self._row_norm2 = 0.0  # the largest Σ (code_d / 127)² of a row: its rounding noise bound
        self.ntotal = 0
        self._lock = threading.Lock()
        self.append(mat)

    @property
    def stale(self) -> bool:
        """More than 1 % of the rows were clipped: the scales should be fitted again."""
        return self.n_clipped > max(32, self.ntotal // 100)

    def _quantise(self, rows: np.ndarray, start: int) -> None:
        x = np.rint(rows * (127.0 / self.scale))
        over = (np.abs(x) > 127).any(axis=1)
        np.clip(x, -127, 127, out=x)
        self._row_norm2 = max(self._row_norm2, float(np.square(x).sum(axis=1).max(initial=0.0)) / 127**2)
        self._codes[start : start + rows.shape[0]] = x
        self._clipped[start : start + rows.shape[0]] = over
        self.n_clipped += int(over.sum())

    def append(self, rows: np.ndarray) -> None:
        """Add the codes of the next rows (callers serialise: the store's write lock or ``catch_up``)."""
        m = int(rows.shape[0])
        end = self.ntotal + m
        if end > self._codes.shape[0]:
            cap = max(end, 2 * self._codes.shape[0])
            new = np.empty((cap, self.dim), np.int8)
            new[: self.ntotal] = self._codes[: self.ntotal]
            clipped = np.zeros(cap, bool)
            clipped[: self.ntotal] = self._clipped[: self.ntotal]
            self._codes, self._clipped = new, clipped
        for start in range(0, m, _CHUNK * 64):  # bounded float temporaries
            self._quantise(rows[start : start + _CHUNK * 64], self.ntotal + start)
        self.ntotal = end

    def catch_up(self, mat: np.ndarray, n: int) -> None:
        """Quantise rows ``ntotal..n-1`` of ``mat`` (safe under the store's read lock)."""
        with self._lock:
            if self.ntotal < n:
                self.append(mat[self.ntotal : n])

    def _query(self, q: np.ndarray) -> tuple[np.ndarray, float]:
        """The int8 query and the factor that turns an int8 score into a cosine."""
        qs = q.astype(np.float32) * self.scale
        peak = float(np.abs(qs).max()) or 1.0
        return np.rint(qs * (127.0 / peak)).astype(np.int8), peak / 127**2

    def scores(self, q: np.ndarray, positions: np.ndarray) -> np.ndarray:
        """Approximate inner products of ``q`` with the rows at ``positions`` (float64, cosine units)."""
        qi, unit = self._query(q)
        if positions.shape[0] and int(positions.max()) >= self.ntotal:
            raise IndexError("position beyond the quantised rows")
        out = np.empty(positions.shape[0], np.float64)
        buf = _buffer(self.dim)
        for start in range(0, positions.shape[0], _CHUNK):
            part = positions[start : start + _CHUNK]
            block = buf[: part.shape[0]]
            np.take(self._codes, part, axis=0, out=block, mode="clip")  # bounds checked above
            out[start : start + part.shape[0]] = simsimd.dot(block, qi)
        out *= unit
        return out

    def margin(self, q: np.ndarray) -> float:
        """Twice a 4-sigma bound on the error of one approximate score (cosine units).

        A score's error is Σ_d (q_d s_d / 127) δ_d + (P / 127) (x_d / s_d) ε_d with the rounding
        errors δ, ε uniform in ±0.5 (variance 1/12) and P = max |q_d s_d|; the second sum is bounded
        with the largest row norm of the codes. Rows not clipped only: clipped ones are rescored anyway."""
        qs = q.astype(np.float64) * self.scale
        peak = float(np.abs(qs).max())
        var = (float(np.square(qs).sum()) / 127**2 + (peak / 127) ** 2 * self._row_norm2) / 12
        return 8.0 * float(np.sqrt(var))

    def clipped_among(self, positions: np.ndarray) -> np.ndarray:
        """The positions whose rows were clipped (their int8 score may be far off)."""
        if not self.n_clipped or not positions.shape[0]:
            return positions[:0]
        return positions[self._clipped[positions]]
