"""One contract suite for every VectorStore backend (embedded and Milvus)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from store_testdata import make_records, unit

from adlens.errors import Conflict, InvalidInput, NotFound
from adlens.store import RRF_K, Record, VectorStore
from adlens.store.filters import matches, parse

DIMS = {"text": 16, "visual": 8}


def reference(recs: list[Record], q: np.ndarray, field: str, k: int, where: Any) -> list[str]:
    node = parse(where)
    ok = [r for r in recs if matches(node, r.metadata)]
    if not ok:
        return []
    m = np.stack([np.asarray(r.vectors[field], np.float32) for r in ok])
    m /= np.linalg.norm(m, axis=1, keepdims=True)
    s = m @ (q / np.linalg.norm(q))
    return [ok[i].id for i in np.argsort(-s, kind="stable")[:k]]


@pytest.fixture(scope="module")
def loaded(shared_store: VectorStore) -> tuple[VectorStore, list[Record]]:
    """Read-only: 600 records loaded once per backend."""
    recs = make_records(np.random.default_rng(1), 600, DIMS)
    if shared_store.create_collection("ads", DIMS) and shared_store.count("ads") == 0:
        shared_store.upsert("ads", recs)
    return shared_store, recs


def test_collections_lifecycle(store: VectorStore) -> None:
    info = store.create_collection("ads", DIMS)
    assert info.vector_fields == DIMS
    assert store.create_collection("ads", DIMS).name == "ads"
    with pytest.raises(Conflict):
        store.create_collection("ads", {"text": 4})
    with pytest.raises(Conflict):
        store.create_collection("ads", DIMS, exist_ok=False)
    with pytest.raises(InvalidInput):
        store.create_collection("bad name!", DIMS)
    assert [c.name for c in store.list_collections()] == ["ads"]
    store.drop_collection("ads")
    assert store.list_collections() == []
    with pytest.raises(NotFound):
        store.count("ads")
    with pytest.raises(NotFound):
        store.search("nope", np.ones(16), field="text", k=1)


def test_upsert_roundtrip_and_idempotence(store: VectorStore) -> None:
    store.create_collection("ads", DIMS)
    recs = make_records(np.random.default_rng(2), 30, DIMS)
    assert store.upsert("ads", recs) == 30
    assert store.upsert("ads", recs) == 30
    assert store.count("ads") == 30
    changed = Record("r3", recs[3].vectors, {"brand": "new", "n": None}, "fresh text")
    store.upsert("ads", [changed])
    assert store.count("ads") == 30
    got = store.get("ads", ["r3", "missing", "r4"])
    assert [r.id for r in got] == ["r3", "r4"]
    assert got[0].metadata == {"brand": "new", "n": None} and got[0].text == "fresh text"
    assert got[1].metadata == recs[4].metadata and got[1].text == recs[4].text
    v = np.asarray(recs[4].vectors["visual"], np.float32)
    np.testing.assert_allclose(got[1].vectors["visual"], v / np.linalg.norm(v), atol=1e-6)
    hit = store.search("ads", recs[3].vectors["text"], field="text", k=1)[0]
    assert hit.id == "r3" and hit.metadata["brand"] == "new" and math.isclose(hit.score, 1.0, abs_tol=1e-5)


FILTERS: list[Any] = [
    None,
    {"promo": True},  # 50 %
    {"brand": "b3"},  # 10 %
    {"views": {"$lt": 6}},  # 1 %
    {"$or": [{"brand": {"$in": ["b1", "b2"]}}, {"logo": {"$exists": True}}]},
    {"tags": {"$contains": "coffee"}, "ratio": {"$gte": 0.5}},
    {"$not": {"brand": "b0"}, "views": {"$gt": 100, "$lte": 400}},
    {"brand": {"$nin": ["b1", "b2", "b3"]}, "promo": False},
    {"logo": None},
]


@pytest.mark.parametrize("where", FILTERS)
def test_filtered_knn_matches_bruteforce(loaded: tuple[VectorStore, list[Record]], where: Any) -> None:
    store, recs = loaded
    rng = np.random.default_rng(7)
    n_match = sum(matches(parse(where), r.metadata) for r in recs)
    assert store.count("ads", where=where) == n_match
    for field in ("text", "visual"):
        for q in unit(rng, 4, DIMS[field]):
            k = 10
            hits = store.search("ads", q, field=field, k=k, where=where)
            ref = reference(recs, q, field, k, where)
            assert len(hits) == min(k, n_match)  # exactly k whenever >= k match
            got = [h.id for h in hits]
            assert len(set(got)) == len(got)
            assert all(matches(parse(where), h.metadata) for h in hits)
            recall = len(set(got) & set(ref)) / max(len(ref), 1)
            assert recall >= (1.0 if n_match <= 100 else 0.9)
            assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_k_larger_than_matches(loaded: tuple[VectorStore, list[Record]]) -> None:
    store, _recs = loaded
    q = unit(np.random.default_rng(3), 1, 16)[0]
    hits = store.search("ads", q, field="text", k=50, where={"views": {"$lt": 6}})
    assert sorted(h.id for h in hits) == sorted(f"r{i}" for i in range(6))


def test_keyword_search(loaded: tuple[VectorStore, list[Record]]) -> None:
    store, recs = loaded
    hits = store.keyword_search("ads", "Coffee!", k=20)
    assert len(hits) == 20
    assert all("coffee" in h.text for h in hits)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert all(h.score > 0 for h in hits)
    filt = store.keyword_search("ads", "coffee", k=500, where={"brand": "b7"})
    want = {r.id for r in recs if "coffee" in r.text and r.metadata["brand"] == "b7"}
    assert {h.id for h in filt} == want
    assert store.keyword_search("ads", "zzzunknownword", k=5) == []
    with pytest.raises(InvalidInput):
        store.keyword_search("ads", "  !! ", k=5)


@pytest.mark.parametrize("method", ["rrf", "weighted"])
def test_hybrid_search(loaded: tuple[VectorStore, list[Record]], method: str) -> None:
    store, recs = loaded
    target = recs[15]  # text "coffee red ad number 15"
    hits = store.hybrid_search(
        "ads", target.vectors["text"], "coffee red", field="text", k=10, method=method, alpha=0.5
    )
    assert len(hits) == 10 and hits[0].id == "r15"
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    for h in hits:
        c = h.components
        if method == "rrf":
            want = sum(1 / (RRF_K + c[f"{p}_rank"]) for p in ("vector", "keyword") if f"{p}_rank" in c)
        else:
            want = 0.5 * (c["vector"] + 1) / 2 + 0.5 * c["keyword_norm"]
            assert math.isclose(c["vector_norm"], (c["vector"] + 1) / 2, abs_tol=1e-6)
        assert math.isclose(h.score, want, rel_tol=1e-6)
    filt = store.hybrid_search(
        "ads", target.vectors["text"], "coffee", field="text", k=5, where={"promo": False}, method=method
    )
    assert filt and all(h.metadata["promo"] is False for h in filt)
    with pytest.raises(InvalidInput):
        store.hybrid_search("ads", target.vectors["text"], "x", field="text", k=5, method="max")  # type: ignore[arg-type]
    with pytest.raises(InvalidInput):
        store.hybrid_search("ads", target.vectors["text"], "x", field="text", k=5, alpha=1.5)


def test_namespaces_and_delete(store: VectorStore) -> None:
    store.create_collection("ads", DIMS)
    rng = np.random.default_rng(4)
    a = make_records(rng, 20, DIMS)
    b = make_records(rng, 20, DIMS)  # same ids, other vectors
    store.upsert("ads", a, namespace="crawl-a")
    store.upsert("ads", b, namespace="crawl-b")
    assert store.list_namespaces("ads") == ["crawl-a", "crawl-b"]
    assert store.count("ads") == 40 and store.count("ads", namespace="crawl-a") == 20
    q = a[5].vectors["text"]
    hit = store.search("ads", q, field="text", k=1, namespace="crawl-b")[0]
    assert hit.namespace == "crawl-b"
    assert store.search("ads", q, field="text", k=1, namespace="crawl-a")[0].id == "r5"
    assert store.delete("ads", ["r5", "r6", "ghost"], namespace="crawl-a") == 2
    assert store.count("ads", namespace="crawl-a") == 18 and store.count("ads", namespace="crawl-b") == 20
    assert store.get("ads", ["r5"], namespace="crawl-a") == []
    assert len(store.get("ads", ["r5"], namespace="crawl-b")) == 1
    assert all(h.id != "r5" for h in store.search("ads", q, field="text", k=18, namespace="crawl-a"))
    assert all(h.id != "r5" for h in store.keyword_search("ads", "number", k=50, namespace="crawl-a"))
    assert store.delete_namespace("ads", "crawl-b") == 20
    assert store.list_namespaces("ads") == ["crawl-a"]
    assert store.count("ads") == 18
    assert {h.namespace for h in store.search("ads", q, field="text", k=30)} == {"crawl-a"}
    assert {h.namespace for h in store.keyword_search("ads", "number", k=30)} == {"crawl-a"}


def test_bad_input_and_failed_write_loses_nothing(store: VectorStore) -> None:
    store.create_collection("ads", DIMS)
    rng = np.random.default_rng(5)
    good = make_records(rng, 10, DIMS)
    store.upsert("ads", good)
    q = np.ones(16)
    nan = np.ones(16)
    nan[3] = np.nan
    bad_batches = [
        [Record("x", {"text": np.ones(15), "visual": np.ones(8)})],
        [Record("x", {"text": nan, "visual": np.ones(8)})],
        [Record("x", {"text": np.full(16, np.inf), "visual": np.ones(8)})],
        [Record("x", {"text": np.ones(16)})],
        [Record("x", {"text": np.zeros(16), "visual": np.ones(8)})],
        [Record("", {"text": np.ones(16), "visual": np.ones(8)})],
        [Record("x", {"text": np.ones(16), "visual": np.ones(8)}, {"bad key!": 1})],
        [Record("x", {"text": np.ones(16), "visual": np.ones(8)}, {"d": {"nested": 1}})],
    ]
    for batch in bad_batches:
        # a valid record that would replace an existing one comes first: all-or-nothing
        with pytest.raises(InvalidInput):
            store.upsert("ads", [Record("r1", good[2].vectors, {"brand": "zz"}), *batch])
    assert store.count("ads") == 10
    assert store.get("ads", ["r1"])[0].metadata == good[1].metadata
    for kwargs in (
        {"field": "text", "k": 0},
        {"field": "nope", "k": 3},
        {"field": "text", "k": 3, "where": {"views": {"$gt": "ten"}}},
        {"field": "text", "k": 3, "where": {"$xor": []}},
        {"field": "text", "k": 3, "namespace": ""},
    ):
        with pytest.raises(InvalidInput):
            store.search("ads", q, **kwargs)
    with pytest.raises(InvalidInput):
        store.search("ads", nan, field="text", k=3)
    with pytest.raises(InvalidInput):
        store.search("ads", np.ones(8), field="text", k=3)
    with pytest.raises(InvalidInput):
        store.get("ads", "r1")  # type: ignore[arg-type]
    with pytest.raises(NotFound):
        store.upsert("missing", good)


def test_iter_records(store: VectorStore) -> None:
    store.create_collection("ads", DIMS)
    rng = np.random.default_rng(6)
    store.upsert("ads", make_records(rng, 25, DIMS), namespace="a")
    store.upsert("ads", make_records(rng, 5, DIMS, start=100), namespace="b")
    all_ = list(store.iter_records("ads", batch_size=7))
    assert len(all_) == 30 and {ns for ns, _ in all_} == {"a", "b"}
    only_b = list(store.iter_records("ads", namespace="b"))
    assert sorted(r.id for _, r in only_b) == [f"r{i}" for i in range(100, 105)]
    assert all(set(r.vectors) == set(DIMS) for _, r in only_b)
