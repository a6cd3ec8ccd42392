"""A user-supplied CLIP-like model from a local directory: Hugging Face CLIP / SigLIP, or OpenCLIP.

Nothing is ever downloaded: Hugging Face models load with ``local_files_only=True`` and
``HF_HUB_OFFLINE=1``. Texts and images land in one shared space ``clip:<directory name>``.
OpenCLIP folders (``open_clip_config.json``) need the ``open_clip`` package, which is not installed by
default: loading one raises :class:`~adlens.errors.Unavailable` with what to install.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from adlens.config import Settings
from adlens.embed.decode import decode_image
from adlens.embed.spaces import Space, clip_space
from adlens.errors import InvalidInput, NotFound, Unavailable

_WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth")


def _model_version(path: Path) -> str:
    h = hashlib.sha256()
    for f in sorted(path.iterdir()):
        if f.is_file() and (f.suffix in _WEIGHT_SUFFIXES or f.name.endswith("config.json")):
            h.update(f"{f.name}:{f.stat().st_size}\n".encode())
            if f.suffix == ".json":
                h.update(f.read_bytes())
    return h.hexdigest()[:16]


def _features(out: Any) -> Any:
    """``get_*_features`` returns a tensor (transformers 4) or an output with ``pooler_output`` (5)."""
    return out if hasattr(out, "shape") else out.pooler_output


class ClipEmbedder:
    """Texts and images into one ``clip:<name>`` space, L2-normalised float32 vectors.

    ``path`` is a local folder saved with ``save_pretrained`` (a ``config.json`` of a CLIP or SigLIP model,
    weights, tokenizer files and ``preprocessor_config.json``), or an OpenCLIP folder.
    """

    def __init__(self, path: str | Path, *, threads: int = 2, batch_size: int = 16) -> None:
        self.path = Path(path).expanduser()
        self.threads = threads
        self.batch_size = batch_size
        self._lock = threading.Lock()
        self._model: Any = None
        self._tokenizer: Any = None
        self._image_processor: Any = None
        self._space: Space | None = None
        self._pad_to_max = False
        self._max_len: int | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> ClipEmbedder:
        """The model at ``settings.clip_model_path``; :class:`Unavailable` when none is configured."""
        if settings.clip_model_path is None:
            raise Unavailable("no CLIP model configured (set ADLENS_CLIP_MODEL_PATH to a local folder)")
        return cls(settings.clip_model_path, threads=settings.threads)

    @property
    def kind(self) -> str:
        """``hf`` or ``open_clip``; raises when the folder holds neither."""
        if not self.path.exists():
            raise NotFound(f"CLIP model folder {self.path} does not exist")
        if not self.path.is_dir():
            raise InvalidInput(f"CLIP model path {self.path} is not a folder")
        if (self.path / "open_clip_config.json").is_file():
            return "open_clip"
        if (self.path / "config.json").is_file():
            return "hf"
        raise InvalidInput(
            f"{self.path} is not a CLIP model folder (no config.json or open_clip_config.json)"
        )

    @property
    def space(self) -> Space:
        self.load()
        assert self._space is not None
        return self._space

    def load(self) -> None:
        if self._model is not None:
            return
        with self._lock:
            if self._model is not None:
                return
            if self.kind == "open_clip":
                try:
                    import open_clip  # noqa: F401
                except ImportError:
                    raise Unavailable(
                        "this is an OpenCLIP model folder but the open_clip package is not installed "
                        "(pip install open_clip_torch), or convert it to Hugging Face format"
                    ) from None
                raise Unavailable(
                    "OpenCLIP folders are not supported yet; use a Hugging Face CLIP/SigLIP folder"
                )
            self._load_hf()

    def _load_hf(self) -> None:
        os.environ["HF_HUB_OFFLINE"] = "1"
        import torch
        from transformers import AutoConfig, AutoImageProcessor, AutoModel, AutoTokenizer

        torch.set_num_threads(self.threads)
        try:
            config = AutoConfig.from_pretrained(str(self.path), local_files_only=True)
        except (OSError, ValueError, KeyError) as exc:
            raise InvalidInput(f"{self.path} has no readable model config: {exc}") from None
        model_type = getattr(config, "model_type", "")
        if not (hasattr(config, "text_config") and hasattr(config, "vision_config")):
            raise InvalidInput(
                f"{self.path} holds a {model_type or 'unknown'} model, not a CLIP-like text+image model"
            )
        try:
            model = AutoModel.from_pretrained(str(self.path), local_files_only=True)
            tokenizer = AutoTokenizer.from_pretrained(str(self.path), local_files_only=True)
            image_processor = AutoImageProcessor.from_pretrained(str(self.path), local_files_only=True)
        except (OSError, ValueError) as exc:
            raise InvalidInput(f"cannot load the CLIP model in {self.path}: {exc}") from None
        if not (hasattr(model, "get_text_features") and hasattr(model, "get_image_features")):
            raise InvalidInput(f"{self.path} ({model_type}) has no text and image towers")
        model.eval()
        self._tokenizer, self._image_processor = tokenizer, image_processor
        self._pad_to_max = model_type.startswith("siglip")
        self._max_len = getattr(config.text_config, "max_position_embeddings", None)
        self._model = model
        dim = self._embed_texts_loaded(["a"]).shape[1]
        self._space = clip_space(self.path.name, dim, f"{model_type}@{_model_version(self.path)}")

    def _embed_texts_loaded(self, texts: list[str]) -> np.ndarray:
        import torch

        padding: Any = "max_length" if self._pad_to_max else True
        outs = []
        for start in range(0, len(texts), self.batch_size):
            enc = self._tokenizer(
                texts[start : start + self.batch_size],
                padding=padding,
                truncation=True,
                max_length=self._max_len,
                return_tensors="pt",
            )
            with torch.no_grad():
                outs.append(_features(self._model.get_text_features(**enc)).float().numpy())
        return _normalise(np.concatenate(outs))

    def embed_texts(self, texts: Sequence[str]) -> np.ndarray:
        """Text vectors ``(n, dim)``."""
        if isinstance(texts, str):
            raise InvalidInput("embed_texts() takes a sequence of strings")
        self.load()
        if not texts:
            return np.zeros((0, self.space.dim), np.float32)
        return self._embed_texts_loaded(list(texts))

    def embed(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        """Same as :meth:`embed_texts` (the :class:`~adlens.embed.protocol.TextEncoder` contract)."""
        return self.embed_texts(texts)

    def embed_images(self, images: Sequence[bytes | Image.Image]) -> np.ndarray:
        """Image vectors ``(n, dim)`` for encoded images (bytes) or PIL images."""
        import torch

        self.load()
        if not images:
            return np.zeros((0, self.space.dim), np.float32)
        pil = [im.convert("RGB") if isinstance(im, Image.Image) else decode_image(im).image for im in images]
        outs = []
        for start in range(0, len(pil), self.batch_size):
            pixels = self._image_processor(images=pil[start : start + self.batch_size], return_tensors="pt")
            with torch.no_grad():
                outs.append(
                    _features(self._model.get_image_features(pixel_values=pixels["pixel_values"]))
                    .float()
                    .numpy()
                )
        return _normalise(np.concatenate(outs))


def _normalise(x: np.ndarray) -> np.ndarray:
    x = x.astype(np.float32)
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


__all__ = ["ClipEmbedder"]
