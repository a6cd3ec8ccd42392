"""The linear head for eval/contextual.py: features (MiniLM, + E5 view), out-of-fold scores, blending.

The head's input is the MiniLM document vector, optionally concatenated with the E5 view of the
full text (``features = "minilm+e5"``). For comparisons only (never chosen, never shipped), the view
``minilm+mpnet`` concatenates the all-mpnet-base-v2 vector of the full text
(:class:`adlens.embed.mpnet.MpnetEmbedder`, ``./scripts/install.sh --mpnet``). Its training data are the
example sentences and labelled
corpora; a corpus the head is trained on is only ever *scored* out of fold (5 folds by a hash of
the group: the advertiser for ad copies, the item otherwise).
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from typing import Any

import numpy as np
from contextual_data import Corpus

from adlens.contextual.head import fit_head
from adlens.contextual.nodes import node_exemplars
from adlens.contextual.scoring import ContextScorer, RawScores

__all__ = [
    "FEATURES",
    "FOLDS",
    "HEAD_C",
    "HEAD_WEIGHTS",
    "MPNET_FEATURES",
    "blend",
    "corpus_features",
    "exemplar_features",
    "fold_of",
    "labels_of",
    "oof_log_proba",
    "use_mpnet_view",
]

HEAD_WEIGHTS = (0.0, 0.05, 0.1, 0.2, 0.3)
HEAD_C = 4.0
FOLDS = 5
FEATURES = ("minilm", "minilm+e5")
MPNET_FEATURES = "minilm+mpnet"  # opt-in (``--views``): compared on dev, never chosen or shipped
_MPNET: dict[str, Any] = {}


def use_mpnet_view(embedder: Any) -> None:
    """Register the (cached) mpnet embedder that the ``minilm+mpnet`` features read."""
    _MPNET["view"] = embedder


def _mpnet_view() -> Any:
    if "view" not in _MPNET:
        raise SystemExit("the minilm+mpnet features need use_mpnet_view(embedder) first")
    return _MPNET["view"]


def exemplar_features(scorer: ContextScorer, features: str) -> tuple[np.ndarray, list[str]]:
    """Training vectors and tier-1 ids of the example sentences."""
    ids = scorer._root_ids
    col_of = {int(r): j for j, r in enumerate(scorer.index.roots)}
    y = [ids[col_of[int(o)]] for o in scorer.index.exemplar_owner]
    x = scorer.index.exemplar_vectors
    if features == "minilm+e5":
        texts = [t for n in scorer.taxonomy for t in node_exemplars(scorer.taxonomy, n)]
        assert len(texts) == len(x) and scorer.view is not None
        x = np.hstack([x, np.asarray(scorer.view.embed(texts), dtype=np.float32)])
    elif features == MPNET_FEATURES:
        texts = [t for n in scorer.taxonomy for t in node_exemplars(scorer.taxonomy, n)]
        assert len(texts) == len(x)
        x = np.hstack([x, np.asarray(_mpnet_view().embed(texts), dtype=np.float32)])
    return np.asarray(x, dtype=np.float32), y


def corpus_features(raw: RawScores, features: str) -> np.ndarray:
    assert raw.doc_vectors is not None
    if features == "minilm+e5":
        assert raw.view_vectors is not None, "scorer.view must be set to score the E5 view"
        return np.hstack([raw.doc_vectors, raw.view_vectors])
    if features == MPNET_FEATURES:  # the same text the E5 view reads: the full text of the document
        texts = [pr.full or pr.title or " " for pr in raw.prepared]
        return np.hstack([raw.doc_vectors, np.asarray(_mpnet_view().embed(texts), dtype=np.float32)])
    return raw.doc_vectors


def labels_of(scorer: ContextScorer, corpus: Corpus) -> list[str]:
    return [scorer._root_ids[t[0]] for t in corpus.truth]


def fold_of(corpus: Corpus, i: int) -> int:
    key = corpus.groups[i] if corpus.groups else str(i)
    return (zlib.crc32(key.encode("utf-8")) >> 1) % FOLDS


def oof_log_proba(
    scorer: ContextScorer,
    corpus: Corpus,
    x: np.ndarray,
    others: tuple[np.ndarray, Sequence[str]],
    *,
    key: str = "oof",
    features: str = "minilm",
) -> np.ndarray:
    """Head log-probabilities of ``corpus`` where each fold is scored by a head trained on
    ``others`` plus the other folds (never on the fold itself)."""
    folds = np.array([fold_of(corpus, i) for i in range(len(corpus.docs))])
    ys = labels_of(scorer, corpus)
    out = np.zeros((len(corpus.docs), len(scorer._root_ids)))
    for f in range(FOLDS):
        te, tr = np.flatnonzero(folds == f), np.flatnonzero(folds != f)
        if te.size:
            head = fit_head(
                np.vstack([others[0], x[tr]]),
                [*others[1], *(ys[i] for i in tr)],
                key=key,
                c=HEAD_C,
                features=features,
            )
            out[te] = head.log_proba(x[te], scorer._root_ids)
    return out


def blend(scorer: ContextScorer, proto: np.ndarray, log_p: np.ndarray | None, h: float) -> np.ndarray:
    """Tier-1 scores = prototype scores (head weight 0) + ``h`` × head log P, as ``tier1_scores`` does."""
    out = proto.copy() if log_p is None or h == 0 else proto + h * log_p
    for j, r in enumerate(scorer.index.roots):
        if scorer.index.ids[int(r)] in scorer.params.exclude_roots:
            out[:, j] = -1.0
    return out
