"""Review findings (session 5) on the embedded store shared by several processes.

Two ``EmbeddedStore`` objects on one file stand for two processes. Each test makes a race
deterministic by running the other "process" at the exact point of the interleaving (a wrapper
around a real function; nothing is replaced)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import adlens.store.embedded as embedded
import adlens.store.embedded_core as core
from adlens.errors import Unavailable
from adlens.store import EmbeddedStore, Record

DIM = 8


def _recs(ids: range, seed: int) -> list[Record]:
    rng = np.random.default_rng(seed)
    return [
        Record(f"r{i}", {"text": rng.normal(size=DIM).astype(np.float32)}, {"b": i % 3}, f"w{i}") for i in ids
    ]


def test_review_rows_committed_during_a_load_are_not_lost(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A loads a collection (SQLite snapshot, then the persisted index) while B inserts rows and
    checkpoints in between: the index holds seqs newer than A's snapshot. A marks them dead and,
    as its ``seen_seq`` is the last (dead) position's seq, never loads them: A counts 100 rows
    for ever while SQLite holds 105 (and A's upsert of such an id would hit the unique key)."""
    path = tmp_path / "s.sqlite"
    b = EmbeddedStore(path)
    b.create_collection("ads", {"text": DIM})
    b.upsert("ads", _recs(range(100), 0))
    b.build_index("ads")
    b.checkpoint("ads")
    a = EmbeddedStore(path)  # knows the collection, has not loaded it
    real = core.sqlite_rows.load_rows

    def b_writes_meanwhile(*args: object, **kw: object) -> object:
        monkeypatch.setattr(core.sqlite_rows, "load_rows", real)
        b.upsert("ads", _recs(range(100, 105), 1))  # A's snapshot is already taken
        b.checkpoint("ads")
        return real(*args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(core.sqlite_rows, "load_rows", b_writes_meanwhile)
    try:
        a.count("ads")  # loads: snapshot of 100 rows, then B's index of 105 positions
        assert a.count("ads") == 105  # caught up with B's commit
        assert len(a.get("ads", [f"r{i}" for i in range(105)])) == 105
        a.upsert("ads", _recs(range(100, 101), 2))  # replace one of B's rows
        assert a.count("ads") == 105
    finally:
        a.close()
        b.close()


def test_review_write_racing_close_is_unavailable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An upsert that passed the open check while another thread closed the store gets
    ``Unavailable`` (503), not sqlite3.ProgrammingError (a 500) from the closed connection."""
    store = EmbeddedStore(tmp_path / "s.sqlite")
    store.create_collection("ads", {"text": DIM})
    store.upsert("ads", _recs(range(3), 0))
    real = embedded.validation.check_records

    def closed_meanwhile(*args: object, **kw: object) -> object:
        store.close()  # e.g. the server shutting down while a request is in flight
        return real(*args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(embedded.validation, "check_records", closed_meanwhile)
    with pytest.raises(Unavailable):
        store.upsert("ads", _recs(range(3, 5), 1))
