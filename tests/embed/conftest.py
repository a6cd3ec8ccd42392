"""Shared, session-scoped real models for the embed tests (each loads once)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from adlens.embed import ImageEmbedder, TextEmbedder


@pytest.fixture(scope="session")
def models_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shared model cache (``ADLENS_MODEL_DIR``) so ONNX exports survive between runs, else a temp dir."""
    env = os.environ.get("ADLENS_MODEL_DIR")
    path = Path(env) if env else tmp_path_factory.mktemp("models")
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="session")
def text_embedder(models_dir: Path) -> TextEmbedder:
    emb = TextEmbedder(models_dir)
    emb.load()
    return emb


@pytest.fixture(scope="session")
def image_embedder(models_dir: Path, text_embedder: TextEmbedder) -> ImageEmbedder:
    emb = ImageEmbedder(models_dir, text=text_embedder)
    emb.load()
    return emb


@pytest.fixture(scope="session")
def skimage_dir(shared_data: Path) -> Path:
    return shared_data / "skimage-sample-images" / "images"
