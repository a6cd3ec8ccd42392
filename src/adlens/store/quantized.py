"""An int8 copy of a field's unit vectors, for the pre-scan of large exact scans.

An exact filtered scan reads each selected row once, in random order: at 1M rows a float32 row is
1.5 KB (384-d) and the scan is bound by memory, not arithmetic (~150 ns per row for 36k scattered
rows here). One int8 byte per dimension reads a quarter as much, and SimSIMD's int8 dot product
(VNNI / AVX-512 / AVX2 / NEON, chosen at run time) is ~15 ns per row. Rows are gathered 1,024 at a
time into a per-thread buffer that stays in the L2 cache (gathering them all first cost 1.6x: the
block went to memory and was read back). So a large scan scores every
selected row on int8 codes, keeps the best ``rescore`` candidates and ranks those again on the
float32 rows (Qdrant calls this oversampling + rescoring). The final order and scores are exact
float32 ones; only a row whose int8 score falls below ``rescore`` others could be missed, and the
quantisation error (~1e-3 of a cosine) is far below the gap between the k-th and the 128th best of
any real query (bench/creators.py measures the recall).

Quantisation is symmetric per dimension: ``code = round(127 * x_d / s_d)``, with ``s_d`` the largest
``|x_d|`` when the codes were built (later rows are clipped to it; the rescoring absorbs that). The
per-dimension scale is folded into the query (``Σ q_d x_d ≈ Σ (q_d s_d / 127) code_d``), so the
dot product of two int8 vectors ranks the rows.
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
        self.ntotal = 0
        self._lock = threading.Lock()
        self.append(mat)

    def _quantise(self, rows: np.ndarray) -> np.ndarray:
        x = np.rint(rows * (127.0 / self.scale))
        return np.clip(x, -127, 127, out=x).astype(np.int8)

    def append(self, rows: np.ndarray) -> None:
        """Add the codes of the next rows (callers serialise: the store's write lock or ``catch_up``)."""
        m = int(rows.shape[0])
        end = self.ntotal + m
        if end > self._codes.shape[0]:
            new = np.empty((max(end, 2 * self._codes.shape[0]), self.dim), np.int8)
            new[: self.ntotal] = self._codes[: self.ntotal]
            self._codes = new
        for start in range(0, m, _CHUNK * 64):  # bounded float temporaries
            chunk = rows[start : start + _CHUNK * 64]
            self._codes[self.ntotal + start : self.ntotal + start + chunk.shape[0]] = self._quantise(chunk)
        self.ntotal = end

    def catch_up(self, mat: np.ndarray, n: int) -> None:
        """Quantise rows ``ntotal..n-1`` of ``mat`` (safe under the store's read lock)."""
        with self._lock:
            if self.ntotal < n:
                self.append(mat[self.ntotal : n])

    def scores(self, q: np.ndarray, positions: np.ndarray) -> np.ndarray:
        """Approximate inner products of ``q`` with the rows at ``positions`` (float64, any scale:
        only their order matters)."""
        qs = q.astype(np.float32) * self.scale
        peak = float(np.abs(qs).max()) or 1.0
        qi = np.rint(qs * (127.0 / peak)).astype(np.int8)
        if positions.shape[0] and int(positions.max()) >= self.ntotal:
            raise IndexError("position beyond the quantised rows")
        out = np.empty(positions.shape[0], np.float64)
        buf = _buffer(self.dim)
        for start in range(0, positions.shape[0], _CHUNK):
            part = positions[start : start + _CHUNK]
            block = buf[: part.shape[0]]
            np.take(self._codes, part, axis=0, out=block, mode="clip")  # bounds checked above
            out[start : start + part.shape[0]] = simsimd.dot(block, qi)
        return out
