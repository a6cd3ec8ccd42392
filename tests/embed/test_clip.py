"""The CLIP loader on a tiny randomly initialised CLIP that the test builds and saves (no downloads)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from adlens.embed import TEXT_SPACE, ClipEmbedder, TextEncoder
from adlens.errors import InvalidInput, NotFound, SpaceMismatch, Unavailable


@pytest.fixture(scope="module")
def tiny_clip_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import torch
    from transformers import CLIPConfig, CLIPImageProcessor, CLIPModel, CLIPTokenizer

    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("clip") / "tiny-clip"
    letters = "abcdefghijklmnopqrstuvwxyz"
    vocab = {"<|startoftext|>": 0, "<|endoftext|>": 1}
    for c in letters:
        vocab[c] = len(vocab)
    for c in letters:
        vocab[c + "</w>"] = len(vocab)
    text = dict(
        vocab_size=len(vocab), hidden_size=32, intermediate_size=37, num_hidden_layers=2, num_attention_heads=4,
        max_position_embeddings=32, bos_token_id=0, eos_token_id=1, pad_token_id=1,
    )  # fmt: skip
    vision = dict(
        image_size=32,
        patch_size=8,
        hidden_size=32,
        intermediate_size=37,
        num_hidden_layers=2,
        num_attention_heads=4,
    )
    CLIPModel(CLIPConfig(text_config=text, vision_config=vision, projection_dim=16)).save_pretrained(path)
    CLIPTokenizer(vocab=vocab, merges=[]).save_pretrained(path)
    CLIPImageProcessor(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32}).save_pretrained(
        path
    )
    return path


def test_tiny_clip_embeds_texts_and_images(tiny_clip_dir: Path, skimage_dir: Path) -> None:
    import torch
    from transformers import AutoTokenizer, CLIPModel

    emb = ClipEmbedder(tiny_clip_dir)
    assert emb.space.name == "clip:tiny-clip" and emb.space.dim == 16
    assert isinstance(emb, TextEncoder)
    texts = emb.embed_texts(["a photo of a cat", "a red car"])
    assert texts.shape == (2, 16) and texts.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(texts, axis=1), 1.0, atol=1e-5)
    assert float(texts[0] @ texts[1]) < 0.999  # different texts, different vectors

    model = CLIPModel.from_pretrained(tiny_clip_dir, local_files_only=True).eval()
    enc = AutoTokenizer.from_pretrained(tiny_clip_dir, local_files_only=True)(
        ["a photo of a cat"], return_tensors="pt"
    )
    with torch.no_grad():
        out = model.get_text_features(**enc)
    ref = (out if isinstance(out, torch.Tensor) else out.pooler_output).numpy()[0]
    assert float(texts[0] @ (ref / np.linalg.norm(ref))) > 0.9999

    images = emb.embed_images([(skimage_dir / "chelsea.png").read_bytes(), Image.new("RGB", (50, 40), "red")])
    assert images.shape == (2, 16)
    np.testing.assert_allclose(np.linalg.norm(images, axis=1), 1.0, atol=1e-5)
    assert emb.embed_texts([]).shape == (0, 16)
    with pytest.raises(SpaceMismatch):
        emb.space.check(TEXT_SPACE)


def test_bad_paths(tmp_path: Path) -> None:
    from adlens.config import Settings

    with pytest.raises(Unavailable):
        ClipEmbedder.from_settings(Settings(clip_model_path=None))
    assert ClipEmbedder.from_settings(Settings(clip_model_path=tmp_path)).path == tmp_path
    with pytest.raises(NotFound):
        ClipEmbedder(tmp_path / "missing").load()
    (tmp_path / "empty").mkdir()
    with pytest.raises(InvalidInput):
        ClipEmbedder(tmp_path / "empty").load()
    bert = tmp_path / "bert"
    bert.mkdir()
    (bert / "config.json").write_text(json.dumps({"model_type": "bert", "hidden_size": 32}))
    with pytest.raises(InvalidInput):
        ClipEmbedder(bert).load()
    oc = tmp_path / "openclip"
    oc.mkdir()
    (oc / "open_clip_config.json").write_text("{}")
    with pytest.raises(Unavailable, match="open_clip"):
        ClipEmbedder(oc).load()
