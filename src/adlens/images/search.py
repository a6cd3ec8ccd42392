"""Image search over a crawl: natural-language queries and image-to-image.

:meth:`ImageSearch.search` — parse (rules or LLM) → store ``where`` for formats/sizes/people/text →
candidates from the ``text`` vector field and from BM25 (alt/context/OCR text) → exact cosines from the
stored vectors → per-image keyword matches and exact-phrase boosts → fusion and the relevance floor
(:mod:`adlens.images.ranking`) → post-filters (page/site, orientation, other negated concepts) →
near-duplicate removal (:mod:`adlens.images.dedupe`) → format preference as a tie-breaker → top k, each
with ``why`` (matched terms and fields, score parts, filters satisfied, duplicates folded in).

:meth:`ImageSearch.similar` — by result id or by an uploaded image: cosine on the ``visual`` field
(records without real visual features are skipped), floor :data:`VISUAL_FLOOR`, deduplicated.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from adlens.embed.protocol import TextEncoder
from adlens.errors import InvalidInput, NotFound
from adlens.images.dedupe import DupItem, dedupe, duplicate_reason, largest_first
from adlens.images.query import ParsedQuery, parse_query
from adlens.images.ranking import (
    W_KEYWORD,
    Z_FLOOR,
    Candidate,
    FusionMethod,
    QueryCalibrator,
    content_terms,
    field_texts,
    fuse_scores,
    is_relevant,
    is_strong_keyword_match,
    matched_terms,
    order,
    phrase_match,
    post_filter,
    stem,
    tokens,
)
from adlens.images.schema import COLLECTION
from adlens.images.vectors import VISUAL_PLACEHOLDER
from adlens.store import Record
from adlens.store.base import Hit, VectorStore

#: Image-to-image floor: visual cosine above what 95 % of distinct Flickr8k train pairs reach.
VISUAL_FLOOR = 0.46
MAX_K = 100


@dataclass
class SearchResponse:
    parsed: ParsedQuery
    results: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"parsed": self.parsed.to_dict() | {"chips": self.parsed.chips()}, "results": self.results}


def _thumb_url(meta: Mapping[str, Any]) -> str | None:
    if meta.get("thumb_url"):
        return str(meta["thumb_url"])
    if meta.get("content_hash"):
        return f"/api/v1/images/thumbs/{meta['content_hash']}"
    return None


def result_dict(
    rec_id: str, namespace: str, meta: Mapping[str, Any], score: float, why: dict[str, Any]
) -> dict[str, Any]:
    """The public shape of one result."""
    return {
        "id": rec_id,
        "crawl_id": namespace,
        "image_url": meta.get("image_url"),
        "page_url": meta.get("page_url"),
        "page_title": meta.get("page_title"),
        "thumb_url": _thumb_url(meta),
        "alt": meta.get("alt") or "",
        "score": round(float(score), 4),
        "why": why,
        "format": meta.get("format"),
        "width": meta.get("width"),
        "height": meta.get("height"),
    }


def _area(meta: Mapping[str, Any]) -> float:
    w, h = meta.get("width"), meta.get("height")
    if isinstance(w, int | float) and isinstance(h, int | float):
        return float(w) * float(h)
    return 0.0


def _has_visual(rec: Record) -> bool:
    v = rec.vectors.get("visual")
    if v is None or rec.metadata.get("has_visual") is False:
        return False
    return float(np.asarray(v, np.float32) @ VISUAL_PLACEHOLDER) < 0.9999


class ImageSearch:
    """Search one crawl (namespace) or all crawls of the ``images`` collection."""

    def __init__(
        self,
        store: VectorStore,
        text_embedder: TextEncoder,
        image_embedder: Any = None,
        *,
        llm: Any = None,
        collection: str = COLLECTION,
        method: FusionMethod = "weighted",
        w_keyword: float = W_KEYWORD,
        floor: float = Z_FLOOR,
        visual_floor: float = VISUAL_FLOOR,
        depth: int = 100,
        calibrator: QueryCalibrator | None = None,
        models_dir: Any = None,
    ) -> None:
        self.store = store
        self.text = text_embedder
        self.image_embedder = image_embedder
        self.llm = llm
        self.collection = collection
        self.method: FusionMethod = method
        self.w_keyword = w_keyword
        self._calibrator = calibrator
        self.models_dir = models_dir
        self.floor = floor
        self.visual_floor = visual_floor
        self.depth = depth

    @classmethod
    def from_runtime(cls, runtime: Any, **kwargs: Any) -> ImageSearch:
        """Built on the runtime's store and embedders; the image embedder and LLM are used lazily."""
        return _LazyRuntimeSearch(runtime, **kwargs)

    def _image_embedder(self) -> Any:
        return self.image_embedder

    @property
    def calibrator(self) -> QueryCalibrator:
        """The relevance-floor calibrator over the ImageNet class prompts (built once, cached on disk)."""
        if self._calibrator is None:
            embedder = self._image_embedder()
            if embedder is not None:
                index = embedder.concept_index
            else:
                from adlens.embed import ConceptIndex

                index = ConceptIndex(self.text, self.models_dir)  # type: ignore[arg-type]
            self._calibrator = QueryCalibrator(index.matrix)
        return self._calibrator

    def _llm(self) -> Any:
        return self.llm

    # -- parsing ---------------------------------------------------------------------------------
    def parse(self, query: str | ParsedQuery, parser: str = "rules") -> ParsedQuery:
        if isinstance(query, ParsedQuery):
            return query
        if parser == "rules":
            return parse_query(query)
        if parser == "llm":
            from adlens.images.query_llm import parse_query_llm

            return parse_query_llm(query, self._llm())
        raise InvalidInput(f"unknown parser {parser!r}: use 'rules' or 'llm'")

    # -- store helpers ---------------------------------------------------------------------------
    def _records(self, hits: Sequence[Hit]) -> dict[tuple[str, str], Record]:
        by_ns: dict[str, list[str]] = {}
        for h in hits:
            by_ns.setdefault(h.namespace, [])
            if h.id not in by_ns[h.namespace]:
                by_ns[h.namespace].append(h.id)
        out: dict[tuple[str, str], Record] = {}
        for ns, ids in by_ns.items():
            for rec in self.store.get(self.collection, ids, namespace=ns):
                out[(ns, rec.id)] = rec
        return out

    # -- text → image ----------------------------------------------------------------------------
    def search(
        self, query: str | ParsedQuery, *, crawl_id: str | None = None, k: int = 10, parser: str = "rules"
    ) -> SearchResponse:
        """Natural-language search; see the module docstring."""
        if not isinstance(k, int) or not 1 <= k <= MAX_K:
            raise InvalidInput(f"k must be between 1 and {MAX_K}")
        q = self.parse(query, parser)
        if q.count is not None:
            k = max(1, min(q.count, MAX_K))
        where = q.where()
        semantic = q.semantic.strip()
        needs_post = bool(q.page_terms or q.sites or q.orientation or q.phrases or q.exclude_concepts)
        depth = max(self.depth, 5 * k) * (10 if needs_post else 1)
        qv = self.text.embed([semantic or q.raw])[0]
        hits = self.store.search(self.collection, qv, field="text", k=depth, where=where, namespace=crawl_id)
        terms = content_terms(semantic)
        bm25: dict[tuple[str, str], float] = {}
        if semantic and terms:
            words = list(dict.fromkeys([t for t in tokens(semantic) if stem(t) in terms] + terms))
            kw_hits = self.store.keyword_search(
                self.collection, " ".join(words), k=depth, where=where, namespace=crawl_id
            )
            bm25 = {(h.namespace, h.id): h.score for h in kw_hits}
            hits = hits + kw_hits
        records = self._records(hits)
        mu, sd = self.calibrator.stats(qv)
        cands: list[Candidate] = []
        meta_of: dict[str, tuple[str, Record]] = {}
        phrases = [*q.phrases, semantic] if semantic else list(q.phrases)
        for (ns, rid), rec in records.items():
            if not post_filter(rec.metadata, q):
                continue
            vec = rec.vectors
            texts = field_texts(rec.metadata)
            matches = matched_terms(terms, texts)
            key = f"{ns}/{rid}"
            cos = float(qv @ vec["text"])
            cands.append(
                Candidate(
                    id=key,
                    semantic=cos,
                    z=float((cos - mu) / sd),
                    content=float(qv @ vec["content"]) if "content" in vec else 0.0,
                    context=float(qv @ vec["context"]) if "context" in vec else 0.0,
                    bm25=max(0.0, bm25.get((ns, rid), 0.0)),
                    phrase=phrase_match(phrases, texts),
                    matches=matches,
                    strong_keyword=is_strong_keyword_match(terms, matches),
                )
            )
            meta_of[key] = (ns, rec)
        fuse_scores(cands, self.method, w_keyword=self.w_keyword)
        if terms:  # a semantic part of only generic words ("photos") lists what the filters allow
            cands = [c for c in cands if is_relevant(c.z, c.strong_keyword, self.floor)]
        ranked = order(
            cands, {c.id: str(meta_of[c.id][1].metadata.get("format")) for c in cands}, q.prefer_formats
        )
        items = [
            DupItem.from_meta(
                meta_of[c.id][1].metadata,
                meta_of[c.id][1].vectors["visual"] if _has_visual(meta_of[c.id][1]) else None,
            )
            for c in ranked
        ]
        kept, dropped = dedupe(items)
        areas = [_area(meta_of[c.id][1].metadata) for c in ranked]
        clusters = sorted(largest_first(kept, dropped, areas), key=lambda cl: -ranked[cl[0]].score)
        chips = q.chips()
        results = []
        for i, dups in clusters[:k]:
            c = ranked[i]
            ns, rec = meta_of[c.id]
            why = {
                "matched_terms": sorted(c.matches),
                "matched_fields": sorted({f for fs in c.matches.values() for f in fs}),
                "phrase": c.phrase,
                "scores": {
                    **{name: round(v, 4) for name, v in c.parts.items()},
                    "cosine_text": round(c.semantic, 4),
                    "z": round(c.z, 3),
                    "cosine_content": round(c.content, 4),
                    "cosine_context": round(c.context, 4),
                    "bm25": round(c.bm25, 4),
                    "final": round(c.score, 4),
                },
                "relevance": "filters only" if not terms else "semantic" if c.z >= self.floor else "keyword",
                "filters": chips,
                "preferred_format": bool(q.prefer_formats) and rec.metadata.get("format") in q.prefer_formats,
                "duplicates": [{"image_url": items[j].url, "reason": reason} for j, reason in dups],
            }
            results.append(result_dict(rec.id, ns, rec.metadata, c.score, why))
        return SearchResponse(parsed=q, results=results)

    # -- image → image ---------------------------------------------------------------------------
    def similar(
        self,
        *,
        crawl_id: str | None = None,
        id: str | None = None,
        image: bytes | None = None,
        k: int = 10,
    ) -> list[dict[str, Any]]:
        """Images that look like result ``id`` (in ``crawl_id``) or like the uploaded ``image`` bytes."""
        if not isinstance(k, int) or not 1 <= k <= MAX_K:
            raise InvalidInput(f"k must be between 1 and {MAX_K}")
        if (id is None) == (image is None):
            raise InvalidInput("give exactly one of an image id or an uploaded image")
        self_key: tuple[str, str] | None = None
        field_name = "visual"
        query_item: DupItem | None = None
        if id is not None:
            if not crawl_id:
                raise InvalidInput("similar by id needs the crawl id")
            recs = self.store.get(self.collection, [id], namespace=crawl_id)
            if not recs:
                raise NotFound(f"image {id!r} not found in crawl {crawl_id!r}")
            rec = recs[0]
            self_key = (crawl_id, rec.id)
            if _has_visual(rec):
                vector = np.asarray(rec.vectors["visual"], np.float32)
            else:  # an SVG indexed by its text: fall back to what is in it
                field_name, vector = "content", np.asarray(rec.vectors["content"], np.float32)
            query_item = DupItem.from_meta(rec.metadata, vector if field_name == "visual" else None)
        else:
            embedder = self._image_embedder()
            if embedder is None:
                raise InvalidInput("image upload search needs the image embedder")
            assert image is not None
            analysis = embedder.analyze(image, ocr=False)
            vector = np.asarray(analysis.visual, np.float32)
            query_item = DupItem(url="", phash=analysis.phash, visual=vector)
        where = {"has_visual": {"$ne": False}} if field_name == "visual" else None
        hits = self.store.search(
            self.collection, vector, field=field_name, k=k * 3 + 5, where=where, namespace=crawl_id
        )
        records = self._records(hits)
        ranked: list[tuple[float, str, Record]] = []
        for h in hits:
            found = records.get((h.namespace, h.id))
            if found is None or (h.namespace, h.id) == self_key or h.score < self.visual_floor:
                continue
            if field_name == "visual" and not _has_visual(found):
                continue
            ranked.append((h.score, h.namespace, found))
        items = [
            DupItem.from_meta(r.metadata, r.vectors["visual"] if _has_visual(r) else None)
            for _, _, r in ranked
        ]
        kept, dropped = dedupe(items)
        out = []
        for i in kept[:k]:
            score, ns, rec = ranked[i]
            why = {
                "scores": {f"cosine_{field_name}": round(score, 4), "final": round(score, 4)},
                "field": field_name,
                "near_duplicate_of_query": duplicate_reason(query_item, items[i]) if query_item else None,
                "duplicates": [{"image_url": items[j].url, "reason": r} for j, r in dropped.get(i, [])],
            }
            out.append(result_dict(rec.id, ns, rec.metadata, score, why))
        return out


class _LazyRuntimeSearch(ImageSearch):
    """:class:`ImageSearch` over a runtime; the image embedder and the LLM load only when needed."""

    def __init__(self, runtime: Any, **kwargs: Any) -> None:
        kwargs.setdefault("models_dir", runtime.settings.models_dir)
        super().__init__(runtime.store, runtime.text_embedder, **kwargs)
        self.runtime = runtime

    def _image_embedder(self) -> Any:
        return self.runtime.image_embedder

    def _llm(self) -> Any:
        return self.runtime.llm


__all__ = ["MAX_K", "VISUAL_FLOOR", "ImageSearch", "SearchResponse", "result_dict"]
