"""Several processes on one embedded store file (``adlens serve --workers N``, a CLI beside a server).

Two ``EmbeddedStore`` objects on one file behave like two processes (each has its own connections
and in-memory state); the last test runs a real second process writing at the same time as this one.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
from shared_writer import DIM, POOL, batch

from adlens.errors import Conflict, InvalidInput, NotFound
from adlens.store import EmbeddedStore, Record
from adlens.store.filters import matches, parse

HERE = Path(__file__).parent


def _recs(n: int, start: int = 0, dim: int = DIM, seed: int = 0) -> list[Record]:
    rng = np.random.default_rng(seed)
    vecs = rng.normal(size=(n, dim)).astype(np.float32)
    return [
        Record(f"r{start + i}", {"text": vecs[i]}, {"band": (start + i) % 5}, f"shared word{start + i}")
        for i in range(n)
    ]


def _truth(path: Path) -> dict[str, tuple[np.ndarray, dict[str, object]]]:
    """id -> (unit vector, metadata) straight from SQLite (the source of truth)."""
    import json

    with sqlite3.connect(path) as c:
        rows = c.execute("SELECT id, metadata_json, vec FROM records WHERE collection='ads'").fetchall()
    return {rid: (np.frombuffer(vec, np.float32), json.loads(mj)) for rid, mj, vec in rows}


def _check_against_truth(store: EmbeddedStore, path: Path, rng: np.random.Generator) -> None:
    truth = _truth(path)
    assert store.count("ads") == len(truth)
    got = {r.id: r for r in store.get("ads", sorted(truth))}
    assert set(got) == set(truth)
    for rid, (vec, meta) in truth.items():
        np.testing.assert_allclose(got[rid].vectors["text"], vec, atol=1e-6)
        assert got[rid].metadata == meta
    ids = sorted(truth)
    mat = np.stack([truth[i][0] for i in ids])
    for _ in range(20):
        q = rng.normal(size=DIM).astype(np.float32)
        q /= np.linalg.norm(q)
        where = {"band": int(rng.integers(5))}
        node = parse(where)
        allowed = [j for j, i in enumerate(ids) if matches(node, truth[i][1])]
        k = min(5, len(allowed))
        hits = store.search("ads", q, field="text", k=5, where=where)
        assert len(hits) == k  # never fewer than k when k rows match
        best = sorted(allowed, key=lambda j: -float(mat[j] @ q))[:k]
        # HNSW may swap near-ties, never return a non-matching or stale row
        assert all(matches(node, h.metadata) and h.id in truth for h in hits)
        assert abs(hits[0].score - float(mat[best[0]] @ q)) < 1e-4


def test_two_stores_on_one_file_see_each_others_writes(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    a, b = EmbeddedStore(path), EmbeddedStore(path)
    a.create_collection("ads", {"text": DIM})
    a.upsert("ads", _recs(50))
    assert [c.name for c in b.list_collections()] == ["ads"]
    assert b.count("ads") == 50 and b.count("ads", where={"band": 2}) == 10
    q = _recs(50)[7].vectors["text"]
    assert b.search("ads", q, field="text", k=1)[0].id == "r7"  # b loaded a's rows
    assert {h.id for h in b.keyword_search("ads", "word7", k=5)} == {"r7"}

    # b replaces a's r3 and deletes r5; a sees both (replacement by a second process is the case
    # that would break the unique key if b did not catch up inside its write transaction)
    new3 = _recs(1, start=3, seed=9)[0]
    b.upsert("ads", [new3])
    b.delete("ads", ["r5"])
    assert a.count("ads") == 49
    np.testing.assert_allclose(
        a.get("ads", ["r3"])[0].vectors["text"], b.get("ads", ["r3"])[0].vectors["text"]
    )
    assert a.get("ads", ["r5"]) == []
    assert all(h.id != "r5" for h in a.search("ads", _recs(50)[5].vectors["text"], field="text", k=50))

    # a replaces the row b wrote, in a's own write transaction
    a.upsert("ads", _recs(1, start=3, seed=11))
    assert b.count("ads") == 49
    _check_against_truth(b, path, np.random.default_rng(0))
    _check_against_truth(a, path, np.random.default_rng(1))
    a.close()
    b.close()


def test_hnsw_built_in_one_process_catches_up_with_rows_from_another(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    a = EmbeddedStore(path, exact_scan_threshold=0)
    b = EmbeddedStore(path, exact_scan_threshold=0)
    a.create_collection("ads", {"text": DIM})
    a.upsert("ads", _recs(300))
    recs = _recs(300)
    assert b.search("ads", recs[0].vectors["text"], field="text", k=1)[0].id == "r0"
    assert b.last_plan is not None and b.last_plan.kind == "ann"  # b built its index
    more = _recs(40, start=300, seed=5)
    a.upsert("ads", more)
    a.delete("ads", ["r0"])
    for r in more[::7]:
        assert b.search("ads", r.vectors["text"], field="text", k=1)[0].id == r.id
    assert b.search("ads", recs[0].vectors["text"], field="text", k=1)[0].id != "r0"
    b.checkpoint()
    a.checkpoint()  # both persist; a third opener uses one of them consistently
    a.close()
    b.close()
    c = EmbeddedStore(path, exact_scan_threshold=0)
    _check_against_truth(c, path, np.random.default_rng(2))
    c.close()


def test_collection_dropped_and_created_again_elsewhere(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    a, b = EmbeddedStore(path), EmbeddedStore(path)
    a.create_collection("ads", {"text": DIM})
    a.upsert("ads", _recs(20))
    assert b.count("ads") == 20
    a.drop_collection("ads")
    with pytest.raises(NotFound):
        b.count("ads")
    with pytest.raises(NotFound):
        b.upsert("ads", _recs(1))
    a.create_collection("ads", {"text": 4})
    a.upsert("ads", _recs(3, dim=4))
    assert b.count("ads") == 3  # the new incarnation, not b's old rows
    with pytest.raises(InvalidInput):
        b.upsert("ads", _recs(1))  # old dimension: refused, nothing written
    with pytest.raises(Conflict):
        b.create_collection("ads", {"text": DIM})
    assert a.count("ads") == 3
    a.close()
    b.close()


def test_a_version_1_store_is_migrated(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    with sqlite3.connect(path) as c:  # the schema adlens wrote before tombstones
        c.executescript(
            """
            CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
            CREATE TABLE collections (name TEXT PRIMARY KEY, fields_json TEXT NOT NULL);
            CREATE TABLE records (seq INTEGER PRIMARY KEY, collection TEXT NOT NULL,
                namespace TEXT NOT NULL, id TEXT NOT NULL, metadata_json TEXT NOT NULL,
                text TEXT NOT NULL, vec BLOB NOT NULL);
            CREATE UNIQUE INDEX records_key ON records(collection, namespace, id);
            INSERT INTO meta VALUES ('schema_version', '1'), ('seq_high_water', '1');
            INSERT INTO collections VALUES ('ads', '{"text": 2}');
            CREATE VIRTUAL TABLE fts_ads USING fts5(text, content='records', content_rowid='seq',
                tokenize='porter unicode61 remove_diacritics 2');
            """
        )
        c.execute(
            "INSERT INTO records VALUES (1, 'ads', 'default', 'x', '{}', 'old row', ?)",
            (np.asarray([1, 0], np.float32).tobytes(),),
        )
        c.execute("INSERT INTO fts_ads(rowid, text) VALUES (1, 'old row')")
    a, b = EmbeddedStore(path), EmbeddedStore(path)
    assert a.count("ads") == 1 and b.get("ads", ["x"])[0].text == "old row"
    a.delete("ads", ["x"])
    assert b.count("ads") == 0
    with sqlite3.connect(path) as c:
        assert c.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone() == ("3",)
        assert c.execute("SELECT count(*) FROM tombstones").fetchone() == (1,)
    a.close()
    b.close()


def test_two_processes_writing_at_once_end_consistent(tmp_path: Path) -> None:
    """A real second process and this one write the same ids (replacing each other's rows) while
    this one also searches; afterwards both views equal SQLite, and searches never fail."""
    path = tmp_path / "s.sqlite"
    store = EmbeddedStore(path, exact_scan_threshold=0)
    store.create_collection("ads", {"text": DIM})
    proc = subprocess.Popen(
        [sys.executable, str(HERE / "shared_writer.py"), str(path), "1", "60"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    rng = np.random.default_rng(2)
    errors: list[BaseException] = []

    def reader() -> None:
        r = np.random.default_rng(3)
        try:
            while proc.poll() is None:
                q = r.normal(size=DIM)
                hits = store.search("ads", q, field="text", k=5, where={"band": int(r.integers(5))})
                assert len({(h.namespace, h.id) for h in hits}) == len(hits)
        except BaseException as e:  # surfaced below
            errors.append(e)

    t = threading.Thread(target=reader)
    t.start()
    for _ in range(60):
        store.upsert("ads", batch(rng, "main", 12))
        store.delete("ads", [f"r{int(rng.integers(POOL))}"])
    out, err = proc.communicate(timeout=120)
    t.join(60)
    assert proc.returncode == 0 and "DONE" in out, err[-2000:]
    assert not errors, errors
    _check_against_truth(store, path, np.random.default_rng(4))
    store.close()
    fresh = EmbeddedStore(path, exact_scan_threshold=0)  # from the persisted index + catch-up
    _check_against_truth(fresh, path, np.random.default_rng(5))
    fresh.close()


def test_close_while_other_threads_use_the_store(tmp_path: Path) -> None:
    """A background thread (e.g. the creators preload) may still be reading when the runtime closes
    the store: it must get ``Unavailable``, never a crash or another error."""
    from adlens.errors import Unavailable

    for _ in range(5):
        path = tmp_path / f"s{_}.sqlite"
        writer = EmbeddedStore(path)
        writer.create_collection("ads", {"text": DIM})
        writer.upsert("ads", _recs(200))
        store = EmbeddedStore(path)
        other: list[BaseException] = []
        started = threading.Event()

        def use(
            store: EmbeddedStore = store,
            writer: EmbeddedStore = writer,
            other: list[BaseException] = other,
            started: threading.Event = started,
        ) -> None:
            q = _recs(1)[0].vectors["text"]
            try:
                while True:
                    started.set()
                    store.list_collections()
                    store.search("ads", q, field="text", k=3, where={"band": 1})
                    store.count("ads")
                    writer.upsert("ads", _recs(1, start=int(np.random.default_rng().integers(1000))))
            except Unavailable:
                return
            except BaseException as e:
                other.append(e)

        threads = [threading.Thread(target=use) for _ in range(3)]
        for t in threads:
            t.start()
        started.wait(10)
        store.close()
        for t in threads:
            t.join(30)
        writer.close()
        assert not other, other


def test_tombstones_are_pruned_and_a_process_behind_them_reloads(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    a = EmbeddedStore(path, tombstone_keep=5)
    b = EmbeddedStore(path, tombstone_keep=5)
    a.create_collection("ads", {"text": DIM})
    a.upsert("ads", _recs(60))
    assert b.count("ads") == 60
    kept = b._states["ads"]
    a.delete("ads", ["r1"])
    assert b.count("ads") == 59 and b._states["ads"] is kept  # up to date: applied, not reloaded
    for i in range(2, 22):  # b sleeps through 20 deletions
        a.delete("ads", [f"r{i}"])
    a.checkpoint()  # prunes the log to the newest 5
    with sqlite3.connect(path) as c:
        assert c.execute("SELECT count(*) FROM tombstones").fetchone() == (5,)
    assert b.count("ads") == 39  # behind the pruned ones: b reloaded instead of missing deletions
    assert b._states["ads"] is not kept
    assert b.get("ads", [f"r{i}" for i in range(1, 22)]) == []
    a_state = a._states["ads"]
    a.delete("ads", ["r30"])
    a.checkpoint()
    assert a.count("ads") == 38 and a._states["ads"] is a_state  # its own deletions: no reload
    _check_against_truth(b, path, np.random.default_rng(6))
    a.close()
    b.close()
