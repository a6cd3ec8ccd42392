"""The filter language: parsing errors, numpy masks against the reference, Milvus expressions."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from adlens.errors import InvalidInput
from adlens.store.columns import MetaColumns
from adlens.store.filters import And, Cmp, Not, Or, matches, parse, to_mask, to_milvus


@pytest.mark.parametrize(
    ("where", "message"),
    [
        ({"views": {"$gt": "10"}}, "views.$gt: $gt needs a number"),
        ({"views": {"$gt": True}}, "$gt needs a number, got bool"),
        ({"views": {"$foo": 1}}, "unknown operator '$foo'"),
        ({"$xor": [{}]}, "unknown top-level operator '$xor'"),
        ({"$and": []}, "$and: needs a non-empty list"),
        ({"$or": {"a": 1}}, "$or: needs a non-empty list"),
        ({"$and": [{"a": 1}, 3]}, "$and[1]: expected an object, got num"),
        ({"a": {"$in": "x"}}, "a.$in: $in needs a list"),
        ({"a": {"$in": ["x", 1]}}, "$in values must all be of one kind"),
        ({"a": {"$exists": 1}}, "$exists needs true or false"),
        ({"tags": {"$contains": 3}}, "$contains needs a string"),
        ({"a": {}}, "empty operator object"),
        ({"a": {"b": 1}}, "expected an operator like $eq"),
        ({"a": [1, 2]}, "expected a string, number or boolean, got list"),
        ({"a": float("nan")}, "numbers must be finite"),
        ({"bad key": 1}, "invalid metadata key"),
        ("{not json", "filter is not valid JSON"),
        ([1], "expected an object, got list"),
    ],
)
def test_malformed_filters_are_precise(where: Any, message: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        parse(where)
    assert message in exc.value.message


def test_parse_ast_shapes() -> None:
    assert parse(None) is None and parse({}) is None
    assert parse({"a": 1}) == Cmp("a", "eq", 1)
    assert parse('{"a": "x"}') == Cmp("a", "eq", "x")
    assert parse({"a": None}) == Not(Cmp("a", "exists", True))
    assert parse({"a": {"$ne": None}}) == Cmp("a", "exists", True)
    assert parse({"a": {"$gte": 1, "$lt": 5}}) == And((Cmp("a", "gte", 1), Cmp("a", "lt", 5)))
    assert parse({"a": {"$nin": ["x"]}}) == Not(Cmp("a", "in", ("x",)))
    assert parse({"$or": [{"a": 1}, {"$not": {"b": True}}]}) == Or(
        (Cmp("a", "eq", 1), Not(Cmp("b", "eq", True)))
    )
    node = parse({"a": {"$gte": 1}, "b": "x"})
    assert parse(node) is node and parse(And(())) is None  # a parsed filter passes through


def _random_metas(n: int, seed: int = 0) -> list[dict[str, Any]]:
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        m: dict[str, Any] = {}
        if rng.random() < 0.8:
            m["brand"] = f"b{rng.integers(0, 5)}"
        if rng.random() < 0.7:
            m["views"] = int(rng.integers(0, 100)) if rng.random() < 0.5 else float(rng.random() * 100)
        if rng.random() < 0.5:
            m["promo"] = bool(rng.random() < 0.5)
        if rng.random() < 0.5:
            m["tags"] = [f"t{x}" for x in rng.integers(0, 6, size=int(rng.integers(0, 3)))]
        if rng.random() < 0.2:
            m["brand"] = None
        if i % 17 == 0:
            m["mixed"] = "3" if i % 2 else 3
        out.append(m)
    return out


CASES: list[Any] = [
    {"brand": "b1"},
    {"brand": None},
    {"brand": {"$ne": "b1"}},
    {"brand": {"$in": ["b1", "b2", "zz"]}},
    {"brand": {"$nin": ["b1", "b2"]}},
    {"brand": {"$exists": False}},
    {"views": {"$gt": 50}},
    {"views": {"$gte": 10, "$lte": 20}},
    {"views": {"$lt": 5.5}},
    {"views": 7},
    {"views": {"$in": [1, 2, 3.0, 50]}},
    {"promo": True},
    {"promo": {"$ne": False}},
    {"tags": {"$contains": "t3"}},
    {"tags": {"$exists": True}},
    {"mixed": 3},
    {"mixed": "3"},
    {"$or": [{"brand": "b0"}, {"promo": True, "views": {"$lt": 30}}]},
    {"$not": {"$and": [{"brand": "b2"}, {"tags": {"$contains": "t1"}}]}},
    {"missing_key": {"$ne": 1}},
    {"missing_key": {"$gt": 1}},
]


@pytest.mark.parametrize("where", CASES)
def test_mask_equals_reference(where: Any) -> None:
    metas = _random_metas(400)
    cols = MetaColumns()
    cols.append(metas[:150])
    cols.append(metas[150:])  # growth across batches
    node = parse(where)
    want = np.array([matches(node, m) for m in metas])
    got = to_mask(node, cols)
    assert got.dtype == bool and got.shape == (400,)
    np.testing.assert_array_equal(got, want)


def test_milvus_expressions() -> None:
    assert to_milvus(parse({"brand": 'a"b'})) == '(meta["brand"] == "a\\"b")'
    assert to_milvus(parse({"v": {"$gte": 1, "$lt": 2.5}})) == '((meta["v"] >= 1) and (meta["v"] < 2.5))'
    assert to_milvus(parse({"p": True})) == '(meta["p"] == true)'
    assert to_milvus(parse({"b": {"$in": ["x", "y"]}})) == '(meta["b"] in ["x", "y"])'
    assert to_milvus(parse({"b": {"$nin": []}})) == "(not (false))"
    assert to_milvus(parse({"b": None})) == '(not (exists meta["b"]))'
    assert to_milvus(parse({"t": {"$contains": "s"}})) == 'json_contains(meta["t"], "s")'
    assert (
        to_milvus(parse({"$or": [{"a": 1}, {"$not": {"c": "z"}}]}), "m")
        == '((m["a"] == 1) or (not (m["c"] == "z")))'
    )
    assert to_milvus(None) == ""
