"""Embedded-store paths added for scale: lazy per-field indexes, cached filter masks, reads served
from memory, the in-place exact scan, and loading a store without a second copy of its vectors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from store_testdata import make_records, unit

from adlens.store import EmbeddedStore, Record
from adlens.store.filters import matches, parse
from adlens.store.planner import exact_topk

DIMS = {"text": 16, "photo": 24}


def _state_files(path: Path) -> dict[str, str]:
    doc = json.loads((path.parent / (path.name + ".index") / "ads" / "state.json").read_text())
    return dict(doc["files"])


def test_index_is_built_per_field_on_need_and_persisted(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    path = tmp_path / "s.sqlite"
    recs = make_records(rng, 1500, DIMS)
    with EmbeddedStore(path, exact_scan_threshold=400) as s:
        s.create_collection("ads", DIMS)
        s.upsert("ads", recs)
        q = recs[3].vectors["photo"]
        # a selective filter on "photo": exact scan, no index for that field
        hits = s.search("ads", q, field="photo", k=5, where={"brand": "b3"})
        assert len(hits) == 5 and s.last_plan is not None and s.last_plan.kind == "exact"
        assert hits[0].id == "r3"
        s.search("ads", recs[8].vectors["text"], field="text", k=5)  # broad: builds "text" only
        assert s.last_plan is not None and s.last_plan.kind == "ann"
        s.checkpoint()
    assert set(_state_files(path)) == {"text"}
    with EmbeddedStore(path, exact_scan_threshold=400) as s:
        st = s._states.get("ads")
        assert st is None
        hit = s.search("ads", recs[9].vectors["text"], field="text", k=1)[0]
        assert hit.id == "r9" and s.last_plan is not None and s.last_plan.kind == "ann"
        st = s._states["ads"]
        assert set(st.ann) == {"text"} and st.ann["text"].ntotal == 1500  # loaded, not rebuilt
        s.build_index("ads", ["photo"])
        assert set(st.ann) == {"text", "photo"}
        hit = s.search("ads", recs[11].vectors["photo"], field="photo", k=1)[0]
        assert hit.id == "r11" and s.last_plan.kind == "ann"
        s.upsert("ads", make_records(rng, 10, DIMS, start=1500))  # both indexes catch up on write
        assert st.ann["text"].ntotal == st.ann["photo"].ntotal == st.n
    assert set(_state_files(path)) == {"text", "photo"}


def test_cached_masks_follow_writes_and_keep_types_apart(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    with EmbeddedStore(tmp_path / "s.sqlite", exact_scan_threshold=10**9) as s:
        s.create_collection("ads", {"text": 8})
        vec = unit(rng, 4, 8)
        s.upsert(
            "ads",
            [
                Record("a", {"text": vec[0]}, {"flag": True, "n": 1}),
                Record("b", {"text": vec[1]}, {"flag": 1, "n": 2}),
                Record("c", {"text": vec[2]}, {"flag": False, "n": 3}),
            ],
        )
        # True and 1 are equal (and hash alike) in Python but not in the filter language
        assert s.count("ads", where={"flag": True}) == 1
        assert s.count("ads", where={"flag": 1}) == 1
        assert s.count("ads", where={"flag": {"$in": [True]}}) == 1
        assert s.count("ads", where={"flag": {"$in": [1]}}) == 1
        assert s.count("ads", where={"n": {"$gte": 2}}) == 2
        s.upsert("ads", [Record("d", {"text": vec[3]}, {"flag": True, "n": 9})])
        assert s.count("ads", where={"flag": True}) == 2  # the write invalidated the cached mask
        assert s.count("ads", where={"n": {"$gte": 2}}) == 3
        s.delete("ads", ["a"])
        assert s.count("ads", where={"flag": True}) == 1
        assert [h.id for h in s.search("ads", vec[0], field="text", k=5, where={"flag": True})] == ["d"]
        s.upsert("ads", [Record("x", {"text": vec[0]}, {"flag": True})], namespace="other")
        assert s.count("ads", namespace="other", where={"flag": True}) == 1
        assert s.count("ads", where={"flag": True}) == 2


def test_filtered_search_matches_reference_with_cached_masks(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    recs = make_records(rng, 1200, {"text": 16})
    mat = np.stack([r.vectors["text"] for r in recs])
    wheres = [
        {"brand": {"$in": ["b1", "b2"]}, "views": {"$gte": 300}},
        {"brand": {"$in": ["b1", "b2"]}, "views": {"$lt": 900}},
        {"promo": True, "tags": {"$contains": "red"}},
        {"$or": [{"brand": "b1"}, {"logo": {"$exists": True}}]},
        {"$not": {"brand": {"$in": ["b1", "b2"]}}},
        # selective non-range part (under 1/8 of the rows): ranges evaluated only at those rows
        {"brand": "b3", "views": {"$gte": 300, "$lt": 900}},
        {"brand": "b3", "promo": True, "ratio": {"$gt": 0.2}, "missing_key": {"$lt": 5}},
        {"$and": [{"brand": {"$in": ["b3"]}}, {"views": {"$gt": 100}}], "ratio": {"$lte": 0.5}},
        {"$or": [{"brand": "b4"}, {"brand": "b5"}], "tags": {"$contains": "red"}, "views": {"$lt": 1000}},
    ]
    with EmbeddedStore(tmp_path / "s.sqlite", exact_scan_threshold=10**9) as s:
        s.create_collection("ads", {"text": 16})
        s.upsert("ads", recs)
        for _ in range(2):  # the second round answers from cached masks
            for where in wheres:
                q = unit(rng, 1, 16)[0]
                node = parse(where)
                ok = np.array([matches(node, r.metadata) for r in recs])
                ref = np.flatnonzero(ok)[np.argsort(-(mat[ok] @ q), kind="stable")][:10]
                hits = s.search("ads", q, field="text", k=10, where=where)
                assert [h.id for h in hits] == [recs[i].id for i in ref]
                assert s.count("ads", where=where) == int(ok.sum())


def test_get_from_memory_equals_sqlite(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    path = tmp_path / "s.sqlite"
    recs = make_records(rng, 50, DIMS)
    with EmbeddedStore(path) as s:
        s.create_collection("ads", DIMS)
        s.upsert("ads", recs)
    ids = ["r7", "missing", "r3", "r7"]
    with EmbeddedStore(path) as s:
        cold = s.get("ads", ids)  # collection not loaded: read from SQLite
        assert "ads" not in s._states
        s.count("ads")
        warm = s.get("ads", ids)  # loaded: served from memory
        assert [r.id for r in cold] == [r.id for r in warm] == ["r7", "r3"]
        for a, b in zip(cold, warm, strict=True):
            assert a.metadata == b.metadata and a.text == b.text
            for f in DIMS:
                assert np.array_equal(a.vectors[f], b.vectors[f])
        hit = s.search("ads", recs[5].vectors["text"], field="text", k=1)[0]
        assert hit.id == "r5" and hit.metadata == recs[5].metadata and hit.text == recs[5].text
        warm[0].metadata["brand"] = "changed"  # callers own their copies
        assert s.get("ads", ["r7"])[0].metadata["brand"] == recs[7].metadata["brand"]


def test_exact_topk_matches_numpy() -> None:
    rng = np.random.default_rng(4)
    mat = unit(rng, 3000, 32)
    q = unit(rng, 1, 32)[0]
    for pos in (None, np.sort(rng.choice(3000, 700, replace=False)), np.array([5, 9], np.int64)):
        scores, got = exact_topk(mat, q, 10, pos)
        cand = np.arange(3000) if pos is None else pos
        ref = cand[np.argsort(-(mat[cand] @ q), kind="stable")][:10]
        assert got.tolist() == ref.tolist()
        assert np.allclose(scores, mat[ref] @ q, atol=1e-5)
    s, p = exact_topk(mat, q, 10, np.empty(0, np.int64))
    assert s.shape == p.shape == (0,)


def test_replacing_and_deleting_records_without_text_keeps_the_store_sound(tmp_path: Path) -> None:
    """Regression: records with empty text are not in the FTS index; deleting them must not tell FTS5
    to delete rows it never held (that corrupted the database: "disk image is malformed")."""
    rng = np.random.default_rng(5)
    vec = unit(rng, 3, 8)
    with EmbeddedStore(tmp_path / "s.sqlite") as s:
        s.create_collection("ads", {"text": 8})
        s.upsert(
            "ads", [Record("a", {"text": vec[0]}, {}, ""), Record("b", {"text": vec[1]}, {}, "red shoes")]
        )
        s.upsert("ads", [Record("a", {"text": vec[2]}, {"v": 2}, "")])  # replace: deletes the old row
        assert s.delete("ads", ["a"]) == 1
        s.upsert("ads", [Record("b", {"text": vec[1]}, {}, "blue hat")])
        assert [h.id for h in s.keyword_search("ads", "blue", k=5)] == ["b"]
        assert s.keyword_search("ads", "red", k=5) == []
        assert s.count("ads") == 1


def test_selection_derives_count_positions_and_bits_once_per_version() -> None:
    from adlens.store.maskcache import MaskCache, Selection

    rng = np.random.default_rng(5)
    mask = rng.random(1003) < 0.3
    cache = MaskCache()
    sel = Selection(cache, 1, ("where", None, "x"), mask.shape[0], mask=mask)
    assert sel.count == int(mask.sum())
    pos = sel.positions()
    assert np.array_equal(pos, np.flatnonzero(mask)) and pos.dtype == np.int64
    assert sel.positions() is pos  # derived once, then served from the cache
    bits = sel.bits(1000)
    assert np.array_equal(np.unpackbits(bits, bitorder="little")[:1000], mask[:1000])
    assert not pos.flags.writeable and not bits.flags.writeable
    again = Selection(cache, 2, ("where", None, "x"), mask.shape[0], mask=mask)  # a write bumped the version
    assert again.positions() is not pos and np.array_equal(again.positions(), pos)


def test_filtered_ann_search_with_cached_bitmaps_matches_reference(tmp_path: Path) -> None:
    rng = np.random.default_rng(6)
    recs = make_records(rng, 1500, {"text": 16})
    mat = np.stack([r.vectors["text"] for r in recs])
    wheres = [
        {"brand": {"$in": ["b1", "b2"]}, "views": {"$gte": 300}},
        {"brand": "b3", "views": {"$gte": 300, "$lt": 900}},  # narrowed: positions come with the mask
        {"promo": True},
    ]
    with EmbeddedStore(tmp_path / "s.sqlite", exact_scan_threshold=1) as s:  # always the ANN plan
        s.create_collection("ads", {"text": 16})
        s.upsert("ads", recs)
        for _ in range(2):  # the second round reuses each filter's count, positions and bitmap
            for where in wheres:
                q = unit(rng, 1, 16)[0]
                ok = np.array([matches(parse(where), r.metadata) for r in recs])
                ref = np.flatnonzero(ok)[np.argsort(-(mat[ok] @ q), kind="stable")][:10]
                hits = s.search("ads", q, field="text", k=10, where=where)
                assert s.last_plan is not None and s.last_plan.kind in ("ann", "ann+exact")
                assert s.last_plan.matches == int(ok.sum()) == s.count("ads", where=where)
                assert [h.id for h in hits] == [recs[i].id for i in ref]


def test_exact_scan_threshold_grows_with_the_collection_unless_configured(tmp_path: Path) -> None:
    with EmbeddedStore(tmp_path / "a.sqlite") as s:
        assert s.scan_threshold(1_000) == 20_000
        assert 23_000 <= s.scan_threshold(100_000) <= 23_500
        assert s.scan_threshold(1_000_000) == 50_000
    with EmbeddedStore(tmp_path / "b.sqlite", exact_scan_threshold=300) as s:
        assert s.scan_threshold(1_000_000) == 300
