"""Token-budget batching gives the same vectors as any other batching, in the input order."""

from __future__ import annotations

import numpy as np
import pytest

from adlens.embed import TextEmbedder
from adlens.errors import InvalidInput

TEXTS = [
    "",
    "sale",
    "Pepsi launches a new zero-sugar cola in Europe this summer.",
    "word " * 300,  # longer than the 256-token truncation
    "The central bank raised interest rates by a quarter point on Tuesday.",
    "cat",
    "A long product description of running shoes with breathable mesh, foam sole and reflective details.",
] * 3


def test_budget_batches_match_one_at_a_time(
    text_embedder: TextEmbedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    single = np.stack([text_embedder.embed_one(t) for t in TEXTS])
    monkeypatch.setattr(text_embedder, "chunk", 5)  # cross chunk boundaries too
    monkeypatch.setattr(text_embedder, "token_budget", 64)
    budget = text_embedder.embed(TEXTS)
    fixed = text_embedder.embed(TEXTS, batch_size=4)
    assert budget.shape == (len(TEXTS), 384)
    assert float((budget * single).sum(axis=1).min()) > 0.9999
    assert float((fixed * single).sum(axis=1).min()) > 0.9999
    assert np.allclose(np.linalg.norm(budget, axis=1), 1.0, atol=1e-5)
    # rows stay in input order: identical inputs give identical rows
    assert float(budget[1] @ budget[8]) > 0.9999 and float(budget[1] @ budget[2]) < 0.9


def test_bad_batch_size(text_embedder: TextEmbedder) -> None:
    with pytest.raises(InvalidInput):
        text_embedder.embed(["x"], batch_size=0)
