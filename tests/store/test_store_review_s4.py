"""Review of the store's cached selections (mask + count / positions / FAISS bitmap per filter and
state version) and of the size-aware exact-scan threshold: results stay right across every kind of
write, under concurrent readers, and the setting reaches the store however it is opened."""

from __future__ import annotations

import random
import threading
from pathlib import Path

import numpy as np
from store_testdata import make_records, unit

from adlens.config import Settings
from adlens.store import EmbeddedStore, Record
from adlens.store.filters import matches, parse

D = 8
WHERES = [
    None,
    {"brand": "b3"},
    {"brand": "b3", "views": {"$gte": 100}},  # narrowed AND: positions come with the mask
    {"logo": "yes", "ratio": {"$gt": 0.3}, "promo": True},  # narrowed, three leaves
    {"brand": {"$in": ["b1", "b2"]}, "views": {"$lt": 500}},  # others select 20 %: not narrowed
    {"views": {"$gte": 200, "$lt": 800}},
    {"$or": [{"brand": "b0"}, {"views": {"$gt": 900}}]},
]


def test_from_settings_passes_the_configured_threshold(tmp_path: Path) -> None:
    with EmbeddedStore.from_settings(Settings(home=tmp_path / "a", exact_scan_threshold=300)) as s:
        assert s.scan_threshold(1_000_000) == 300
    with EmbeddedStore.from_settings(Settings(home=tmp_path / "b", exact_scan_threshold=0)) as s:
        assert s.scan_threshold(1_000_000) == 0  # 0 is a value (always ANN), not "unset"
    with EmbeddedStore.from_settings(Settings(home=tmp_path / "c")) as s:
        assert s.exact_scan_threshold is None and s.scan_threshold(1_000_000) == 50_000


def _check(s: EmbeddedStore, model: dict[tuple[str, str], Record], rng: np.random.Generator) -> None:
    for where in WHERES:
        node = parse(where)
        for ns in (None, "a", "b"):
            ref = [k for k, r in model.items() if (ns is None or k[0] == ns) and matches(node, r.metadata)]
            for _ in range(2):  # the second call is served from the cached selection
                assert s.count("c", namespace=ns, where=where) == len(ref), (where, ns)
            q = unit(rng, 1, D)[0]
            scores = np.array([model[k].vectors["t"] @ q for k in ref])
            want = [ref[i] for i in np.argsort(-scores, kind="stable")[:5]]
            s.exact_scan_threshold = 10**9  # exact plan: cached positions
            got = s.search("c", q, field="t", k=5, where=where, namespace=ns)
            assert [(h.namespace, h.id) for h in got] == want, (where, ns)
            s.exact_scan_threshold = 1  # ANN plan: cached bitmap
            got = s.search("c", q, field="t", k=5, where=where, namespace=ns)
            assert len(got) == len(want)
            assert all(matches(node, model[(h.namespace, h.id)].metadata) for h in got), (where, ns)


def test_cached_selections_follow_every_kind_of_write(tmp_path: Path) -> None:
    rng, r = np.random.default_rng(3), random.Random(3)
    path = tmp_path / "s.sqlite"
    model: dict[tuple[str, str], Record] = {}
    s = EmbeddedStore(path)
    try:
        s.create_collection("c", {"t": D})
        nxt = 0
        ops = ["add", "add", "add", "replace", "delete", "add", "reopen", "replace", "build", "delete_ns"]
        ops += ["add", "add", "delete", "delete", "checkpoint", "replace", "add", "reopen"]
        for op in ops:
            ns = r.choice(["a", "b"])
            if op == "add":
                recs = make_records(rng, 60, {"t": D}, start=nxt)
                nxt += 60
                s.upsert("c", recs, namespace=ns)
                model.update({(ns, x.id): x for x in recs})
            elif op == "replace":
                pool = sorted(k for k in model if k[0] == ns)
                keys = r.sample(pool, min(15, len(pool)))
                fresh = make_records(rng, len(keys), {"t": D}, start=r.randint(0, 1000))
                recs = [Record(k[1], f.vectors, f.metadata, f.text) for k, f in zip(keys, fresh, strict=True)]
                s.upsert("c", recs, namespace=ns)
                model.update({(ns, x.id): x for x in recs})
            elif op == "delete":
                pool = sorted(k for k in model if k[0] == ns)
                keys = r.sample(pool, min(40, len(pool)))
                assert s.delete("c", [k[1] for k in keys], namespace=ns) == len(keys)
                for k in keys:
                    del model[k]
            elif op == "delete_ns":
                s.delete_namespace("c", ns)
                model = {k: v for k, v in model.items() if k[0] != ns}
            elif op == "checkpoint":  # over 25 % dead by now: compacts into a new state
                s.checkpoint("c")
            elif op == "reopen":
                s.close()
                s = EmbeddedStore(path)
            else:
                s.build_index("c")
            _check(s, model, rng)
        assert len(model) > 100
    finally:
        s.close()


def test_concurrent_readers_share_cached_selections_while_a_writer_writes(tmp_path: Path) -> None:
    rng = np.random.default_rng(4)
    errors: list[BaseException] = []
    stop = threading.Event()
    with EmbeddedStore(tmp_path / "s.sqlite", exact_scan_threshold=150) as s:
        s.create_collection("c", {"t": D})
        s.upsert("c", make_records(rng, 1500, {"t": D}))

        def reader(seed: int) -> None:
            g, rr = np.random.default_rng(seed), random.Random(seed)
            try:
                while not stop.is_set():
                    where = rr.choice(WHERES)
                    node = parse(where)
                    hits = s.search("c", unit(g, 1, D)[0], field="t", k=10, where=where)
                    assert all(matches(node, h.metadata) for h in hits)
                    s.count("c", where=where)
            except BaseException as e:  # reported by the main thread
                errors.append(e)

        threads = [threading.Thread(target=reader, args=(i,)) for i in range(3)]
        for t in threads:
            t.start()
        g, rr = np.random.default_rng(9), random.Random(9)
        try:
            for step in range(40):
                if step % 2:
                    s.delete("c", [f"r{rr.randrange(1500 + 20 * step)}" for _ in range(20)])
                else:
                    s.upsert("c", make_records(g, 20, {"t": D}, start=rr.randrange(3000)))
        finally:
            stop.set()
            for t in threads:
                t.join()
        assert not errors, errors[0]
        live = {rec.id: rec for _, rec in s.iter_records("c")}
        for where in WHERES:
            node = parse(where)
            assert s.count("c", where=where) == sum(matches(node, x.metadata) for x in live.values())
