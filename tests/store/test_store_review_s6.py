"""Review (session 6) of the int8 pre-scan and the narrowed selections of the embedded store.

Everything runs on a real :class:`EmbeddedStore` on small data and is compared with the reference
semantics (:func:`adlens.store.filters.matches`) or a brute-force float32 scan. The four findings
of this review (codes fitted before the data drifted, ties across pages, hand-built filters, a
failed background build) each have a test below that failed before the fix."""

from __future__ import annotations

import random
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from store_testdata import unit

from adlens.errors import InvalidInput
from adlens.store import EmbeddedStore, Record
from adlens.store.filters import Cmp, matches, parse
from adlens.store.planner import exact_topk
from adlens.store.quantized import Int8Codes

D = 8


# -- a randomised differential test of count/search against the reference ---------------------------
def _meta(r: random.Random, i: int) -> dict[str, Any]:
    """Metadata with every kind the filter language distinguishes (and the traps between them)."""
    m: dict[str, Any] = {
        "cat": f"c{r.randrange(30)}",  # ~3 % per value: a narrowing anchor
        "country": f"k{r.randrange(4)}",  # 25 %: never an anchor
        "views": r.randrange(100),
        "tags": [f"t{r.randrange(12)}" for _ in range(r.randint(0, 3))],
    }
    if r.random() < 0.4:  # one key holding ints, floats, bools, strings or null (~5 % each: anchors)
        m["mix"] = r.choice([1, 1.0, True, False, "1", None, 2.5, 0])
    if r.random() < 0.5:
        m["flag"] = r.random() < 0.3  # bool, often missing (a rare True: a bool anchor)
    if r.random() < 0.05:
        m["rare"] = r.choice(["x", "y"])
    if r.random() < 0.1:
        del m["cat"]  # anchors on a key some rows lack
    return m


def _leaf(r: random.Random) -> dict[str, Any]:
    c = r.randrange(17)
    if c == 0:
        return {"cat": f"c{r.randrange(32)}"}  # c30, c31 exist in no row
    if c == 1:
        return {"cat": {"$in": [f"c{r.randrange(32)}" for _ in range(r.randint(1, 3))]}}
    if c == 2:
        return {"cat": {"$in": []}}
    if c == 3:
        return {"country": {"$nin": [f"k{r.randrange(4)}"]}}
    if c == 4:
        return {
            "views": {r.choice(["$gt", "$gte", "$lt", "$lte"]): r.randrange(-5, 105) + r.choice([0, 0.5])}
        }
    if c == 5:
        return {"mix": r.choice([1, 1.0, True, False, "1", 2.5, None])}
    if c == 6:
        return {"mix": {"$in": r.choice([[1], [1.0, 2.5], [True], [False, True], ["1"], [2]])}}
    if c == 7:
        return {"mix": {"$ne": r.choice([1, True, "1", None])}}
    if c == 8:
        return {"tags": {"$contains": f"t{r.randrange(13)}"}}
    if c == 9:
        return {"flag": r.choice([True, False, None])}
    if c == 10:
        return {"rare": {"$exists": r.random() < 0.5}}
    if c == 11:
        return {"ghost": r.choice(["a", 1, True])}  # a key no row has
    if c == 12:
        return {"ghost": {"$nin": ["a"]}}  # ... matches every row
    if c == 13:
        return {"$not": _leaf(r)}
    if c == 14:
        return {"$or": [_leaf(r), _leaf(r)]}
    if c == 15:
        return {"views": {"$in": [r.randrange(100) + 0.0, r.randrange(100)]}}  # numbers: 1 == 1.0
    return {"$and": [_leaf(r), _leaf(r)]}


def _filter(r: random.Random) -> dict[str, Any] | None:
    leaves = [_leaf(r) for _ in range(r.randint(0, 4))]
    if r.random() < 0.6:  # mostly with an anchor, so the narrowed path is taken often
        leaves.append({"cat": {"$in": [f"c{r.randrange(30)}" for _ in range(r.randint(1, 2))]}})
    if not leaves:
        return None
    r.shuffle(leaves)
    return {"$and": leaves} if r.random() < 0.7 or len(leaves) == 1 else dict(_merge(leaves))


def _merge(leaves: list[dict[str, Any]]) -> dict[str, Any]:
    """Several conditions in one object where keys allow it (an implicit AND)."""
    out: dict[str, Any] = {}
    rest = []
    for leaf in leaves:
        (k, v), *_ = leaf.items()
        if k in out or k.startswith("$"):
            rest.append(leaf)
        else:
            out[k] = v
    if rest:
        out["$and"] = rest
    return out


class _Model:
    """The expected contents: (namespace, id) -> (vector, metadata)."""

    def __init__(self) -> None:
        self.rows: dict[tuple[str, str], tuple[np.ndarray, dict[str, Any]]] = {}

    def upsert(self, s: EmbeddedStore, ns: str, recs: list[Record]) -> None:
        s.upsert("c", recs, namespace=ns)
        for x in recs:
            v = np.asarray(x.vectors["t"], np.float32)
            self.rows[(ns, x.id)] = (v / np.linalg.norm(v), x.metadata)

    def delete(self, s: EmbeddedStore, ns: str, ids: list[str]) -> None:
        s.delete("c", ids, namespace=ns)
        for i in ids:
            self.rows.pop((ns, i), None)

    def expect(self, where: Any, ns: str | None) -> list[tuple[str, str]]:
        node = parse(where)
        return sorted(k for k, (_, m) in self.rows.items() if (ns is None or k[0] == ns) and matches(node, m))


def _check(s: EmbeddedStore, model: _Model, r: random.Random, q: np.ndarray, exact: bool, n: int) -> int:
    narrowed = 0
    for _ in range(n):
        where = _filter(r)
        for ns in (None, "a", "b", "nobody"):
            ref = model.expect(where, ns)
            assert s.count("c", namespace=ns, where=where) == len(ref), (where, ns)
            got = s.search("c", q, field="t", k=min(len(ref) + 3, 10_000), where=where, namespace=ns)
            assert sorted((h.namespace, h.id) for h in got) == ref, (where, ns)
            if exact and ref:  # the top 5 are the float32 best, best first
                k = min(5, len(ref))
                want = sorted((float(model.rows[key][0] @ q) for key in ref), reverse=True)[:k]
                top = s.search("c", q, field="t", k=k, where=where, namespace=ns)
                assert [h.score for h in top] == pytest.approx(want, abs=1e-5), (where, ns)
            if not exact:  # a filtered HNSW search (bitmap from the selection) stays inside it
                top = s.search("c", q, field="t", k=5, where=where, namespace=ns)
                assert len(top) == min(5, len(ref)) and {(h.namespace, h.id) for h in top} <= set(ref)
            plan = s.last_plan
            assert plan is not None
            if exact:
                assert plan.kind in ("exact", "empty")
            elif ref:
                assert plan.kind in ("ann", "ann+exact")
        node = parse(where)
        if node is not None:
            from adlens.store import selection

            st = s._states["c"]
            sel = selection.select(st, "a", node)
            narrowed += sel._mask is None  # started from an anchor's positions
            # the narrowed rows, their lazily built mask and the bitmap agree with each other
            assert np.array_equal(np.flatnonzero(sel.mask), sel.positions())
            assert sel.count == int(sel.mask.sum())
    return narrowed


@pytest.mark.parametrize("threshold", [10**9, 1], ids=["exact", "ann"])
def test_review_count_and_search_match_the_reference_across_writes(tmp_path: Path, threshold: int) -> None:
    r = random.Random(606)
    rng = np.random.default_rng(606)
    model = _Model()
    with EmbeddedStore(tmp_path / "s.sqlite", exact_scan_threshold=threshold) as s:
        s.create_collection("c", {"t": D})
        q = unit(rng, 1, D)[0]
        # a collection of 0 rows: narrowed (0 * 8 <= 0) and mask paths both answer 0
        assert s.count("c", where={"cat": "c1"}) == 0
        assert s.search("c", q, field="t", k=3, where={"cat": "c1", "views": {"$gt": 1}}) == []
        for ns in ("a", "b"):
            recs = [Record(f"r{i}", {"t": v}, _meta(r, i), "") for i, v in enumerate(unit(rng, 900, D))]
            model.upsert(s, ns, recs)
        narrowed = _check(s, model, r, q, threshold > 1, 25)
        # deletions, replacements (new metadata and vector under the same id), new rows
        model.delete(s, "a", [f"r{i}" for i in r.sample(range(900), 150)])
        repl = [
            Record(f"r{i}", {"t": unit(rng, 1, D)[0]}, _meta(r, i), "") for i in r.sample(range(900), 150)
        ]
        model.upsert(s, "b", repl)
        model.upsert(s, "a", [Record(f"n{i}", {"t": unit(rng, 1, D)[0]}, _meta(r, i), "") for i in range(60)])
        narrowed += _check(s, model, r, q, threshold > 1, 25)
        # everything of one namespace gone: dead rows only there
        s.delete_namespace("c", "b")
        model.rows = {k: v for k, v in model.rows.items() if k[0] != "b"}
        narrowed += _check(s, model, r, q, threshold > 1, 15)
        assert narrowed >= 15  # the narrowed path was exercised, not only the mask path
        # every row deleted: a collection of dead rows only
        s.delete_namespace("c", "a")
        model.rows.clear()
        _check(s, model, r, q, threshold > 1, 8)


def test_review_repeated_filter_is_not_answered_from_a_stale_cache(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    with EmbeddedStore(tmp_path / "s.sqlite", exact_scan_threshold=10**9) as s:
        s.create_collection("c", {"t": D})
        v = unit(rng, 200, D)
        s.upsert(
            "c", [Record(f"r{i}", {"t": v[i]}, {"cat": f"c{i % 20}", "x": i}, "word") for i in range(200)]
        )
        where = {"cat": "c3", "x": {"$gte": 100}}  # narrowed: 10 of 200 rows
        assert s.count("c", where=where) == 5
        s.upsert("c", [Record("r3", {"t": v[3]}, {"cat": "c3", "x": 150}, "")])  # now matches
        assert s.count("c", where=where) == 6
        s.upsert("c", [Record("r103", {"t": v[3]}, {"cat": "c4", "x": 150}, "")])  # no longer does
        assert s.count("c", where=where) == 5
        assert {h.id for h in s.search("c", v[3], field="t", k=50, where=where)} == {
            "r3",
            "r123",
            "r143",
            "r163",
            "r183",
        }
        s.delete("c", ["r3"])
        assert s.count("c", where=where) == 4
        # the keyword search reads the mask a narrowed selection builds lazily
        assert {h.id for h in s.keyword_search("c", "word", k=50, where=where)} == {
            "r123",
            "r143",
            "r163",
            "r183",
        }


def test_review_two_processes_see_each_others_writes_through_narrowed_selections(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    path = tmp_path / "s.sqlite"
    with EmbeddedStore(path, exact_scan_threshold=10**9) as a, EmbeddedStore(path) as b:
        a.create_collection("c", {"t": D})
        v = unit(rng, 400, D)
        a.upsert("c", [Record(f"r{i}", {"t": v[i]}, {"cat": f"c{i % 40}"}, "") for i in range(400)])
        where = {"cat": "c7"}
        assert a.count("c", where=where) == 10
        b.upsert("c", [Record("z", {"t": v[0]}, {"cat": "c7"}, "")])
        b.delete("c", ["r7", "r47"])
        assert a.count("c", where=where) == 9
        assert {h.id for h in a.search("c", v[0], field="t", k=20, where=where)} == {
            f"r{i}" for i in range(87, 400, 40)
        } | {"z"}


# -- the int8 pre-scan ------------------------------------------------------------------------------
def _cluster(rng: np.random.Generator, centre: np.ndarray, n: int) -> np.ndarray:
    x = centre + 0.3 * rng.normal(size=(n, centre.shape[0])) / np.sqrt(centre.shape[0])
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def test_review_prescan_after_the_data_drifts_returns_the_float32_top_k(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    dim = 32
    centres = unit(rng, 2, dim)
    first, later = _cluster(rng, centres[0], 5_000), _cluster(rng, centres[1], 600)
    with EmbeddedStore(tmp_path / "s.sqlite", exact_scan_threshold=10**9) as s:
        s.create_collection("c", {"t": dim})
        s.upsert("c", [Record(f"a{i}", {"t": x}, {}, "") for i, x in enumerate(first)])
        s.search("c", centres[0], field="t", k=10)  # 5,000 rows: the codes are fitted on these
        assert s._states["c"].codes["t"].ntotal == 5_000
        s.upsert("c", [Record(f"b{i}", {"t": x}, {}, "") for i, x in enumerate(later)])
        mat = np.vstack([first, later])
        ids = [f"a{i}" for i in range(5_000)] + [f"b{i}" for i in range(600)]
        missed = 0
        for q in _cluster(rng, centres[1], 30):
            want = {ids[p] for p in np.argsort(-(mat @ q), kind="stable")[:10]}
            missed += len(want - {h.id for h in s.search("c", q, field="t", k=10)})
        assert missed == 0, f"{missed} of 300 top-10 rows missed"


def test_review_prescan_with_codes_fitted_on_all_rows_is_exact() -> None:
    """Control for the test above: the same data, codes fitted on every row, no miss."""
    rng = np.random.default_rng(7)
    dim = 32
    centres = unit(rng, 2, dim)
    mat = np.vstack([_cluster(rng, centres[0], 5_000), _cluster(rng, centres[1], 600)])
    codes = Int8Codes(mat)
    for q in _cluster(rng, centres[1], 30):
        want = exact_topk(mat, q, 10)
        got = exact_topk(mat, q, 10, None, lambda: codes)
        assert np.array_equal(got[1], want[1])


def test_review_prescan_of_many_threads_and_two_dimensions_agrees_with_one_thread(tmp_path: Path) -> None:
    """The per-thread gather buffer: concurrent searches on fields of two dimensions (the buffer is
    reshaped when a thread switches) give the single-threaded answers."""
    rng = np.random.default_rng(8)
    with EmbeddedStore(tmp_path / "s.sqlite", exact_scan_threshold=10**9) as s:
        s.create_collection("c", {"t": 16, "u": 24})
        t, u = unit(rng, 5_000, 16), unit(rng, 5_000, 24)
        s.upsert("c", [Record(f"r{i}", {"t": t[i], "u": u[i]}, {"p": i % 2}, "") for i in range(5_000)])
        queries = [("t", x) for x in unit(rng, 6, 16)] + [("u", x) for x in unit(rng, 6, 24)]

        def run() -> list[list[str]]:
            out = []
            for f, x in queries:
                for where in (None, {"p": 0}):
                    out.append([h.id for h in s.search("c", x, field=f, k=10, where=where)])
            return out

        want = run()
        assert s._states["c"].codes.keys() == {"t", "u"}  # the pre-scan ran on both fields
        results: list[list[list[str]]] = []
        errors: list[BaseException] = []

        def worker() -> None:
            try:
                for _ in range(3):
                    results.append(run())
            except BaseException as e:  # pragma: no cover - reported below
                errors.append(e)

        threads = [threading.Thread(target=worker) for _ in range(4)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        assert not errors
        assert len(results) == 12 and all(r == want for r in results)
        # brute force: the pre-scan's answers are the float32 ones
        for (f, x), got in zip(queries, want[::2], strict=True):
            mat = t if f == "t" else u
            assert got == [f"r{p}" for p in np.argsort(-(mat @ x), kind="stable")[:10]]


def test_review_background_codes_under_concurrent_writes_and_another_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The codes of a 'large' field are built in a thread; the thread is held after quantising the
    rows it was given (a wrapper around the real ``Int8Codes``) while this store upserts, deletes,
    searches and another store on the same file writes. Released, its codes lag behind the state:
    they must be caught up, and the pre-scan answers equal a brute-force scan of what SQLite holds."""
    from adlens.store import memstate

    release, built = threading.Event(), threading.Event()

    class HeldCodes(Int8Codes):
        def __init__(self, mat: np.ndarray) -> None:
            super().__init__(mat)
            if threading.current_thread().name == "adlens-int8-codes":
                built.set()
                release.wait(30)

    monkeypatch.setattr(memstate, "SYNC_CODES_ROWS", 1_000)
    monkeypatch.setattr(memstate, "Int8Codes", HeldCodes)
    rng = np.random.default_rng(9)
    dim = 16
    path = tmp_path / "s.sqlite"
    vecs: dict[str, np.ndarray] = {}

    def brute(q: np.ndarray, k: int) -> list[str]:
        ids = list(vecs)
        mat = np.vstack([vecs[i] for i in ids])
        return [ids[p] for p in np.argsort(-(mat @ q), kind="stable")[:k]]

    with EmbeddedStore(path, exact_scan_threshold=10**9) as a, EmbeddedStore(path) as b:
        a.create_collection("c", {"t": dim})
        x = unit(rng, 6_000, dim)
        a.upsert("c", [Record(f"r{i}", {"t": x[i]}, {}, "") for i in range(6_000)])
        vecs.update({f"r{i}": x[i] for i in range(6_000)})
        q = unit(rng, 1, dim)[0]
        a.search("c", q, field="t", k=10)  # starts the build; float32 meanwhile
        assert built.wait(30)
        st = a._states["c"]
        for step in range(8):
            y = unit(rng, 40, dim)
            recs = [Record(f"s{step}_{j}", {"t": y[j]}, {}, "") for j in range(40)]
            (a if step % 2 else b).upsert("c", recs)
            vecs.update({rec.id: y[j] for j, rec in enumerate(recs)})
            gone = [f"r{step * 7 + j}" for j in range(5)] + [recs[0].id]
            (b if step % 2 else a).delete("c", gone)
            for g in gone:
                vecs.pop(g, None)
            assert [h.id for h in a.search("c", q, field="t", k=10)] == brute(q, 10)
        assert "t" not in st.codes and st._codes_building == {"t"}
        release.set()
        deadline = time.monotonic() + 30
        while "t" not in st.codes and time.monotonic() < deadline:
            time.sleep(0.005)
        assert st.codes["t"].ntotal == 6_000  # built on the rows it was given ...
        for qq in unit(rng, 8, dim):
            assert [h.id for h in a.search("c", qq, field="t", k=10)] == brute(qq, 10)
        assert a._states["c"] is st and st.codes["t"].ntotal == st.n  # ... and caught up
        b.upsert("c", [Record("late", {"t": q}, {}, "")])  # another process, after the build
        vecs["late"] = q
        assert [h.id for h in a.search("c", q, field="t", k=10)] == brute(q, 10)
        assert a.count("c") == len(vecs)


def test_review_prescan_after_compaction_and_reload(tmp_path: Path) -> None:
    """Codes belong to one collection state: compaction (checkpoint with > 25 % dead) and another
    store opening the file start from fresh states whose pre-scan is still exact."""
    rng = np.random.default_rng(12)
    path = tmp_path / "s.sqlite"
    x = unit(rng, 9_000, D)
    with EmbeddedStore(path, exact_scan_threshold=10**9) as s:
        s.create_collection("c", {"t": D})
        s.upsert("c", [Record(f"r{i}", {"t": x[i]}, {"g": i % 2}, "") for i in range(9_000)])
        s.search("c", x[0], field="t", k=5)
        old = s._states["c"]
        assert "t" in old.codes
        s.delete("c", [f"r{i}" for i in range(0, 9_000, 3)])
        s.checkpoint("c")  # 33 % dead: compacted into a new state
        assert s._states["c"] is not old
        alive = np.array([i % 3 != 0 for i in range(9_000)])
        for i in (1, 2, 4):
            want = [f"r{p}" for p in np.argsort(-(x @ x[i]), kind="stable") if alive[p]][:10]
            assert [h.id for h in s.search("c", x[i], field="t", k=10)] == want
            assert "t" in s._states["c"].codes
    with EmbeddedStore(path, exact_scan_threshold=10**9) as s2:
        alive &= np.arange(9_000) % 2 == 0
        want = [f"r{p}" for p in np.argsort(-(x @ x[4]), kind="stable") if alive[p]][:10]
        assert [h.id for h in s2.search("c", x[4], field="t", k=10, where={"g": 0})] == want
        assert s2.last_plan is not None and s2.last_plan.matches == 3_000


def test_review_prescan_when_k_exceeds_the_matches_returns_every_match(tmp_path: Path) -> None:
    rng = np.random.default_rng(10)
    with EmbeddedStore(tmp_path / "s.sqlite", exact_scan_threshold=10**9) as s:
        s.create_collection("c", {"t": D})
        x = unit(rng, 6_000, D)
        s.upsert("c", [Record(f"r{i}", {"t": x[i]}, {"g": i % 3}, "") for i in range(6_000)])
        where = {"g": 0}  # 2,000 rows
        assert len(s.search("c", x[0], field="t", k=2_500, where=where)) == 2_000
        top = s.search("c", x[0], field="t", k=300, where={"g": {"$in": [0, 1]}})  # 4,000 rows
        assert [h.id for h in top] == [f"r{p}" for p in np.argsort(-(x @ x[0]), kind="stable") if p % 3 != 2][
            :300
        ]


# -- parsed filters passed through -------------------------------------------------------------------
def test_review_a_hand_built_ast_gets_a_clear_error(tmp_path: Path) -> None:
    with EmbeddedStore(tmp_path / "s.sqlite") as s:
        s.create_collection("c", {"t": D})
        s.upsert("c", [Record("a", {"t": np.ones(D)}, {"k": 2}, "")])
        for bad in (Cmp("k", "ne", 1), Cmp("k", "gt", "x"), Cmp("k", "eq", None), Cmp("bad key", "eq", 1)):
            with pytest.raises(InvalidInput):
                s.count("c", where=bad)


def test_review_a_parsed_filter_gives_the_same_answers_as_its_mapping(tmp_path: Path) -> None:
    rng = np.random.default_rng(11)
    r = random.Random(11)
    with EmbeddedStore(tmp_path / "s.sqlite", exact_scan_threshold=10**9) as s:
        s.create_collection("c", {"t": D})
        x = unit(rng, 300, D)
        s.upsert("c", [Record(f"r{i}", {"t": x[i]}, _meta(r, i), "") for i in range(300)])
        for _ in range(40):
            where = _filter(r)
            node = parse(where)
            assert s.count("c", where=node) == s.count("c", where=where)
            assert [h.id for h in s.search("c", x[0], field="t", k=7, where=node)] == [
                h.id for h in s.search("c", x[0], field="t", k=7, where=where)
            ]


def test_review_prescan_top_k_is_a_prefix_of_a_deeper_top_k_with_duplicate_vectors(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    x = unit(rng, 6_000, 16)
    x[::12] = x[0]  # 500 copies of one vector
    with EmbeddedStore(tmp_path / "s.sqlite", exact_scan_threshold=10**9) as s:
        s.create_collection("c", {"t": 16})
        s.upsert("c", [Record(f"r{i}", {"t": x[i]}, {}, "") for i in range(6_000)])
        pages = {k: [h.id for h in s.search("c", x[0], field="t", k=k)] for k in (10, 20, 40, 100)}
        assert "t" in s._states["c"].codes  # the pre-scan ran
        for a, b in ((10, 20), (20, 40), (40, 100)):
            assert pages[a] == pages[b][:a], (a, b)


def test_review_prescan_readers_and_a_writer_in_threads(tmp_path: Path) -> None:
    """Searches on the pre-scan path in two threads while a third upserts and deletes (codes caught
    up under the read lock, gather buffers per thread): no error, k hits each time, and the final
    answers equal a brute-force scan."""
    rng = np.random.default_rng(13)
    dim = 16
    x = unit(rng, 6_000, dim)
    vecs = {f"r{i}": x[i] for i in range(6_000)}
    with EmbeddedStore(tmp_path / "s.sqlite", exact_scan_threshold=10**9) as s:
        s.create_collection("c", {"t": dim})
        s.upsert("c", [Record(k, {"t": v}, {"g": int(k[1:]) % 2}, "") for k, v in vecs.items()])
        stop = threading.Event()
        errors: list[BaseException] = []
        qs = unit(rng, 20, dim)

        def reader(seed: int) -> None:
            i = seed
            try:
                while not stop.is_set():
                    where = None if i % 2 else {"g": {"$in": [0, 1]}}
                    assert len(s.search("c", qs[i % 20], field="t", k=10, where=where)) == 10
                    i += 1
            except BaseException as e:  # pragma: no cover - reported below
                errors.append(e)

        threads = [threading.Thread(target=reader, args=(j,)) for j in range(2)]
        for th in threads:
            th.start()
        try:
            for step in range(15):
                y = unit(rng, 30, dim)
                recs = [Record(f"w{step}_{j}", {"t": y[j]}, {"g": j % 2}, "") for j in range(30)]
                s.upsert("c", recs)
                vecs.update({r.id: y[j] for j, r in enumerate(recs)})
                gone = [f"r{step * 11 + j}" for j in range(4)]
                s.delete("c", gone)
                for g in gone:
                    del vecs[g]
        finally:
            stop.set()
            for th in threads:
                th.join()
        assert not errors, errors[:1]
        ids = list(vecs)
        mat = np.vstack([vecs[i] for i in ids])
        for q in qs[:5]:
            want = [ids[p] for p in np.argsort(-(mat @ q), kind="stable")[:10]]
            assert [h.id for h in s.search("c", q, field="t", k=10)] == want
        assert s._states["c"].codes["t"].ntotal == s._states["c"].n


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_review_a_failed_background_build_is_retried(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from adlens.store import memstate

    failures = [MemoryError("simulated: no room for the codes")]

    class FailsOnce(Int8Codes):
        def __init__(self, mat: np.ndarray) -> None:
            if failures and threading.current_thread().name == "adlens-int8-codes":
                raise failures.pop()
            super().__init__(mat)

    monkeypatch.setattr(memstate, "SYNC_CODES_ROWS", 1_000)
    monkeypatch.setattr(memstate, "Int8Codes", FailsOnce)
    rng = np.random.default_rng(14)
    x = unit(rng, 5_000, D)
    with EmbeddedStore(tmp_path / "s.sqlite", exact_scan_threshold=10**9) as s:
        s.create_collection("c", {"t": D})
        s.upsert("c", [Record(f"r{i}", {"t": x[i]}, {}, "") for i in range(5_000)])
        st = s._states["c"]
        deadline = time.monotonic() + 3
        while "t" not in st.codes and time.monotonic() < deadline:
            s.search("c", x[0], field="t", k=10)  # the first starts the build that fails
            time.sleep(0.02)
        assert "t" in st.codes
