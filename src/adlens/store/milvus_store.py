"""The ``VectorStore`` protocol on Milvus (through ``pymilvus.MilvusClient``).

Mapping: Milvus 2.3 allows one vector field per collection, so an adlens collection ``c`` with
fields ``{"text": 384, "visual": 1280}`` is one Milvus collection per field, ``<prefix>c__text``
and ``<prefix>c__visual``, each with ``pk`` (``"<len(ns)>:<ns><id>"``, unique), ``ns`` (the
namespace, a scalar field ANDed into every filter; Milvus 2.3.5 miscounted with a partition key), ``rid`` (the id), ``meta`` (JSON, null values
dropped, used by filters compiled with :func:`adlens.store.filters.to_milvus`), ``meta_raw`` (the
metadata as given) and ``vec`` (HNSW, inner product on unit vectors). The field dims are kept in
the collection description. Consistency level is Strong, so reads see acknowledged writes.

Milvus 2.3 has no BM25: text lives in a local SQLite FTS5 side index
(:class:`adlens.store.keyword_index.KeywordIndex`) written after the Milvus write succeeds. A
failure in between leaves Milvus newer than the side index; ``upsert`` is idempotent, so the
caller retries. Across fields the write is not atomic either (one Milvus call per field).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from adlens.errors import Conflict, InvalidInput, NotFound, Unavailable
from adlens.store import filters, validation
from adlens.store.base import DEFAULT_NAMESPACE, CollectionInfo, FusionMethod, Hit, Record, Where
from adlens.store.fusion import check_method, fuse, fusion_depth
from adlens.store.keyword import fts_query
from adlens.store.keyword_index import KeywordIndex

_MAX_LIMIT = 16_384


def _pk(namespace: str, rid: str) -> str:
    return f"{len(namespace)}:{namespace}{rid}"


def _q(s: str) -> str:
    return json.dumps(s, ensure_ascii=False)


class MilvusStore:
    """Milvus-backed store; see the module docstring. Implements ``VectorStore``."""

    def __init__(
        self,
        uri: str = "http://127.0.0.1:19530",
        *,
        side_index: Path | str,
        token: str | None = None,
        prefix: str = "adlens_",
        hnsw_m: int = 16,
        ef_construction: int = 128,
        ef_search: int = 64,
        timeout: float = 30.0,
    ) -> None:
        from pymilvus import MilvusClient

        try:
            self._c = MilvusClient(uri=uri, token=token or "", timeout=timeout)
        except Exception as e:  # pymilvus raises its own hierarchy on connect
            raise Unavailable(f"cannot connect to Milvus at {uri}: {e}") from None
        self._prefix = prefix
        self._hnsw = {"M": hnsw_m, "efConstruction": ef_construction}
        self._ef = ef_search
        self._kw = KeywordIndex(side_index)
        self._fields: dict[str, dict[str, int]] = {}

    @classmethod
    def from_settings(cls, settings: Any) -> MilvusStore:
        tok = settings.milvus_token.get_secret_value() if settings.milvus_token else None
        return cls(
            settings.milvus_uri, token=tok, side_index=Path(settings.data_dir) / "milvus_keyword.sqlite"
        )

    def _mname(self, name: str, field: str) -> str:
        return f"{self._prefix}{name}__{field}"

    def _call(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        from pymilvus.exceptions import MilvusException

        try:
            return fn(*args, **kwargs)
        except MilvusException as e:
            raise Unavailable(f"Milvus error: {e.message}") from None

    # -- collections -------------------------------------------------------------------------
    def _describe_all(self) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        for m in self._call(self._c.list_collections):
            if not m.startswith(self._prefix):
                continue
            desc = self._call(self._c.describe_collection, m).get("description", "")
            try:
                info = json.loads(desc)
                out[info["adlens"]] = {k: int(v) for k, v in info["fields"].items()}
            except (ValueError, KeyError, TypeError):
                continue
        return out

    def _get_fields(self, name: str) -> dict[str, int]:
        if name not in self._fields:
            self._fields.update(self._describe_all())
        fields = self._fields.get(name)
        if fields is None:
            raise NotFound(f"collection {name!r} does not exist")
        return fields

    def create_collection(
        self, name: str, vector_fields: dict[str, int], *, exist_ok: bool = True
    ) -> CollectionInfo:
        from pymilvus import DataType, MilvusClient

        validation.check_name("collection", name)
        fields = validation.check_fields(vector_fields)
        existing = self._describe_all()
        if name in existing:
            if not exist_ok:
                raise Conflict(f"collection {name!r} already exists")
            if existing[name] != fields:
                raise Conflict(f"collection {name!r} exists with fields {existing[name]}")
            self._fields[name] = fields
            self._kw.ensure_collection(name)
            return CollectionInfo(name, dict(fields))
        desc = json.dumps({"adlens": name, "fields": fields})
        for f, d in fields.items():
            schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False, description=desc)
            schema.add_field("pk", DataType.VARCHAR, is_primary=True, max_length=1024)
            schema.add_field("ns", DataType.VARCHAR, max_length=512)
            schema.add_field("rid", DataType.VARCHAR, max_length=1024)
            schema.add_field("meta", DataType.JSON)
            schema.add_field("meta_raw", DataType.VARCHAR, max_length=65_535)
            schema.add_field("vec", DataType.FLOAT_VECTOR, dim=d)
            ip = self._c.prepare_index_params()
            ip.add_index(field_name="vec", index_type="HNSW", metric_type="IP", params=self._hnsw)
            self._call(
                self._c.create_collection,
                self._mname(name, f),
                schema=schema,
                index_params=ip,
                consistency_level="Strong",
            )
        self._kw.ensure_collection(name)
        self._fields[name] = fields
        return CollectionInfo(name, dict(fields))

    def drop_collection(self, name: str) -> None:
        fields = self._get_fields(name)
        for f in fields:
            self._call(self._c.drop_collection, self._mname(name, f))
        self._kw.drop(name)
        self._fields.pop(name, None)

    def list_collections(self) -> list[CollectionInfo]:
        self._fields = self._describe_all()
        return [CollectionInfo(n, dict(f)) for n, f in sorted(self._fields.items())]

    # -- writes ------------------------------------------------------------------------------
    def upsert(self, collection: str, records: Sequence[Record], namespace: str = DEFAULT_NAMESPACE) -> int:
        fields = self._get_fields(collection)
        validation.check_namespace(namespace)
        recs, mats = validation.check_records(records, fields)
        if not recs:
            return 0
        raws = [json.dumps(r.metadata, ensure_ascii=False) for r in recs]
        if any(len(x.encode()) > 65_535 for x in raws):
            raise InvalidInput("metadata of a record exceeds 64 KiB of JSON")
        for f in fields:
            rows = [
                {
                    "pk": _pk(namespace, r.id),
                    "ns": namespace,
                    "rid": r.id,
                    "meta": {k: v for k, v in r.metadata.items() if v is not None},
                    "meta_raw": raw,
                    "vec": mats[f][i].tolist(),
                }
                for i, (r, raw) in enumerate(zip(recs, raws, strict=True))
            ]
            for i in range(0, len(rows), 1000):  # stay well under the gRPC message limit
                self._call(self._c.upsert, self._mname(collection, f), rows[i : i + 1000])
        self._kw.upsert(collection, namespace, recs)
        return len(recs)

    def _existing(self, collection: str, fields: dict[str, int], pks: list[str]) -> list[str]:
        first = self._mname(collection, next(iter(fields)))
        found: list[str] = []
        for i in range(0, len(pks), 1000):
            chunk = pks[i : i + 1000]
            rows = self._call(
                self._c.query,
                first,
                filter=f"pk in [{', '.join(_q(p) for p in chunk)}]",
                output_fields=["pk"],
            )
            found += [r["pk"] for r in rows]
        return found

    def delete(self, collection: str, ids: Sequence[str], namespace: str = DEFAULT_NAMESPACE) -> int:
        fields = self._get_fields(collection)
        ids = list(dict.fromkeys(validation.check_ids(ids)))
        validation.check_namespace(namespace)
        found = self._existing(collection, fields, [_pk(namespace, i) for i in ids])
        if found:
            for f in fields:
                self._call(self._c.delete, self._mname(collection, f), ids=found)
        self._kw.delete(collection, namespace, ids)
        return len(found)

    def delete_namespace(self, collection: str, namespace: str) -> int:
        fields = self._get_fields(collection)
        validation.check_namespace(namespace)
        n = self.count(collection, namespace)
        for f in fields:
            self._call(self._c.delete, self._mname(collection, f), filter=f"ns == {_q(namespace)}")
        self._kw.delete(collection, namespace, None)
        return n

    # -- reads -------------------------------------------------------------------------------
    def list_namespaces(self, collection: str) -> list[str]:
        self._get_fields(collection)
        return self._kw.namespaces(collection)

    def get(self, collection: str, ids: Sequence[str], namespace: str = DEFAULT_NAMESPACE) -> list[Record]:
        fields = self._get_fields(collection)
        ids = validation.check_ids(ids)
        validation.check_namespace(namespace)
        pks = [_pk(namespace, i) for i in ids]
        by_pk: dict[str, dict[str, Any]] = {}
        for f in fields:
            for i in range(0, len(pks), 1000):
                for row in self._call(
                    self._c.get,
                    self._mname(collection, f),
                    ids=pks[i : i + 1000],
                    output_fields=["rid", "meta_raw", "vec"],
                ):
                    by_pk.setdefault(row["pk"], {"rid": row["rid"], "meta": row["meta_raw"], "vecs": {}})[
                        "vecs"
                    ][f] = np.asarray(row["vec"], dtype=np.float32)
        keys = [(namespace, by_pk[p]["rid"]) for p in dict.fromkeys(pks) if p in by_pk]
        texts = self._kw.texts(collection, keys)
        out = []
        for p in dict.fromkeys(pks):
            if p in by_pk and len(by_pk[p]["vecs"]) == len(fields):
                d = by_pk[p]
                out.append(
                    Record(d["rid"], d["vecs"], json.loads(d["meta"]), texts.get((namespace, d["rid"]), ""))
                )
        return out

    def _expr(self, namespace: str | None, node: filters.Node | None) -> str:
        parts = []
        if namespace is not None:
            validation.check_namespace(namespace)
            parts.append(f"(ns == {_q(namespace)})")
        if node is not None:
            parts.append(filters.to_milvus(node, "meta"))
        return " and ".join(parts)

    def count(self, collection: str, namespace: str | None = None, where: Where | None = None) -> int:
        fields = self._get_fields(collection)
        expr = self._expr(namespace, filters.parse(where)) or 'pk != ""'
        rows = self._call(
            self._c.query,
            self._mname(collection, next(iter(fields))),
            filter=expr,
            output_fields=["count(*)"],
        )
        return int(rows[0]["count(*)"]) if rows else 0

    def _to_hits(self, collection: str, rows: list[dict[str, Any]], key: str) -> list[Hit]:
        keys = [(r["entity"]["ns"], r["entity"]["rid"]) for r in rows]
        texts = self._kw.texts(collection, keys)
        return [
            Hit(
                rid,
                float(r["distance"]),
                json.loads(r["entity"]["meta_raw"]),
                texts.get((ns, rid), ""),
                {key: float(r["distance"])},
                ns,
            )
            for r, (ns, rid) in zip(rows, keys, strict=True)
        ]

    def _vector_hits(
        self, collection: str, q: np.ndarray, field: str, k: int, namespace: str | None, node: Any
    ) -> list[Hit]:
        name = self._mname(collection, field)
        expr = self._expr(namespace, node)
        limit = min(k, _MAX_LIMIT)
        params = {"metric_type": "IP", "params": {"ef": max(self._ef, limit)}}
        out = ["ns", "rid", "meta_raw"]
        res = self._call(
            self._c.search,
            name,
            data=[q.tolist()],
            filter=expr,
            limit=limit,
            output_fields=out,
            search_params=params,
        )
        rows = res[0] if res else []
        if len(rows) < limit:  # the invariant: k hits whenever >= k match; fall back to exact
            total = self.count(collection, namespace, None) if node is None else self._count_expr(name, expr)
            if len(rows) < min(limit, total) and total <= _MAX_LIMIT:
                cand = self._call(
                    self._c.query, name, filter=expr or 'pk != ""', output_fields=[*out, "vec"], limit=total
                )
                scores = np.asarray([r["vec"] for r in cand], dtype=np.float32) @ q if cand else np.empty(0)
                order = np.argsort(-scores, kind="stable")[:limit]
                rows = [{"distance": float(scores[i]), "entity": cand[i]} for i in order]
        return self._to_hits(collection, rows, "vector")

    def _count_expr(self, name: str, expr: str) -> int:
        rows = self._call(self._c.query, name, filter=expr or 'pk != ""', output_fields=["count(*)"])
        return int(rows[0]["count(*)"]) if rows else 0

    def _query_vector(self, fields: dict[str, int], field: str, vector: Any) -> np.ndarray:
        if field not in fields:
            raise InvalidInput(f"unknown vector field {field!r}; fields: {sorted(fields)}")
        return validation.normalise(vector, fields[field], "query vector")

    def search(
        self,
        collection: str,
        vector: np.ndarray | Sequence[float],
        *,
        field: str,
        k: int,
        where: Where | None = None,
        namespace: str | None = None,
    ) -> list[Hit]:
        fields = self._get_fields(collection)
        q = self._query_vector(fields, field, vector)
        validation.check_k(k)
        return self._vector_hits(collection, q, field, k, namespace, filters.parse(where))

    def keyword_search(
        self,
        collection: str,
        query: str,
        *,
        k: int,
        where: Where | None = None,
        namespace: str | None = None,
    ) -> list[Hit]:
        self._get_fields(collection)
        validation.check_k(k)
        if namespace is not None:
            validation.check_namespace(namespace)
        return self._kw.search(collection, fts_query(query), k, namespace, filters.parse(where))

    def hybrid_search(
        self,
        collection: str,
        vector: np.ndarray | Sequence[float],
        query: str,
        *,
        field: str,
        k: int,
        where: Where | None = None,
        namespace: str | None = None,
        method: FusionMethod = "rrf",
        alpha: float = 0.5,
    ) -> list[Hit]:
        fields = self._get_fields(collection)
        q = self._query_vector(fields, field, vector)
        validation.check_k(k)
        check_method(method, alpha)
        fq, node = fts_query(query), filters.parse(where)
        if namespace is not None:
            validation.check_namespace(namespace)
        depth = fusion_depth(k)
        vec = self._vector_hits(collection, q, field, depth, namespace, node)
        kw = self._kw.search(collection, fq, depth, namespace, node)

        def cosine_of(keys: list[tuple[str, str]]) -> dict[tuple[str, str], float]:
            pks = {_pk(ns, rid): (ns, rid) for ns, rid in keys}
            rows = self._call(
                self._c.get, self._mname(collection, field), ids=list(pks), output_fields=["vec"]
            )
            return {pks[r["pk"]]: float(np.asarray(r["vec"], dtype=np.float32) @ q) for r in rows}

        return fuse(vec, kw, k, method=method, alpha=alpha, cosine_of=cosine_of)

    def iter_records(
        self, collection: str, namespace: str | None = None, *, batch_size: int = 1000
    ) -> Iterator[tuple[str, Record]]:
        self._get_fields(collection)
        after = 0
        while page := self._kw.keys(collection, namespace, after, batch_size):
            after = page[-1][0]
            by_ns: dict[str, list[str]] = {}
            for _, ns, rid in page:
                by_ns.setdefault(ns, []).append(rid)
            for ns, ids in by_ns.items():
                for rec in self.get(collection, ids, ns):
                    yield ns, rec

    def close(self) -> None:
        self._c.close()
        self._kw.close()


__all__ = ["MilvusStore"]
