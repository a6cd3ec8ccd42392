"""Zero-shot contextual scoring: a document → ranked taxonomy categories with calibrated confidence.

Method (measured in ``eval/contextual.py``, described in ``docs/contextual-scoring.md``):

1. Segments: the title (+ description), the whole text start, and text chunks of ~120 words
   (at most ``max_chunks``); images contribute their text-space vectors and an embedded text of
   alt + concepts + OCR.
2. Every segment is embedded with the runtime's text embedder; cosine similarity to every node text.
3. A node's score is a weighted mix of its similarity to the title, the whole text and the mean of
   the best chunks, plus a small bonus when one of its keywords occurs literally in the text.
4. Tier-1 score = ``alpha * own + (1 - alpha) * best descendant``, mixed with example-sentence
   prototypes, plus ``head_weight * log P`` of a linear head over the document vector
   (``head.py``); calibrated softmax over tier-1 (temperature fitted on a labelled corpus that is
   not the evaluated one).
5. Deeper nodes: ``P(child) = P(parent) * P(child | parent)``, a softmax over the siblings plus a
   "stay at the parent" option scored with the parent's own score.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from adlens.contextual.calibration import (
    DEFAULT_TEMPERATURE,
    TemperatureCalibrator,
    load_calibration,
)
from adlens.contextual.category_tree import children_of, ranked_categories, sensitive_categories
from adlens.contextual.head import LinearHead, load_head
from adlens.contextual.keywords import PhraseMatcher
from adlens.contextual.nodes import NodeIndex, embedder_id, node_index
from adlens.contextual.schema import (
    CategoryScore,
    Classification,
    Document,
    ImageEvidence,
    SafetyFlag,
    ScoringParams,
)
from adlens.contextual.segments import Prepared, RawScores, chunk_text
from adlens.contextual.taxonomy import DEFAULT_VERSION, Taxonomy, load_taxonomy

__all__ = [
    "CategoryScore",
    "Classification",
    "ContextScorer",
    "Document",
    "ImageEvidence",
    "RawScores",
    "SafetyFlag",
    "ScoringParams",
    "chunk_text",
]

LOW_CONFIDENCE = 0.35
MIN_WORDS = 20


class ContextScorer:
    """Ranks the nodes of one taxonomy for documents; thread-safe after construction."""

    def __init__(
        self,
        taxonomy: Taxonomy,
        embedder: Any,
        *,
        cache_dir: Path | None = None,
        calibrator: TemperatureCalibrator | None = None,
        params: ScoringParams | None = None,
        safety: Any = None,
        head: LinearHead | None = None,
        view: Any = None,
    ) -> None:
        self.taxonomy = taxonomy
        self.embedder = embedder
        self.index: NodeIndex = node_index(taxonomy, embedder, cache_dir)
        self.calibration_key = f"{taxonomy.version}|{embedder_id(embedder)}"
        self.calibrator = (
            calibrator
            or load_calibration(self.calibration_key)
            or TemperatureCalibrator(DEFAULT_TEMPERATURE, "default (not fitted)")
        )
        if params is None:  # the knobs the shipped temperature was fitted with, when known
            fields = ScoringParams.__dataclass_fields__
            known = {k: v for k, v in self.calibrator.params.items() if k in fields}
            if "exclude_roots" in known:
                known["exclude_roots"] = tuple(known["exclude_roots"])
            params = ScoringParams(**known)
        self.params = params
        self._roots = self.index.roots
        root_pos = {int(r): j for j, r in enumerate(self._roots)}
        owners = np.array([root_pos.get(int(o), -1) for o in self.index.exemplar_owner], dtype=np.int64)
        self._exemplar_cols = [np.flatnonzero(owners == j) for j in range(len(self._roots))]
        self._matcher = PhraseMatcher(self.index.keywords)
        self._children = children_of(self.index)
        self._safety = safety
        self.head = head if head is not None else load_head(self.calibration_key)
        # a second text view (E5) for the head's features, when the head was trained with it
        self.view = view
        self._root_ids = [self.index.ids[int(r)] for r in self._roots]

    # --- construction ----------------------------------------------------------------------
    @classmethod
    def from_runtime(cls, runtime: Any, taxonomy: str = DEFAULT_VERSION) -> ContextScorer:
        """One scorer per (runtime, taxonomy version); node vectors cached under ``cache_dir``.

        Rebuilt when the taxonomy's nodes changed (``adlens taxonomy install google-product`` again, in
        this or another process)."""
        tax = load_taxonomy(taxonomy)
        with _LOCK:
            per_runtime = _SCORERS.setdefault(runtime, {})
            scorer = per_runtime.get(tax.version)
            if scorer is not None and scorer.taxonomy is not tax and scorer.taxonomy.nodes != tax.nodes:
                scorer = None  # a user-installed taxonomy (re-read on every load) was re-installed
            if scorer is None:
                from adlens.contextual.brand_safety import BrandSafety

                cache_dir = Path(runtime.settings.cache_dir)
                embedder = runtime.text_embedder
                safety = BrandSafety(embedder, cache_dir=cache_dir)
                scorer = cls(tax, embedder, cache_dir=cache_dir, safety=safety)
                if scorer.head is not None and scorer.head.features == "minilm+e5":
                    from adlens.embed.e5 import E5Embedder

                    scorer.view = E5Embedder(threads=getattr(runtime.settings, "threads", None))
                per_runtime[tax.version] = scorer
        return scorer

    # --- scoring ---------------------------------------------------------------------------
    def _prepare(self, doc: Document) -> Prepared:
        p = self.params
        title = ". ".join(t for t in (doc.title.strip(), doc.description.strip()) if t)
        body = doc.text.strip()
        heads = " ".join(h.strip() for h in doc.headings[:6] if h.strip())
        full = " ".join(t for t in (title, heads, body) if t)
        chunks = chunk_text(body, p.chunk_words, p.max_chunks) if body else []
        img_texts, img_vecs, img_urls = [], [], []
        for im in doc.images:
            txt = " ".join(t for t in (im.alt, " ".join(im.concepts), im.ocr_text) if t).strip()
            if txt or im.text_vector is not None:
                img_texts.append(txt)
                img_vecs.append(im.text_vector if im.text_vector is not None else np.zeros(0))
                img_urls.append(im.url)
        lowered = " ".join([full, " ".join(doc.meta_keywords)]).lower()
        prepared = Prepared(title, full, chunks, img_texts, img_vecs, img_urls, lowered, len(full.split()))
        prepared.matches = self._matcher.match(lowered)
        return prepared

    def node_scores(self, docs: Sequence[Document]) -> RawScores:
        """Per-node scores ``(n_docs, n_nodes)``, per-root exemplar scores, prepared docs, image sims."""
        p = self.params
        prepared = [self._prepare(d) for d in docs]
        texts: list[str] = []
        spans: list[tuple[int, int, int, int]] = []
        for pr in prepared:
            start = len(texts)
            texts.append(pr.title or pr.full[:300])
            texts.append(pr.full or pr.title)
            texts.extend(pr.chunks)
            mid = len(texts)
            texts.extend(t or "image" for t in pr.image_texts)
            spans.append((start, start + 2, mid, len(texts)))
        vecs = np.asarray(self.embedder.embed(texts), dtype=np.float32) if texts else np.zeros((0, 1))
        n_nodes = len(self.index.ids)
        targets = np.vstack([self.index.vectors, self.index.exemplar_vectors])
        both = vecs @ targets.T if len(texts) else np.zeros((0, len(targets)))
        sims, ex_sims = both[:, :n_nodes], both[:, n_nodes:]
        out = np.zeros((len(docs), n_nodes), dtype=np.float64)
        ex_out = np.zeros((len(docs), len(self._roots)), dtype=np.float64)
        image_sims: list[np.ndarray] = []
        doc_vecs = np.zeros((len(docs), vecs.shape[1] if len(texts) else 1), dtype=np.float32)
        for d, (pr, (s, c0, c1, i1)) in enumerate(zip(prepared, spans, strict=True)):
            doc_vecs[d] = self._doc_vector(vecs, s, c0, c1, bool(pr.title))
            title_s, full_s = sims[s], sims[s + 1]
            if c1 > c0:
                top = min(p.top_chunks, c1 - c0)
                chunk_s = np.sort(sims[c0:c1], axis=0)[-top:].mean(axis=0)
            else:
                chunk_s = full_s
            w = np.array([p.title_weight if pr.title else 0.0, p.full_weight, p.chunk_weight])
            score = (w[0] * title_s + w[1] * full_s + w[2] * chunk_s) / w.sum()
            if ex_sims.shape[1]:
                ex_chunk = ex_sims[c0:c1].max(axis=0) if c1 > c0 else ex_sims[s + 1]
                ex = (w[0] * ex_sims[s] + w[1] * ex_sims[s + 1] + w[2] * ex_chunk) / w.sum()
                ex_out[d] = self._exemplar_roots(ex)
            isims = np.zeros((0, len(self.index.ids)))
            if i1 > c1:
                rows = []
                for k, vec in enumerate(prepared[d].image_vectors):
                    row = sims[c1 + k]
                    if vec.size == self.index.vectors.shape[1]:
                        row = 0.5 * row + 0.5 * (self.index.vectors @ vec.astype(np.float32))
                    rows.append(row)
                isims = np.vstack(rows)
                score = (1 - p.image_weight) * score + p.image_weight * isims.max(axis=0)
            out[d] = score + p.lexical_bonus * self._lexical(pr.matches)
            image_sims.append(isims)
        text_vectors = [vecs[s + 1 : c1] for (s, _c0, c1, _i1) in spans] if texts else []
        raw = RawScores(out, ex_out, prepared, image_sims, text_vectors, doc_vecs)
        if self._uses_view():
            raw.view_vectors = np.asarray(
                self.view.embed([pr.full or pr.title or " " for pr in prepared]), dtype=np.float32
            )
        return raw

    def _uses_view(self) -> bool:
        """True when a second text view (E5) is attached: only when the shipped head reads it."""
        return self.view is not None

    def head_features(self, raw: RawScores) -> np.ndarray | None:
        """The head's input for ``raw``: MiniLM document vectors, plus the E5 view when the head uses it."""
        if raw.doc_vectors is None or not len(raw.doc_vectors):
            return None
        if self.head is not None and self.head.features == "minilm+e5":
            if raw.view_vectors is None:
                return None
            return np.hstack([raw.doc_vectors, raw.view_vectors])
        return raw.doc_vectors

    def _doc_vector(self, vecs: np.ndarray, s: int, c0: int, c1: int, has_title: bool) -> np.ndarray:
        """The document's feature vector for the linear head: weighted mean of its segment vectors."""
        p = self.params
        chunk = vecs[c0:c1].mean(axis=0) if c1 > c0 else vecs[s + 1]
        v = (
            (p.title_weight if has_title else 0.0) * vecs[s]
            + p.full_weight * vecs[s + 1]
            + p.chunk_weight * chunk
        )
        return np.asarray(v / max(float(np.linalg.norm(v)), 1e-9), dtype=np.float32)

    def _exemplar_roots(self, ex: np.ndarray) -> np.ndarray:
        """Per tier-1: mean of the ``exemplar_top`` best exemplar similarities (0 without exemplars)."""
        k = self.params.exemplar_top
        out = np.zeros(len(self._roots))
        for j, cols in enumerate(self._exemplar_cols):
            if cols.size:
                out[j] = np.sort(ex[cols])[-k:].mean()
        return out

    def _lexical(self, matches: dict[int, list[str]]) -> np.ndarray:
        hits = np.zeros(len(self.index.ids))
        for i, kws in matches.items():
            hits[i] = len(kws)
        return np.minimum(hits, 3.0) / 3.0

    def tier1_scores(self, raw: RawScores) -> np.ndarray:
        """Aggregate node and exemplar scores into tier-1 scores ``(n, roots)``."""
        node = raw.node
        a = self.params.alpha
        g = self.params.exemplar_weight
        roots = self._roots
        out = np.empty((node.shape[0], len(roots)))
        h = self.params.head_weight
        feats = self.head_features(raw) if h > 0 and self.head is not None else None
        head_lp = (
            self.head.log_proba(feats, self._root_ids)
            if feats is not None and self.head is not None
            else None
        )
        for j, r in enumerate(roots):
            members = np.flatnonzero(self.index.root_of == r)
            desc = members[members != r]
            best = node[:, desc].max(axis=1) if desc.size else node[:, r]
            out[:, j] = a * node[:, r] + (1 - a) * np.maximum(best, node[:, r])
            if self._exemplar_cols[j].size:
                out[:, j] = (1 - g) * out[:, j] + g * raw.exemplar[:, j]
            if head_lp is not None:
                out[:, j] += h * head_lp[:, j]
            if self.index.ids[r] in self.params.exclude_roots:
                out[:, j] = -1.0  # never ranked (probability ~0 after the softmax)
        return out

    def classify(self, doc: Document, top_k: int = 10) -> Classification:
        return self.classify_many([doc], top_k)[0]

    def classify_many(self, docs: Sequence[Document], top_k: int = 10) -> list[Classification]:
        if not docs:
            return []
        from adlens.contextual.keywords import extract_keywords

        raw = self.node_scores(docs)
        node, prepared, image_sims = raw.node, raw.prepared, raw.image_sims
        t1 = self.tier1_scores(raw)
        probs = self.calibrator.transform(t1)
        safety = (
            self._safety.assess_many(
                docs, prepared_texts=[p.full for p in prepared], text_vectors=raw.text_vectors
            )
            if self._safety
            else None
        )
        results = []
        for d, doc in enumerate(docs):
            cats = ranked_categories(
                self.taxonomy,
                self.index,
                self._children,
                self._roots,
                node[d],
                t1[d],
                probs[d],
                prepared[d],
                image_sims[d],
                top_k,
                self.params.child_temperature,
            )
            notes: list[str] = []
            low = not cats or cats[0].confidence < LOW_CONFIDENCE
            if prepared[d].words < MIN_WORDS:
                low = True
                notes.append(f"little text ({prepared[d].words} words): low confidence")
            if doc.language and not doc.language.lower().startswith("en"):
                low = True
                notes.append(f"language {doc.language!r}: the text model is English-only, low confidence")
            if doc.truncated:
                notes.append("text was truncated before scoring")
            if not self.calibrator.fitted_on or self.calibrator.fitted_on.startswith("default"):
                notes.append("confidence is not calibrated for this taxonomy")
            bs = safety[d] if safety else {"risk_level": "none", "flags": []}
            cats.extend(sensitive_categories(self.taxonomy, bs, {c.id for c in cats}))
            results.append(
                Classification(
                    self.taxonomy.version,
                    cats,
                    extract_keywords(
                        "\n".join([doc.title, doc.description, *doc.headings, doc.text]), top_n=10
                    ),
                    bs,
                    low,
                    notes,
                )
            )
        return results


_LOCK = threading.Lock()
_SCORERS: weakref.WeakKeyDictionary[Any, dict[str, ContextScorer]] = weakref.WeakKeyDictionary()
