from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from adlens.embed import TEXT_SPACE, TextEmbedder
from adlens.embed.artifacts import is_valid, sidecar_path
from adlens.embed.text import minilm_dir
from adlens.errors import InvalidInput

SENTENCES = [
    "A man is eating food.",
    "The new phone has a bigger battery and a brighter screen.",
    "Stocks fell sharply after the central bank raised interest rates.",
    "",
    "Summer sale: 50% off all running shoes this weekend only! " * 20,  # longer than 256 tokens
]


def test_shape_norm_and_space(text_embedder: TextEmbedder) -> None:
    vecs = text_embedder.embed(SENTENCES)
    assert vecs.shape == (len(SENTENCES), 384) and vecs.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)
    assert text_embedder.space == TEXT_SPACE
    np.testing.assert_allclose(text_embedder.embed_one(SENTENCES[1]), vecs[1], atol=1e-5)


def test_empty_input(text_embedder: TextEmbedder) -> None:
    out = text_embedder.embed([])
    assert out.shape == (0, 384) and out.dtype == np.float32


def test_bad_input(text_embedder: TextEmbedder) -> None:
    with pytest.raises(InvalidInput):
        text_embedder.embed("not a list")  # type: ignore[arg-type]
    with pytest.raises(InvalidInput):
        text_embedder.embed(["ok", 3])  # type: ignore[list-item]


def test_paraphrase_beats_unrelated(text_embedder: TextEmbedder) -> None:
    a, para, other = text_embedder.embed(
        ["Cheap flights to Paris this summer", "Low-cost airfare to France in July", "How to repot a cactus"]
    )
    assert a @ para > a @ other + 0.3


def test_batching_does_not_change_results(text_embedder: TextEmbedder) -> None:
    together = text_embedder.embed(SENTENCES, batch_size=32)
    one_by_one = np.stack([text_embedder.embed_one(s) for s in SENTENCES])
    np.testing.assert_allclose(together, one_by_one, atol=1e-4)


def test_matches_sentence_transformers(text_embedder: TextEmbedder) -> None:
    from sentence_transformers import SentenceTransformer

    reference = SentenceTransformer(str(minilm_dir()), device="cpu")
    ref = reference.encode(SENTENCES, normalize_embeddings=True, convert_to_numpy=True)
    ours = text_embedder.embed(SENTENCES)
    cos = (ours * ref).sum(axis=1)
    assert cos.min() >= 0.999, cos


def test_corrupt_cache_is_reexported(text_embedder: TextEmbedder, tmp_path: Path) -> None:
    src = text_embedder.onnx_path
    cache = tmp_path / "cache"
    cache.mkdir()
    shutil.copy(src, cache / src.name)
    shutil.copy(sidecar_path(src), cache / sidecar_path(src).name)
    target = cache / src.name
    with target.open("r+b") as fh:  # flip bytes in the middle of the weights
        fh.seek(target.stat().st_size // 2)
        fh.write(b"\x00" * 64)
    assert not is_valid(target, "anything")
    fresh = TextEmbedder(cache)
    vecs = fresh.embed(SENTENCES[:2])
    np.testing.assert_allclose(vecs, text_embedder.embed(SENTENCES[:2]), atol=1e-5)
    assert target.read_bytes() != b"" and sidecar_path(target).is_file()
    assert not list(cache.glob("*.tmp"))


def test_thread_safe(text_embedder: TextEmbedder) -> None:
    from concurrent.futures import ThreadPoolExecutor

    texts = [f"advert number {i} for garden furniture" for i in range(24)]
    expected = text_embedder.embed(texts)
    with ThreadPoolExecutor(4) as pool:
        got = list(pool.map(text_embedder.embed_one, texts))
    np.testing.assert_allclose(np.stack(got), expected, atol=1e-4)
