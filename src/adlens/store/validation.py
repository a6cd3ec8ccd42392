"""Input checks shared by every backend: names, ids, vectors and metadata."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

import numpy as np

from adlens.errors import InvalidInput
from adlens.store.base import Metadata, Record

_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,62}$")
_META_KEY_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]{0,63}$")
MAX_ID_LEN = 512
MAX_NAMESPACE_LEN = 256
MAX_TEXT_LEN = 60_000


def check_name(kind: str, name: str) -> str:
    """Collection and field names: a letter then letters, digits or ``_`` (max 63)."""
    if not isinstance(name, str) or not _NAME_RE.match(name):
        raise InvalidInput(f"invalid {kind} name {name!r}: use a letter then letters, digits or _")
    return name


def check_fields(vector_fields: dict[str, int]) -> dict[str, int]:
    if not isinstance(vector_fields, dict) or not vector_fields:
        raise InvalidInput("a collection needs at least one vector field, e.g. {'text': 384}")
    out: dict[str, int] = {}
    for f, d in vector_fields.items():
        check_name("vector field", f)
        if isinstance(d, bool) or not isinstance(d, int) or not 1 <= d <= 32_768:
            raise InvalidInput(f"vector field {f!r}: dimension must be an integer in 1..32768")
        out[f] = d
    return out


def check_namespace(namespace: str) -> str:
    if not isinstance(namespace, str) or not namespace or len(namespace) > MAX_NAMESPACE_LEN:
        raise InvalidInput(f"namespace must be a non-empty string of at most {MAX_NAMESPACE_LEN}")
    return namespace


def check_ids(ids: Sequence[str]) -> list[str]:
    if isinstance(ids, str):
        raise InvalidInput("ids must be a list of strings, not one string")
    out = list(ids)
    for i in out:
        if not isinstance(i, str) or not i or len(i) > MAX_ID_LEN:
            raise InvalidInput(f"invalid id {i!r}: a non-empty string of at most {MAX_ID_LEN}")
    return out


def check_k(k: int) -> int:
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= 10_000:
        raise InvalidInput("k must be an integer in 1..10000")
    return k


def normalise(vec: object, dim: int, what: str) -> np.ndarray:
    """A finite, non-zero vector of length ``dim`` as float32 with unit L2 norm."""
    try:
        v = np.asarray(vec, dtype=np.float32)
    except (TypeError, ValueError):
        raise InvalidInput(f"{what}: not a numeric vector") from None
    if v.ndim != 1 or v.shape[0] != dim:
        raise InvalidInput(f"{what}: expected dimension {dim}, got shape {tuple(v.shape)}")
    if not np.isfinite(v).all():
        raise InvalidInput(f"{what}: contains NaN or infinity")
    n = float(np.linalg.norm(v))
    if n == 0.0 or not math.isfinite(n):
        raise InvalidInput(f"{what}: zero vector cannot be normalised")
    return v / np.float32(n)


def check_metadata(meta: Metadata, what: str) -> Metadata:
    if not isinstance(meta, dict):
        raise InvalidInput(f"{what}: metadata must be an object")
    for k, v in meta.items():
        if not isinstance(k, str) or not _META_KEY_RE.match(k):
            raise InvalidInput(f"{what}: invalid metadata key {k!r}")
        if v is None or isinstance(v, bool | str):
            continue
        if isinstance(v, int | float):
            if isinstance(v, float) and not math.isfinite(v):
                raise InvalidInput(f"{what}: metadata {k!r} is not finite")
            if isinstance(v, int) and abs(v) > 2**53:
                raise InvalidInput(f"{what}: metadata {k!r} exceeds 2**53")
            continue
        if isinstance(v, list) and all(isinstance(x, str) for x in v):
            continue
        raise InvalidInput(f"{what}: metadata {k!r} must be str, int, float, bool, list[str] or null")
    return meta


def check_records(
    records: Sequence[Record], fields: dict[str, int]
) -> tuple[list[Record], dict[str, np.ndarray]]:
    """Validate a batch; returns the records (last one wins per id) and normalised matrices."""
    if isinstance(records, Record):
        raise InvalidInput("upsert takes a list of records")
    latest: dict[str, Record] = {}
    for r in records:
        if not isinstance(r, Record):
            raise InvalidInput(f"expected Record, got {type(r).__name__}")
        check_ids([r.id])
        what = f"record {r.id!r}"
        check_metadata(r.metadata, what)
        if not isinstance(r.text, str) or len(r.text) > MAX_TEXT_LEN:
            raise InvalidInput(f"{what}: text must be a string of at most {MAX_TEXT_LEN}")
        if not isinstance(r.vectors, dict):
            raise InvalidInput(f"{what}: vectors must be a dict field -> vector")
        extra = set(r.vectors) - set(fields)
        missing = set(fields) - set(r.vectors)
        if extra or missing:
            raise InvalidInput(
                f"{what}: needs exactly the vector fields {sorted(fields)}"
                + (f"; unknown {sorted(extra)}" if extra else "")
                + (f"; missing {sorted(missing)}" if missing else "")
            )
        latest.pop(r.id, None)
        latest[r.id] = r
    recs = list(latest.values())
    mats: dict[str, np.ndarray] = {}
    for f, d in fields.items():
        try:
            m = np.asarray([r.vectors[f] for r in recs], dtype=np.float32)
        except (TypeError, ValueError):
            m = None
        if m is not None and m.shape != (len(recs), d):
            m = None
        if m is None or not np.isfinite(m).all():
            m = np.empty((len(recs), d), dtype=np.float32)
            for i, r in enumerate(recs):  # slow path, only to name the offending record
                m[i] = normalise(r.vectors[f], d, f"record {r.id!r} field {f!r}")
        else:
            norms = np.linalg.norm(m, axis=1)
            if (norms == 0).any():
                bad = recs[int(np.argmax(norms == 0))].id
                raise InvalidInput(f"record {bad!r} field {f!r}: zero vector cannot be normalised")
            m /= norms[:, None]
        mats[f] = np.ascontiguousarray(m, dtype=np.float32)
    return recs, mats


__all__ = [
    "check_fields",
    "check_ids",
    "check_k",
    "check_metadata",
    "check_name",
    "check_namespace",
    "check_records",
    "normalise",
]
