"""Embedded-store specifics: the planner invariant, persistence, catch-up, crash safety, locking."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from store_testdata import make_records, unit

from adlens.errors import InvalidInput, NotFound, Unavailable
from adlens.store import EmbeddedStore, Record
from adlens.store.filters import matches, parse

DIMS = {"text": 16}


def test_planner_paths_and_exactly_k(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    recs = make_records(rng, 2000, DIMS)
    with EmbeddedStore(tmp_path / "s.sqlite", exact_scan_threshold=300, ef_search=16) as s:
        s.create_collection("ads", DIMS)
        s.upsert("ads", recs)
        s.delete("ads", [f"r{i}" for i in range(0, 2000, 9)])  # dead positions inside the index
        live = [r for r in recs if int(r.id[1:]) % 9]
        cases = [
            (None, "ann"),
            ({"promo": True}, "ann"),
            ({"brand": "b3"}, "exact"),  # ~10 %
            ({"views": {"$lt": 40}}, "exact"),
            ({"views": {"$gte": 1995}}, "exact"),
        ]
        for where, kind in cases:
            n_match = sum(matches(parse(where), r.metadata) for r in live)
            for q in unit(rng, 5, 16):
                for k in (1, 10, 100):
                    hits = s.search("ads", q, field="text", k=k, where=where)
                    assert len(hits) == min(k, n_match)
                    assert s.last_plan is not None and s.last_plan.kind.startswith(kind)
                    assert all(int(h.id[1:]) % 9 for h in hits)


def test_ann_fallback_to_exact_keeps_k(tmp_path: Path) -> None:
    """A tiny efSearch with a scattered filter makes HNSW come back short; the planner falls back."""
    rng = np.random.default_rng(1)
    recs = make_records(rng, 3000, DIMS)
    with EmbeddedStore(tmp_path / "s.sqlite", exact_scan_threshold=1, ef_search=1, ef_max=1) as s:
        s.create_collection("ads", DIMS)
        s.upsert("ads", recs)
        kinds = set()
        for q in unit(rng, 20, 16):
            hits = s.search("ads", q, field="text", k=50, where={"views": {"$in": list(range(0, 3000, 37))}})
            assert len(hits) == 50
            kinds.add(s.last_plan.kind if s.last_plan else "")
        assert "ann+exact" in kinds


def test_reopen_uses_persisted_index_and_catches_up(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    path = tmp_path / "s.sqlite"
    recs = make_records(rng, 500, DIMS)
    with EmbeddedStore(path, exact_scan_threshold=0) as s:
        s.create_collection("ads", DIMS)
        s.upsert("ads", recs[:400])
        s.search("ads", recs[0].vectors["text"], field="text", k=1)
        s.checkpoint()
    state = (path.parent / "s.sqlite.index" / "ads" / "state.json").read_text()
    # write behind the index's back (as a crashed process would have): new rows and a deletion
    with EmbeddedStore(path, exact_scan_threshold=10**9) as s:
        s.upsert("ads", recs[400:])
        s.delete("ads", ["r7"])
        s._dirty.clear()  # simulate a crash: close() must not persist the index
    assert (path.parent / "s.sqlite.index" / "ads" / "state.json").read_text() == state
    with EmbeddedStore(path, exact_scan_threshold=0) as s:
        assert s.count("ads") == 499
        for r in recs[395:]:
            hit = s.search("ads", r.vectors["text"], field="text", k=1)[0]
            assert hit.id == r.id and s.last_plan is not None and s.last_plan.kind == "ann"
        assert all(h.id != "r7" for h in s.search("ads", recs[7].vectors["text"], field="text", k=5))


def test_crash_mid_ingest_loses_nothing_acknowledged(tmp_path: Path) -> None:
    path = tmp_path / "crash.sqlite"
    writer = Path(__file__).with_name("crash_writer.py")
    proc = subprocess.Popen(
        [sys.executable, str(writer), str(path)], stdout=subprocess.PIPE, text=True, env={**os.environ}
    )
    acked: list[tuple[int, int]] = []
    deleted: set[str] = set()
    checkpointed = False
    assert proc.stdout is not None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = proc.stdout.readline().split()
        if not line:
            break
        if line[0] == "ACK":
            acked.append((int(line[1]), int(line[2])))
        elif line[0] == "DEL":
            deleted.add(line[1])
        elif line[0] == "CHECKPOINT":
            checkpointed = True
        if checkpointed and len(acked) >= 14:
            break
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert checkpointed and len(acked) >= 14
    ids = {f"r{i}" for a, b in acked for i in range(a, b + 1)} - deleted
    with EmbeddedStore(path, exact_scan_threshold=0) as s:
        assert s.count("ads") >= len(ids)
        got = {r.id: r for r in s.get("ads", sorted(ids))}
        assert set(got) == ids
        for rid in sorted(ids)[::7]:
            hit = s.search("ads", got[rid].vectors["text"], field="text", k=1)[0]
            assert hit.id == rid and s.last_plan is not None and s.last_plan.kind == "ann"
        for rid in deleted:
            assert s.get("ads", [rid]) == []
        assert {h.id for h in s.keyword_search("ads", "crash", k=10_000)} >= ids


def test_closed_store_errors_and_a_second_open_is_allowed(tmp_path: Path) -> None:
    s = EmbeddedStore(tmp_path / "s.sqlite")
    other = EmbeddedStore(tmp_path / "s.sqlite")  # several processes may share a store file
    s.close()
    with pytest.raises(Unavailable):
        s.list_collections()
    assert other.list_collections() == []
    other.close()


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    EmbeddedStore(tmp_path / "s.sqlite").close()
    with sqlite3.connect(tmp_path / "s.sqlite") as c:
        c.execute("UPDATE meta SET value='99' WHERE key='schema_version'")
    with pytest.raises(Unavailable, match="newer"):
        EmbeddedStore(tmp_path / "s.sqlite")
    with pytest.raises(Unavailable, match="newer"):  # the failed open left nothing behind
        EmbeddedStore(tmp_path / "s.sqlite")


def test_concurrent_readers_and_writer(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    with EmbeddedStore(tmp_path / "s.sqlite", exact_scan_threshold=100) as s:
        s.create_collection("ads", DIMS)
        s.upsert("ads", make_records(rng, 300, DIMS))
        errors: list[BaseException] = []
        stop = threading.Event()
        queries = unit(rng, 20, 16)

        def reader() -> None:
            try:
                while not stop.is_set():
                    for q in queries:
                        assert len(s.search("ads", q, field="text", k=10)) == 10
                        s.keyword_search("ads", "coffee", k=5, where={"promo": True})
            except BaseException as e:
                errors.append(e)

        threads = [threading.Thread(target=reader) for _ in range(3)]
        for t in threads:
            t.start()
        for b in range(10):
            s.upsert("ads", make_records(rng, 30, DIMS, start=1000 + 30 * b))
            s.delete("ads", [f"r{b}"])
        stop.set()
        for t in threads:
            t.join()
        assert not errors
        assert s.count("ads") == 300 + 300 - 10


def test_errors_on_closed_collection_and_unknown_field(tmp_path: Path) -> None:
    with EmbeddedStore(tmp_path / "s.sqlite") as s:
        with pytest.raises(NotFound):
            s.upsert("ads", [Record("a", {"text": np.ones(16)})])
        s.create_collection("ads", DIMS)
        with pytest.raises(InvalidInput, match="dimension 16"):
            s.upsert("ads", [Record("a", {"text": np.ones(3)})])
        with pytest.raises(InvalidInput):
            s.upsert("ads", Record("a", {"text": np.ones(16)}))  # type: ignore[arg-type]
        assert s.upsert("ads", []) == 0
