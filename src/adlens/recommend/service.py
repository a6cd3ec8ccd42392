"""The recommend service: one function per operation, shared by the CLI, the API and the demo.

Models live in ``<data_dir>/recommend/models`` (versions, see :mod:`adlens.recommend.bundle`), the
item vectors of version ``N`` in the store collection ``recommend_v000N``, the last evaluation table
in ``<data_dir>/recommend/eval.json`` and catalogues the API may train on in
``<data_dir>/recommend/datasets/<name>``. Every answer says which model version and, for
recommendations, which strategy produced it (``user_tower``, ``context`` or ``popularity``).
"""

from __future__ import annotations

import json
import threading
import weakref
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from adlens.errors import Conflict, InvalidInput, NotFound
from adlens.file_lock import file_lock
from adlens.recommend.bundle import load_bundle, version_name
from adlens.recommend.catalogue import ItemInfo
from adlens.recommend.checkpoint import CheckpointStore
from adlens.recommend.serving import FIELD, Recommender, item_metadata
from adlens.store import Record
from adlens.store.filters import matches, parse

K_MAX = 500
MAX_CONTEXT = 100


def check_k(k: Any) -> int:
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= K_MAX:
        raise InvalidInput(f"k must be an integer in 1..{K_MAX}, got {k!r}")
    return k


def _check_id(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > 256:
        raise InvalidInput(f"{what} must be a non-empty string of at most 256 characters")
    return value


def _and(*filters: Mapping[str, Any] | None) -> dict[str, Any] | None:
    parts = [dict(f) for f in filters if f]
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else {"$and": parts}


class RecommendService:
    """Operations over the models of one data directory (see module docstring)."""

    def __init__(self, runtime: Any, *, root: str | Path | None = None) -> None:
        self.runtime = runtime
        base = Path(runtime.settings.data_dir) / "recommend"
        self.root = Path(root) if root is not None else base / "models"
        self.eval_path = base / "eval.json"
        self.datasets_dir = base / "datasets"
        self.cache_dir = Path(runtime.settings.cache_dir) / "recommend"
        self._lock = threading.Lock()
        self._loaded: dict[int, Recommender] = {}

    # -- models ------------------------------------------------------------------------------------
    def versions(self) -> list[int]:
        return CheckpointStore(self.root).versions()

    def recommender(self, version: int | None = None) -> Recommender:
        """The loaded model ``version`` (latest when None), indexed in the store."""
        versions = self.versions()
        if not versions:
            raise NotFound("no trained recommendation model yet: run `adlens recommend train` first")
        v = versions[-1] if version is None else version
        if v not in versions:
            raise NotFound(f"model version {v} not found (have {', '.join(map(str, versions))})")
        with self._lock:
            rec = self._loaded.get(v)
            if rec is None:
                bundle = load_bundle(self.root, v)
                if bundle.encoder.uses_text:  # a model from another embedder version is refused here
                    bundle.encoder.check_space(self.runtime.text_embedder.space.as_dict())
                rec = Recommender(bundle)
                if not rec.index_complete(self.store):
                    # Other processes (server workers, the training job) may index this version now:
                    # one at a time, and only if it is still incomplete once we hold the lock.
                    with file_lock(self.root / f".index-{version_name(v)}.lock"):
                        if not rec.index_complete(self.store):
                            rec.index_info = rec.index(self.store)
                self._loaded[v] = rec
        return rec

    @property
    def store(self) -> Any:
        return self.runtime.store

    def models(self) -> dict[str, Any]:
        out = []
        names = {c.name for c in self.store.list_collections()}
        for v in self.versions():
            try:
                doc = load_bundle(self.root, v).describe()
            except InvalidInput as exc:
                doc = {"version": v, "name": version_name(v), "error": exc.message}
            doc["indexed"] = f"recommend_{version_name(v)}" in names
            out.append(doc)
        return {"models": out, "latest": out[-1]["version"] if out else None}

    # -- vectors of items (catalogue items in memory, cold-start items from the store) ---------------
    def _item_vectors(self, rec: Recommender, ids: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(ids), rec.item_vectors.shape[1]), dtype=np.float32)
        missing = []
        for j, item_id in enumerate(ids):
            if rec.has_item(item_id):
                out[j] = rec.item_vectors[rec.item_index(item_id)]
            else:
                missing.append(j)
        if missing:
            got = {r.id: r for r in self.store.get(rec.collection, [ids[j] for j in missing])}
            for j in missing:
                if ids[j] not in got:
                    raise NotFound(f"unknown item {ids[j]!r}")
                out[j] = got[ids[j]].vectors[FIELD]
        return out

    def _titles(self, rec: Recommender, ids: Sequence[str]) -> dict[str, str]:
        out = {i: rec.bundle.items[rec.item_index(i)].title for i in ids if rec.has_item(i)}
        rest = [i for i in ids if i not in out]
        if rest:
            out.update(
                {r.id: str(r.metadata.get("title") or r.id) for r in self.store.get(rec.collection, rest)}
            )
        return out

    def _hits_to_items(
        self, rec: Recommender, hits: list[Any], basis_ids: list[str], basis_vecs: np.ndarray
    ) -> list[dict[str, Any]]:
        ids = [h.id for h in hits]
        vecs = self._item_vectors(rec, ids) if ids else np.zeros((0, rec.item_vectors.shape[1]), np.float32)
        why = rec.explain(vecs, np.arange(len(basis_ids)), basis_vecs)
        titles = self._titles(rec, basis_ids)
        items = []
        for h, reasons in zip(hits, why, strict=True):
            m = h.metadata
            items.append(
                {
                    "item_id": h.id,
                    "title": m.get("title"),
                    "genres": m.get("genres") or [],
                    "year": m.get("year"),
                    "score": round(float(h.score), 6),
                    "cold_start": bool(m.get("cold_start")),
                    "because": [
                        {
                            "item_id": basis_ids[j],
                            "title": titles.get(basis_ids[j]),
                            "similarity": round(s, 4),
                        }
                        for j, s in reasons
                    ],
                }
            )
        return items

    # -- operations --------------------------------------------------------------------------------
    def recommend_for(
        self,
        user_id: str | None,
        k: int = 10,
        *,
        exclude_seen: bool = True,
        filters: Mapping[str, Any] | None = None,
        context_items: Sequence[str] | None = None,
        version: int | None = None,
    ) -> dict[str, Any]:
        """Top-``k`` items for a user (see the module docstring of :mod:`adlens.recommend.serving`)."""
        check_k(k)
        parse(filters)  # malformed filters are InvalidInput before any work
        ctx_ids = [_check_id(i, "context item id") for i in (context_items or [])]
        if len(ctx_ids) > MAX_CONTEXT:
            raise InvalidInput(f"at most {MAX_CONTEXT} context items")
        ctx_ids = list(dict.fromkeys(ctx_ids))
        rec = self.recommender(version)
        u: int | None = None
        note = ""
        if user_id is not None:
            _check_id(user_id, "user_id")
            try:
                u = rec.user_index(user_id)
            except NotFound:
                if not ctx_ids:
                    raise NotFound(
                        f"unknown user {user_id!r}: give context_items to recommend for a new user"
                    ) from None
                note = "unknown user: recommended from the context items"
        ctx_vecs = self._item_vectors(rec, ctx_ids) if ctx_ids else np.zeros((0, 1), np.float32)
        hist = rec.history(u)[0] if u is not None else np.zeros(0, np.int64)
        hist_ids = [rec.bundle.item_map.raw[i] for i in dict.fromkeys(hist.tolist())]
        if len(hist_ids):
            strategy = "user_tower"
            extra = [rec.item_index(i) for i in ctx_ids if rec.has_item(i)]
            query = rec.user_vector(u, extra) if u is not None else None
            basis_ids = list(dict.fromkeys(hist_ids + ctx_ids))
        elif ctx_ids:
            strategy = "context"
            query = rec.context_vector(ctx_vecs)
            basis_ids = ctx_ids
            note = note or "no history: recommended from the context items"
        else:
            strategy, query, basis_ids = "popularity", None, []
            note = "no history and no context items: most popular items"
        seen = list(dict.fromkeys(hist_ids + ctx_ids))
        exclude = {"item_id": {"$nin": seen}} if exclude_seen and seen else None
        where = _and(filters, exclude)
        if query is None:
            hits = self._popular(rec, k, where)
        else:
            hits = self.store.search(rec.collection, query, field=FIELD, k=k, where=where)
        basis_vecs = self._item_vectors(rec, basis_ids) if basis_ids else np.zeros((0, 1), np.float32)
        items = self._hits_to_items(rec, hits, basis_ids, basis_vecs)
        if strategy == "popularity":
            for it in items:
                it["because"] = []
        return {
            "user_id": user_id,
            "model": version_name(rec.version),
            "strategy": strategy,
            "note": note,
            "k": k,
            "history_size": len(hist_ids),
            "context_items": ctx_ids,
            "exclude_seen": exclude_seen,
            "items": items,
        }

    def _popular(self, rec: Recommender, k: int, where: Mapping[str, Any] | None) -> list[Any]:
        from adlens.store import Hit

        node = parse(where)
        order = np.lexsort((np.arange(rec.bundle.n_items), -rec.popularity))
        hits = []
        for i in order:
            meta = item_metadata(rec.bundle.items[i], int(rec.popularity[i]))
            if matches(node, meta):
                hits.append(Hit(rec.bundle.items[i].id, float(rec.popularity[i]), meta, ""))
                if len(hits) == k:
                    break
        return hits

    def similar_items(
        self,
        item_id: str,
        k: int = 10,
        *,
        filters: Mapping[str, Any] | None = None,
        version: int | None = None,
    ) -> dict[str, Any]:
        """The ``k`` items nearest to ``item_id`` in the item-tower space (itself excluded)."""
        check_k(k)
        _check_id(item_id, "item_id")
        parse(filters)
        rec = self.recommender(version)
        vec = self._item_vectors(rec, [item_id])
        where = _and(filters, {"item_id": {"$ne": item_id}})
        hits = self.store.search(rec.collection, vec[0], field=FIELD, k=k, where=where)
        items = self._hits_to_items(rec, hits, [], np.zeros((0, vec.shape[1]), np.float32))
        for it in items:
            it.pop("because")
        return {
            "item_id": item_id,
            "title": self._titles(rec, [item_id]).get(item_id),
            "model": version_name(rec.version),
            "k": k,
            "items": items,
        }

    def add_item(
        self,
        item_id: str,
        title: str,
        *,
        description: str = "",
        genres: Sequence[str] = (),
        year: int | None = None,
        version: int | None = None,
    ) -> dict[str, Any]:
        """Place a new item (content only) with the item tower and upsert it into the index."""
        _check_id(item_id, "item_id")
        if not isinstance(title, str) or not title.strip():
            raise InvalidInput("title must be a non-empty string")
        rec = self.recommender(version)
        if rec.has_item(item_id):
            raise Conflict(f"item {item_id!r} is part of the training catalogue; choose a new id")
        enc = rec.bundle.encoder
        info = ItemInfo(item_id, title.strip(), description or "", tuple(genres), year)
        text = None
        if enc.uses_text:
            embedder = self.runtime.text_embedder
            enc.check_space(embedder.space.as_dict())
            text = embedder.embed([info.text])
        content = enc.encode(text, enc.genre_matrix([info.genres]))
        vec = rec.content_item_vector(content[0])
        self.store.upsert(
            rec.collection,
            [Record(item_id, {FIELD: vec}, item_metadata(info, 0, cold_start=True), info.text)],
        )
        return {"model": version_name(rec.version), "cold_start": True, **info.to_dict()}

    def user_history(self, user_id: str, *, limit: int = 50, version: int | None = None) -> dict[str, Any]:
        _check_id(user_id, "user_id")
        if not 1 <= limit <= 1000:
            raise InvalidInput("limit must be in 1..1000")
        rec = self.recommender(version)
        u = rec.user_index(user_id)
        items, times = rec.history(u)
        rows = [
            {**rec.bundle.items[i].to_dict(), "timestamp": int(t)}
            for i, t in zip(items[::-1][:limit], times[::-1][:limit], strict=True)
        ]
        feats = {k: int(v[u]) for k, v in rec.bundle.user_features.items()}
        return {
            "user_id": user_id,
            "model": version_name(rec.version),
            "n_interactions": len(items),
            "features": feats,
            "items": rows,
        }

    def list_users(self, *, limit: int = 50, offset: int = 0, version: int | None = None) -> dict[str, Any]:
        if not 1 <= limit <= 1000 or offset < 0:
            raise InvalidInput("limit must be in 1..1000 and offset >= 0")
        rec = self.recommender(version)
        counts = np.diff(rec._hist_ptr)
        raw = rec.bundle.user_map.raw
        users = [
            {"user_id": raw[u], "n_interactions": int(counts[u])}
            for u in range(offset, min(offset + limit, len(raw)))
        ]
        return {"model": version_name(rec.version), "total": len(raw), "users": users}

    # -- evaluation table ----------------------------------------------------------------------------
    def eval_table(self) -> dict[str, Any]:
        if not self.eval_path.is_file():
            raise NotFound("no evaluation stored yet: run `adlens recommend eval --data DIR`")
        try:
            doc: dict[str, Any] = json.loads(self.eval_path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise InvalidInput(f"stored evaluation is unreadable: {exc}") from None
        return doc

    def save_eval(self, doc: Mapping[str, Any]) -> Path:
        from adlens.recommend.catalogue import write_text_atomic

        self.eval_path.parent.mkdir(parents=True, exist_ok=True)
        write_text_atomic(self.eval_path, json.dumps(doc, indent=1, default=float))
        return self.eval_path


_SERVICES: weakref.WeakKeyDictionary[Any, RecommendService] = weakref.WeakKeyDictionary()
_SERVICES_LOCK = threading.Lock()


def service_for(runtime: Any) -> RecommendService:
    """The service of ``runtime`` (one per runtime, so loaded models are shared between requests)."""
    with _SERVICES_LOCK:
        svc = _SERVICES.get(runtime)
        if svc is None:
            svc = RecommendService(runtime)
            _SERVICES[runtime] = svc
        return svc


__all__ = ["K_MAX", "RecommendService", "check_k", "service_for"]
