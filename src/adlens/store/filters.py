"""A small Mongo-like JSON filter language over record metadata.

Grammar (a filter is a JSON object; several keys in one object are AND-ed)::

    {"brand": "acme"}                       equality (string, number or bool)
    {"brand": null}                         key missing or null
    {"views": {"$gte": 10, "$lt": 99}}      $eq $ne $gt $gte $lt $lte (comparisons: numbers only)
    {"brand": {"$in": ["a", "b"]}}          $in / $nin: a list of scalars of one kind
    {"logo": {"$exists": true}}             key present with a non-null value
    {"tags": {"$contains": "shoes"}}        a list field holds the string
    {"$and": [f, ...]}  {"$or": [f, ...]}  {"$not": f}

Semantics shared by every backend: ``null`` values behave as missing keys; ``$ne``/``$nin``/``$not``
also match records where the key is missing (as in MongoDB); numbers compare numerically
(``1 == 1.0``), booleans only equal booleans. Keys are ``[A-Za-z_][A-Za-z0-9_.-]{0,63}``.

:func:`parse` validates into an AST (malformed -> ``InvalidInput`` naming the path of the problem),
:func:`to_mask` evaluates it over in-memory columns, :func:`matches` over one dict (the reference),
:func:`to_milvus` renders a Milvus expression.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from adlens.errors import InvalidInput

Scalar = str | int | float | bool

_KEY_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]{0,63}$")
_CMP_OPS = {"$gt": "gt", "$gte": "gte", "$lt": "lt", "$lte": "lte"}
_ALL_OPS = {"$eq", "$ne", "$in", "$nin", "$exists", "$contains", *_CMP_OPS}


@dataclass(frozen=True, slots=True)
class Cmp:
    """A leaf: ``key op value``; op in eq, ne, gt, gte, lt, lte, in, nin, exists, contains."""

    key: str
    op: str
    value: Any


@dataclass(frozen=True, slots=True)
class And:
    items: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Or:
    items: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Not:
    item: Node


Node = Cmp | And | Or | Not


def _kind(v: Any) -> str:
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int | float):
        return "num"
    if isinstance(v, str):
        return "str"
    return type(v).__name__


def _scalar(v: Any, path: str) -> Scalar:
    if isinstance(v, bool | str):
        return v
    if isinstance(v, int | float):
        if isinstance(v, float) and not math.isfinite(v):
            raise InvalidInput(f"filter {path}: numbers must be finite")
        return v
    raise InvalidInput(f"filter {path}: expected a string, number or boolean, got {_kind(v)}")


def _leaf(key: str, op: str, arg: Any, path: str) -> Node:
    if op == "$eq":
        if arg is None:
            return Not(Cmp(key, "exists", True))
        return Cmp(key, "eq", _scalar(arg, path))
    if op == "$ne":
        if arg is None:
            return Cmp(key, "exists", True)
        return Not(Cmp(key, "eq", _scalar(arg, path)))
    if op in _CMP_OPS:
        if isinstance(arg, bool) or not isinstance(arg, int | float):
            raise InvalidInput(f"filter {path}: {op} needs a number, got {_kind(arg)}")
        _scalar(arg, path)
        return Cmp(key, _CMP_OPS[op], arg)
    if op in ("$in", "$nin"):
        if not isinstance(arg, list | tuple):
            raise InvalidInput(f"filter {path}: {op} needs a list, got {_kind(arg)}")
        vals = tuple(_scalar(v, f"{path}[{i}]") for i, v in enumerate(arg))
        if len({_kind(v) for v in vals}) > 1:
            raise InvalidInput(f"filter {path}: {op} values must all be of one kind")
        node: Node = Cmp(key, "in", vals)
        return node if op == "$in" else Not(node)
    if op == "$exists":
        if not isinstance(arg, bool):
            raise InvalidInput(f"filter {path}: $exists needs true or false")
        return Cmp(key, "exists", True) if arg else Not(Cmp(key, "exists", True))
    if op == "$contains":
        if not isinstance(arg, str):
            raise InvalidInput(f"filter {path}: $contains needs a string, got {_kind(arg)}")
        return Cmp(key, "contains", arg)
    raise InvalidInput(f"filter {path}: unknown operator {op!r} (known: {', '.join(sorted(_ALL_OPS))})")


def _field(key: str, cond: Any, path: str) -> Node:
    if not _KEY_RE.match(key):
        raise InvalidInput(f"filter {path}: invalid metadata key {key!r}")
    if isinstance(cond, Mapping):
        if not cond:
            raise InvalidInput(f"filter {path}: empty operator object")
        parts = []
        for op, arg in cond.items():
            if not isinstance(op, str) or not op.startswith("$"):
                raise InvalidInput(f"filter {path}: expected an operator like $eq, got {op!r}")
            parts.append(_leaf(key, op, arg, f"{path}.{op}"))
        return parts[0] if len(parts) == 1 else And(tuple(parts))
    return _leaf(key, "$eq", cond, path)


def _node(obj: Any, path: str) -> Node:
    if not isinstance(obj, Mapping):
        raise InvalidInput(f"filter {path}: expected an object, got {_kind(obj)}")
    parts: list[Node] = []
    for key, val in obj.items():
        if not isinstance(key, str):
            raise InvalidInput(f"filter {path}: keys must be strings")
        sub = f"{path}.{key}" if path else key
        if key in ("$and", "$or"):
            if not isinstance(val, list | tuple) or not val:
                raise InvalidInput(f"filter {sub}: needs a non-empty list of filters")
            items = tuple(_node(v, f"{sub}[{i}]") for i, v in enumerate(val))
            parts.append(And(items) if key == "$and" else Or(items))
        elif key == "$not":
            parts.append(Not(_node(val, sub)))
        elif key.startswith("$"):
            raise InvalidInput(f"filter {sub}: unknown top-level operator {key!r}")
        else:
            parts.append(_field(key, val, sub))
    if not parts:
        return And(())
    return parts[0] if len(parts) == 1 else And(tuple(parts))


def _check(node: Any, path: str) -> None:
    """Raise ``InvalidInput`` unless ``node`` is an AST :func:`parse` could have produced."""
    where = path or "(root)"
    if isinstance(node, Not):
        _check(node.item, f"{path}.$not")
    elif isinstance(node, And | Or):
        if not isinstance(node.items, tuple):
            raise InvalidInput(f"filter {where}: items must be a tuple of filters")
        for i, item in enumerate(node.items):
            _check(item, f"{path}[{i}]")
    elif isinstance(node, Cmp):
        if not isinstance(node.key, str) or not _KEY_RE.match(node.key):
            raise InvalidInput(f"filter {where}: invalid metadata key {node.key!r}")
        op, value = node.op, node.value
        if op == "eq":
            _scalar(value, where)
        elif op in _CMP_OPS.values():
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise InvalidInput(f"filter {where}: {op} needs a number, got {_kind(value)}")
            _scalar(value, where)
        elif op == "in":
            if not isinstance(value, tuple) or len({_kind(_scalar(v, where)) for v in value}) > 1:
                raise InvalidInput(f"filter {where}: in needs a tuple of scalars of one kind")
        elif op == "exists":
            if value is not True:
                raise InvalidInput(f"filter {where}: exists takes True")
        elif op == "contains":
            if not isinstance(value, str):
                raise InvalidInput(f"filter {where}: contains needs a string, got {_kind(value)}")
        else:
            raise InvalidInput(f"filter {where}: unknown operator {op!r}")
    else:
        raise InvalidInput(f"filter {where}: expected a filter node, got {_kind(node)}")


def parse(where: Mapping[str, Any] | str | Node | None) -> Node | None:
    """Validate a filter (a mapping or its JSON text) into an AST; ``None``/``{}`` -> ``None``.

    An AST passes through after a structural check (operators, keys, value kinds), so a caller that
    runs one filter against several calls (search, count, the photos of the same creators) parses
    it once."""
    if where is None:
        return None
    if isinstance(where, Cmp | And | Or | Not):
        _check(where, "")
        return None if where == And(()) else where
    if isinstance(where, str):
        try:
            where = json.loads(where)
        except json.JSONDecodeError as e:
            raise InvalidInput(f"filter is not valid JSON: {e.msg} at position {e.pos}") from None
    node = _node(where, "")
    return None if node == And(()) else node


class Columns(Protocol):
    """Columnar metadata that :func:`to_mask` evaluates against (rows ``0..n-1``)."""

    @property
    def n(self) -> int: ...

    def eq(self, key: str, value: Scalar) -> np.ndarray: ...

    def compare(self, key: str, op: str, value: float) -> np.ndarray: ...

    def isin(self, key: str, values: tuple[Scalar, ...]) -> np.ndarray: ...

    def exists(self, key: str) -> np.ndarray: ...

    def contains(self, key: str, value: str) -> np.ndarray: ...


def to_mask(node: Node | None, cols: Columns) -> np.ndarray:
    """Evaluate the AST to a boolean mask of length ``cols.n``."""
    if node is None:
        return np.ones(cols.n, dtype=bool)
    if isinstance(node, Cmp):
        if node.op == "eq":
            return cols.eq(node.key, node.value)
        if node.op in ("gt", "gte", "lt", "lte"):
            return cols.compare(node.key, node.op, float(node.value))
        if node.op == "in":
            return cols.isin(node.key, node.value)
        if node.op == "exists":
            return cols.exists(node.key)
        return cols.contains(node.key, node.value)
    if isinstance(node, Not):
        return ~to_mask(node.item, cols)
    masks = [to_mask(n, cols) for n in node.items]
    if not masks:
        return np.ones(cols.n, dtype=bool)
    out = masks[0].copy()
    for m in masks[1:]:
        if isinstance(node, And):
            out &= m
        else:
            out |= m
    return out


def _num_eq(a: Any, b: Scalar) -> bool:
    if isinstance(b, bool) or isinstance(a, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(b, str) or isinstance(a, str):
        return isinstance(a, str) and isinstance(b, str) and a == b
    return isinstance(a, int | float) and float(a) == float(b)


def matches(node: Node | None, meta: Mapping[str, Any]) -> bool:
    """Evaluate the AST on one metadata dict (the reference semantics of :func:`to_mask`)."""
    if node is None:
        return True
    if isinstance(node, Not):
        return not matches(node.item, meta)
    if isinstance(node, And):
        return all(matches(n, meta) for n in node.items)
    if isinstance(node, Or):
        return any(matches(n, meta) for n in node.items)
    v = meta.get(node.key)
    if node.op == "exists":
        return v is not None
    if node.op == "eq":
        return _num_eq(v, node.value)
    if node.op == "in":
        return any(_num_eq(v, x) for x in node.value)
    if node.op == "contains":
        return isinstance(v, list) and node.value in v
    if isinstance(v, bool) or not isinstance(v, int | float):
        return False
    x = float(node.value)
    return {"gt": v > x, "gte": v >= x, "lt": v < x, "lte": v <= x}[node.op]


def _lit(v: Scalar) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    return repr(float(v)) if isinstance(v, float) else str(v)


_MILVUS_CMP = {"gt": ">", "gte": ">=", "lt": "<", "lte": "<="}


def to_milvus(node: Node | None, field: str = "meta") -> str:
    """Render the AST as a Milvus boolean expression over the JSON field ``field``."""
    if node is None:
        return ""
    if isinstance(node, Cmp):
        ref = f"{field}[{json.dumps(node.key)}]"
        if node.op == "eq":
            return f"({ref} == {_lit(node.value)})"
        if node.op in _MILVUS_CMP:
            return f"({ref} {_MILVUS_CMP[node.op]} {_lit(node.value)})"
        if node.op == "in":
            if not node.value:
                return "(false)"
            return f"({ref} in [{', '.join(_lit(v) for v in node.value)}])"
        if node.op == "exists":
            return f"(exists {ref})"
        return f"json_contains({ref}, {_lit(node.value)})"
    if isinstance(node, Not):
        return f"(not {to_milvus(node.item, field)})"
    if not node.items:
        return "(true)"
    joiner = " and " if isinstance(node, And) else " or "
    return "(" + joiner.join(to_milvus(n, field) for n in node.items) + ")"


__all__ = [
    "And",
    "Cmp",
    "Columns",
    "Node",
    "Not",
    "Or",
    "matches",
    "parse",
    "to_mask",
    "to_milvus",
]
