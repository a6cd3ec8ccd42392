"""The ANN index of the embedded store: FAISS HNSW (inner product) with an in-search filter.

Labels are row positions ``0..ntotal-1`` (FAISS assigns them in add order). A filter is a
boolean mask over positions, passed to FAISS as ``IDSelectorBitmap`` so HNSW only returns
allowed rows. Persistence (:func:`save_state`/:func:`load_state`) writes the indexes and the
``seq`` of every position under a new generation, then atomically replaces ``state.json``.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np


class HnswIndex:
    """FAISS ``IndexHNSWFlat`` over unit vectors (inner product = cosine)."""

    def __init__(self, dim: int, *, m: int = 32, ef_construction: int = 100) -> None:
        self.dim = dim
        self.index = faiss.IndexHNSWFlat(dim, m, faiss.METRIC_INNER_PRODUCT)
        self.index.hnsw.efConstruction = ef_construction

    @classmethod
    def from_faiss(cls, index: faiss.Index) -> HnswIndex:
        self = cls.__new__(cls)
        self.dim = index.d
        self.index = index  # type: ignore[assignment]  # a loaded IndexHNSWFlat
        return self

    @property
    def ntotal(self) -> int:
        return int(self.index.ntotal)

    def add(self, mat: np.ndarray) -> None:
        if mat.shape[0]:
            faiss.omp_set_num_threads(os.cpu_count() or 1)  # per calling thread: builds use every core
            self.index.add(np.ascontiguousarray(mat, dtype=np.float32))

    def search(
        self,
        q: np.ndarray,
        k: int,
        *,
        ef: int,
        allowed: np.ndarray | None = None,
        allowed_bits: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Top-k (scores, positions) among ``allowed`` (a bool mask of length >= ntotal), or among
        ``allowed_bits`` (that mask's first ntotal entries already packed little-endian)."""
        faiss.omp_set_num_threads(1)  # one query per request thread: no OpenMP team to wake up
        params = faiss.SearchParametersHNSW()  # type: ignore[attr-defined]
        params.efSearch = max(ef, k)
        bitmap = allowed_bits
        if bitmap is None and allowed is not None:
            bitmap = np.packbits(allowed[: self.ntotal], bitorder="little")
        if bitmap is not None:
            if bitmap.shape[0] * 8 < self.ntotal:
                raise ValueError("allowed_bits is shorter than the index")
            sel = faiss.IDSelectorBitmap(self.ntotal, faiss.swig_ptr(bitmap))
            params.sel = sel
        d, i = self.index.search(q.reshape(1, -1).astype(np.float32, copy=False), k, params=params)
        del bitmap
        return d[0], i[0]


@dataclass(slots=True)
class IndexState:
    """What was persisted: ``seqs[p]`` is the record seq at position p (-1 = dead)."""

    seqs: np.ndarray
    indexes: dict[str, HnswIndex]
    applied_seq: int


def _fsync_write(path: Path, data: bytes) -> None:
    with open(path, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def save_state(folder: Path, seqs: np.ndarray, indexes: dict[str, HnswIndex]) -> None:
    """Write a new generation, switch ``state.json`` to it atomically, delete older files."""
    folder.mkdir(parents=True, exist_ok=True)
    old = _read_json(folder / "state.json")
    gen = int(old.get("gen", 0)) + 1 if old else 1
    files: dict[str, str] = {}
    for field, idx in indexes.items():
        name = f"{field}.{gen}.faiss"
        faiss.write_index(idx.index, str(folder / name))
        with open(folder / name, "rb+") as f:
            os.fsync(f.fileno())
        files[field] = name
    seq_name = f"seqs.{gen}.npy"
    with open(folder / seq_name, "wb") as f:
        np.save(f, seqs.astype(np.int64))
        f.flush()
        os.fsync(f.fileno())
    live = seqs[seqs >= 0]
    state = {
        "gen": gen,
        "n": int(seqs.shape[0]),
        "applied_seq": int(live.max()) if live.size else 0,
        "files": files,
        "seqs": seq_name,
    }
    tmp = folder / "state.json.tmp"
    _fsync_write(tmp, json.dumps(state).encode())
    os.replace(tmp, folder / "state.json")
    keep = {*files.values(), seq_name, "state.json"}
    for p in folder.iterdir():
        if p.name not in keep:
            p.unlink(missing_ok=True)


def _read_json(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def load_state(folder: Path, fields: dict[str, int]) -> IndexState | None:
    """The persisted state if consistent with ``fields``; else ``None`` (rebuild).

    Indexes exist only for the fields a search needed one for, so ``files`` may cover a subset."""
    state = _read_json(folder / "state.json")
    if not state or not set(state.get("files", {})) <= set(fields):
        return None  # an index of a field the collection does not have: rebuild
    try:
        seqs = np.load(folder / state["seqs"])
        indexes = {}
        for field, name in state["files"].items():
            idx = faiss.read_index(str(folder / name))
            if idx.d != fields[field] or idx.ntotal != state["n"]:
                return None
            indexes[field] = HnswIndex.from_faiss(idx)
    except (OSError, RuntimeError, ValueError, KeyError):
        return None
    if seqs.shape != (state["n"],):
        return None
    return IndexState(seqs=seqs, indexes=indexes, applied_seq=int(state["applied_seq"]))


__all__ = ["HnswIndex", "IndexState", "load_state", "save_state"]
