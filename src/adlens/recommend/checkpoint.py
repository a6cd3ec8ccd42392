"""Versioned two-tower checkpoints: weights + config + metrics + the embedding space they depend on.

A checkpoint file (``torch.save`` of a plain dict, written atomically) records the format version,
the :class:`~adlens.recommend.train.TwoTowerConfig`, the :class:`~adlens.recommend.model.TowerShape`,
the content parts and text embedding space used for the item features, and evaluation metrics.
Loading it against a different config, shape or embedding space raises :class:`InvalidInput` rather
than silently serving vectors from another space (``SpaceMismatch``, a subclass, for the space). :class:`CheckpointStore` numbers checkpoints
``two-tower-0001.pt``, ``two-tower-0002.pt``, ... inside one folder; nothing stored is overwritten.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from adlens.errors import InvalidInput, NotFound, SpaceMismatch
from adlens.recommend.model import TowerShape, TwoTower
from adlens.recommend.train import TwoTowerConfig

FORMAT_VERSION = 1
_NAME = re.compile(r"^two-tower-(\d{4,})\.pt$")
_RESERVED = re.compile(r"^two-tower-(\d{4,})\.reserved$")


@dataclass(frozen=True)
class Checkpoint:
    path: Path
    config: TwoTowerConfig
    shape: TowerShape
    content_parts: tuple[str, ...]
    text_space: dict[str, Any] | None
    metrics: dict[str, float]
    state: dict[str, torch.Tensor]

    def build(self, content: np.ndarray, user_features: dict[str, np.ndarray]) -> TwoTower:
        """A :class:`TwoTower` with these weights over the given (same-shape) features."""
        from adlens.recommend.train import build_model_from_shape

        model = build_model_from_shape(self.shape, content, user_features, self.config)
        model.load_state_dict(self.state)
        model.eval()
        return model


def save_checkpoint(
    path: str | Path,
    model: TwoTower,
    config: TwoTowerConfig,
    *,
    content_parts: tuple[str, ...],
    text_space: dict[str, Any] | None,
    metrics: dict[str, float] | None = None,
) -> Path:
    """Write ``path`` atomically (temp file + rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "format_version": FORMAT_VERSION,
        "config": config.to_dict(),
        "shape": asdict(model.shape),
        "content_parts": list(content_parts),
        "text_space": text_space,
        "metrics": dict(metrics or {}),
        "state": model.state_dict(),
    }
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".pt.tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            torch.save(payload, fh)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def load_checkpoint(
    path: str | Path,
    *,
    expect_config: TwoTowerConfig | None = None,
    expect_text_space: dict[str, Any] | None = None,
    expect_content_parts: tuple[str, ...] | None = None,
) -> Checkpoint:
    """Read ``path``; with ``expect_*`` given, refuse (``InvalidInput``) a checkpoint that differs."""
    path = Path(path)
    if not path.is_file():
        raise NotFound(f"checkpoint not found: {path}")
    try:
        raw = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise InvalidInput(
            f"not a readable two-tower checkpoint: {path.name} ({type(exc).__name__})"
        ) from None
    if not isinstance(raw, dict) or raw.get("format_version") != FORMAT_VERSION:
        raise InvalidInput(
            f"checkpoint {path.name} has format {raw.get('format_version')!r}, expected {FORMAT_VERSION}"
        )
    config = TwoTowerConfig.from_dict(raw["config"])
    shp = raw["shape"]
    shape = TowerShape(
        shp["n_users"],
        shp["n_items"],
        shp["content_dim"],
        tuple((n, int(s)) for n, s in shp["user_feature_sizes"]),
    )
    if expect_config is not None and expect_config != config:
        diff = sorted(k for k, v in expect_config.to_dict().items() if config.to_dict().get(k) != v)
        raise InvalidInput(f"checkpoint {path.name} was trained with a different config ({', '.join(diff)})")
    space = raw.get("text_space")
    if expect_text_space is not None and space != expect_text_space:
        raise SpaceMismatch(
            f"checkpoint {path.name} used text embedding space {space!r}, not {expect_text_space!r}"
        )
    parts = tuple(raw.get("content_parts", ()))
    if expect_content_parts is not None and parts != tuple(expect_content_parts):
        raise InvalidInput(
            f"checkpoint {path.name} used item features {parts}, not {tuple(expect_content_parts)}"
        )
    return Checkpoint(path, config, shape, parts, space, dict(raw.get("metrics", {})), raw["state"])


class CheckpointStore:
    """Numbered checkpoints in one folder; ``save`` never overwrites, ``load()`` reads the latest."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def versions(self) -> list[int]:
        if not self.root.is_dir():
            return []
        return sorted(int(m.group(1)) for p in self.root.iterdir() if (m := _NAME.match(p.name)))

    def path(self, version: int) -> Path:
        return self.root / f"two-tower-{version:04d}.pt"

    @contextmanager
    def reserve(self) -> Iterator[int]:
        """A new version number, reserved for this ``with`` block across processes and threads.

        ``two-tower-000N.reserved`` is created with ``O_EXCL`` (so two trainings finishing together,
        e.g. in two server workers, never pick the same number); write the version's files inside the
        block, the checkpoint last. The reservation is removed on exit; the number then belongs to the
        checkpoint, or is free again if none was written.
        """
        self.root.mkdir(parents=True, exist_ok=True)
        taken = [
            int(m.group(1))
            for p in self.root.iterdir()
            if (m := _NAME.match(p.name) or _RESERVED.match(p.name))
        ]
        version = max(taken, default=0) + 1
        while True:
            marker = self.root / f"two-tower-{version:04d}.reserved"
            try:
                os.close(os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))
            except FileExistsError:
                version += 1
                continue
            if self.path(version).exists():  # saved between our listing and our reservation
                marker.unlink(missing_ok=True)
                version += 1
                continue
            break
        try:
            yield version
        finally:
            marker.unlink(missing_ok=True)

    def save(self, model: TwoTower, config: TwoTowerConfig, **kwargs: Any) -> Path:
        with self.reserve() as version:
            return save_checkpoint(self.path(version), model, config, **kwargs)

    def load(self, version: int | None = None, **expect: Any) -> Checkpoint:
        existing = self.versions()
        if not existing:
            raise NotFound(f"no two-tower checkpoints in {self.root}")
        return load_checkpoint(self.path(existing[-1] if version is None else version), **expect)


__all__ = ["FORMAT_VERSION", "Checkpoint", "CheckpointStore", "load_checkpoint", "save_checkpoint"]
