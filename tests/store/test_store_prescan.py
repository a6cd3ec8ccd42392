"""The int8 pre-scan of large exact scans and the narrowed selections: same answers as the plain
float32 scan and the reference filter, across appends, deletions and namespaces."""

from __future__ import annotations

import random
import time
from pathlib import Path

import numpy as np
import pytest
from store_testdata import unit

from adlens.store import EmbeddedStore, Record
from adlens.store.filters import matches, parse
from adlens.store.planner import PRESCAN_MIN_ROWS, exact_topk, rescore_depth
from adlens.store.quantized import Int8Codes

D = 32


def _clustered(rng: np.random.Generator, n: int, d: int) -> np.ndarray:
    """Unit vectors around a few centres, as sentence embeddings are (ties in the top are rare)."""
    centres = unit(rng, 12, d)
    x = centres[rng.integers(0, 12, n)] + 0.6 * rng.normal(size=(n, d)).astype(np.float32) / np.sqrt(d)
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def test_prescan_returns_the_float32_top_k_with_float32_scores() -> None:
    rng = np.random.default_rng(11)
    mat = _clustered(rng, 40_000, D)
    codes = Int8Codes(mat)
    for trial in range(20):
        q = _clustered(rng, 1, D)[0]
        pos = np.sort(rng.choice(40_000, 5_000 + 1_500 * trial, replace=False)).astype(np.int64)
        for k in (1, 10, 50):
            want_s, want_p = exact_topk(mat, q, k, pos)
            got_s, got_p = exact_topk(mat, q, k, pos, lambda: codes)
            assert np.array_equal(got_p, want_p), (trial, k)
            assert np.array_equal(got_s, want_s)


def test_prescan_is_skipped_below_its_size_and_for_deep_pages() -> None:
    rng = np.random.default_rng(12)
    mat = _clustered(rng, 32_000, D)

    def boom() -> Int8Codes:
        raise AssertionError("the pre-scan should not run here")

    small = np.arange(PRESCAN_MIN_ROWS - 1, dtype=np.int64)
    exact_topk(mat, mat[0], 10, small, boom)
    deep = np.arange(4 * rescore_depth(2_000) - 1, dtype=np.int64)  # k = 2,000 would rescore too many
    exact_topk(mat, mat[0], 2_000, deep, boom)


def test_codes_are_clipped_not_wrapped_for_rows_beyond_the_fitted_scale() -> None:
    rng = np.random.default_rng(13)
    codes = Int8Codes(0.1 * unit(rng, 100, D))  # fitted on small values
    big = unit(rng, 50, D)
    codes.append(big)
    assert codes.ntotal == 150
    s = codes.scores(big[0], np.arange(100, 150, dtype=np.int64))
    assert int(np.argmax(s)) == 0  # a clipped row still ranks as itself, no int8 overflow
    everything = np.arange(150, dtype=np.int64)
    assert codes.n_clipped == 50 and codes.stale  # > 32 rows and > 1 %: to be fitted again
    assert np.array_equal(codes.clipped_among(everything), np.arange(100, 150))
    with pytest.raises(IndexError):
        codes.scores(big[0], np.array([150], dtype=np.int64))


def test_store_prescan_follows_appends_replacements_and_deletions(tmp_path: Path) -> None:
    rng = np.random.default_rng(14)
    n = 12_000
    mat = _clustered(rng, n, D)
    recs = [Record(f"r{i}", {"t": mat[i]}, {"brand": f"b{i % 2}", "v": i}, "") for i in range(n)]
    with EmbeddedStore(tmp_path / "s.sqlite", exact_scan_threshold=10**9) as s:
        s.create_collection("c", {"t": D})
        s.upsert("c", recs)
        q = _clustered(rng, 1, D)[0]
        where = {"brand": "b0"}  # 6,000 rows: above the pre-scan size
        first = s.search("c", q, field="t", k=10, where=where)
        assert s.last_plan.kind == "exact" and s.last_plan.matches == 6_000
        assert s._states["c"].codes["t"].ntotal == n  # the pre-scan ran
        scores = mat[::2] @ q
        assert [h.id for h in first] == [f"r{2 * i}" for i in np.argsort(-scores, kind="stable")[:10]]
        # a new row equal to the query must come first: the codes were caught up on append
        s.upsert("c", [Record("new", {"t": q}, {"brand": "b0", "v": -1}, "")])
        assert s.search("c", q, field="t", k=1, where=where)[0].id == "new"
        # replacing it with a far vector and deleting the old best: neither may come back
        s.upsert("c", [Record("new", {"t": -q}, {"brand": "b0", "v": -1}, "")])
        s.delete("c", [first[0].id])
        got = [h.id for h in s.search("c", q, field="t", k=10, where=where)]
        assert "new" not in got and first[0].id not in got
        assert got == [h.id for h in first[1:]] + [got[-1]]


def test_narrowed_and_mask_selections_agree_with_the_reference(tmp_path: Path) -> None:
    rng, r = np.random.default_rng(15), random.Random(15)
    n = 4_000
    vecs = unit(rng, n, 8)
    model: dict[tuple[str, str], Record] = {}
    with EmbeddedStore(tmp_path / "s.sqlite", exact_scan_threshold=10**9) as s:
        s.create_collection("c", {"t": 8})
        for ns in ("a", "b"):
            recs = [
                Record(
                    f"r{i}",
                    {"t": vecs[i]},
                    {"cat": f"c{i % 40}", "country": f"k{i % 5}", "views": i, "tags": [f"t{i % 16}"]},
                    "",
                )
                for i in range(n)
            ]
            s.upsert("c", recs, namespace=ns)
            model.update({(ns, x.id): x for x in recs})
        gone = [f"r{i}" for i in r.sample(range(n), 300)]
        s.delete("c", gone, namespace="a")
        for g in gone:
            del model[("a", g)]
        for _ in range(120):
            leaves: list[dict] = []
            if r.random() < 0.7:  # 2.5 % of rows per value: a narrowing anchor
                leaves.append({"cat": {"$in": [f"c{r.randrange(40)}" for _ in range(r.randint(1, 3))]}})
            if r.random() < 0.5:  # 20 %: not small enough to anchor
                leaves.append({"country": f"k{r.randrange(5)}"})
            if r.random() < 0.3:
                leaves.append({"tags": {"$contains": f"t{r.randrange(16)}"}})
            if r.random() < 0.6:
                leaves.append({"views": {"$gte": r.randrange(n)}})
            if r.random() < 0.3:
                leaves.append({"$or": [{"views": {"$lt": 500}}, {"country": "k1"}]})
            where = {"$and": leaves} if leaves else None
            node = parse(where)
            for ns in (None, "a", "b"):
                ref = sorted(
                    k for k, x in model.items() if (ns is None or k[0] == ns) and matches(node, x.metadata)
                )
                assert s.count("c", namespace=ns, where=where) == len(ref), (where, ns)
                got = s.search("c", vecs[0], field="t", k=len(ref) + 1, where=where, namespace=ns)
                assert sorted((h.namespace, h.id) for h in got) == ref, (where, ns)


def test_large_fields_get_their_codes_in_the_background(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from adlens.store import memstate

    monkeypatch.setattr(memstate, "SYNC_CODES_ROWS", 1_000)  # this 8,000-row field counts as large
    rng = np.random.default_rng(16)
    mat = _clustered(rng, 8_000, D)
    with EmbeddedStore(tmp_path / "s.sqlite", exact_scan_threshold=10**9) as s:
        s.create_collection("c", {"t": D})
        s.upsert("c", [Record(f"r{i}", {"t": mat[i]}, {}, "") for i in range(8_000)])
        q = _clustered(rng, 1, D)[0]
        first = s.search("c", q, field="t", k=10)  # float32 while the codes are built
        st = s._states["c"]
        deadline = time.monotonic() + 30
        while "t" not in st.codes and time.monotonic() < deadline:
            time.sleep(0.01)
        assert st.codes["t"].ntotal == 8_000 and not st._codes_building
        s.upsert("c", [Record("late", {"t": q}, {}, "")])  # appended after the build: caught up
        again = s.search("c", q, field="t", k=11)
        assert again[0].id == "late" and [h.id for h in again[1:]] == [h.id for h in first]
        assert st.codes["t"].ntotal == 8_001


def test_near_duplicates_beyond_the_rescoring_depth_keep_the_float32_order() -> None:
    """400 near-copies of one vector (cosine ~0.9998: one creative under many ids) differ by less
    than the int8 error: all of them must reach the float32 step, and pages must nest."""
    rng = np.random.default_rng(17)
    mat = _clustered(rng, 20_000, D)
    base = mat[0].copy()
    for i in range(1, 401):
        v = base + 0.02 * rng.normal(size=D).astype(np.float32) / np.sqrt(D)
        mat[i * 37] = v / np.linalg.norm(v)
    codes = Int8Codes(mat)
    for k in (10, 40, 100):
        want = exact_topk(mat, base, k)
        got = exact_topk(mat, base, k, None, lambda: codes)
        assert np.array_equal(got[1], want[1]) and np.array_equal(got[0], want[0]), k
    deeper = exact_topk(mat, base, 100, None, lambda: codes)[1]
    assert np.array_equal(exact_topk(mat, base, 40, None, lambda: codes)[1], deeper[:40])
