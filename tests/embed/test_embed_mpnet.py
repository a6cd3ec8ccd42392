"""all-mpnet-base-v2 from its PyPI part packages: assembly, verification, embeddings."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from adlens.embed import mpnet
from adlens.embed.mpnet import MPNET_SPACE, MpnetEmbedder, mpnet_available, mpnet_model_dir
from adlens.embed.protocol import TextEncoder
from adlens.errors import InvalidInput, Unavailable

pytestmark = pytest.mark.skipif(not mpnet_available(), reason="the mpnet part wheels are not installed")


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return mpnet_model_dir(tmp_path_factory.mktemp("models"))


def test_assembled_once_verified_and_without_stray_files(folder: Path) -> None:
    assert (folder / ".verified").read_text().strip().startswith(mpnet.WEIGHTS_SHA256 + " files:")
    assert (folder / "1_Pooling" / "config.json").is_file() and (folder / "README.md").is_file()
    assert not list(folder.rglob("desktop.ini"))  # the upload's Windows leftovers are not extracted
    stamp = (folder / "model.safetensors").stat().st_mtime_ns
    assert mpnet_model_dir(folder.parent) == folder  # verified marker: no second assembly
    assert (folder / "model.safetensors").stat().st_mtime_ns == stamp
    assert [p.name for p in folder.parent.iterdir()] == [folder.name]  # no temporary folder left


def test_weights_that_do_not_match_are_refused_and_leave_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(mpnet, "WEIGHTS_SHA256", "0" * 64)
    with pytest.raises(Unavailable, match="SHA-256"):
        mpnet_model_dir(tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_embeddings_are_normalised_and_meaningful(folder: Path) -> None:
    emb = MpnetEmbedder(folder.parent, threads=2)
    assert isinstance(emb, TextEncoder)
    assert emb.space == MPNET_SPACE and MPNET_SPACE.dim == 768
    vecs = emb.embed(
        [
            "The striker scored twice as the home team won the cup final.",
            "A late goal gave the football club victory in the championship match.",
            "The central bank raised interest rates to curb inflation.",
            "",
        ]
    )
    assert vecs.shape == (4, 768) and vecs.dtype == np.float32
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-4)
    assert vecs[0] @ vecs[1] > vecs[0] @ vecs[2] + 0.2
    assert emb.embed([]).shape == (0, 768)
    assert np.allclose(
        emb.embed_one("The central bank raised interest rates to curb inflation."), vecs[2], atol=1e-5
    )
    with pytest.raises(InvalidInput):
        emb.embed("a single string")  # type: ignore[arg-type]
