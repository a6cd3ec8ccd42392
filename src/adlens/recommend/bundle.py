"""A servable model version: the checkpoint plus the data the towers need at serving time.

Version ``N`` of a model folder is three files: ``two-tower-000N.pt`` (weights, config, shape, content
parts, text space, metrics; see :mod:`adlens.recommend.checkpoint`), ``two-tower-000N.serving.npz``
(content matrix, interactions, user features, the fitted PCA) and ``two-tower-000N.serving.json``
(item and user ids, item metadata, the content encoder's vocabulary, training facts). The sidecar files
are written first and the checkpoint last, so a version exists (``CheckpointStore.versions``) only
once it is complete; nothing stored is overwritten. A new version's number is reserved first
(:meth:`CheckpointStore.reserve`), so two trainings saving at the same moment (two server workers)
get different numbers.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from adlens.errors import InvalidInput, NotFound
from adlens.recommend.catalogue import Catalogue, ItemInfo
from adlens.recommend.checkpoint import Checkpoint, CheckpointStore, save_checkpoint
from adlens.recommend.content import ContentEncoder
from adlens.recommend.data import IdMap, interaction_matrix
from adlens.recommend.model import TwoTower
from adlens.recommend.train import TwoTowerConfig


@dataclass
class ModelBundle:
    """Everything needed to serve one model version (see module docstring)."""

    version: int
    checkpoint: Checkpoint
    encoder: ContentEncoder
    content: np.ndarray  # (n_items, content_dim)
    items: tuple[ItemInfo, ...]
    user_map: IdMap
    item_map: IdMap
    users: np.ndarray  # interactions
    item_idx: np.ndarray
    timestamps: np.ndarray
    user_features: dict[str, np.ndarray]
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def n_users(self) -> int:
        return len(self.user_map)

    @property
    def n_items(self) -> int:
        return len(self.item_map)

    def history_matrix(self) -> sp.csr_matrix:
        return interaction_matrix(self.users, self.item_idx, (self.n_users, self.n_items))

    def build_model(self) -> TwoTower:
        return self.checkpoint.build(self.content, self.user_features)

    def describe(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "name": version_name(self.version),
            "file": self.checkpoint.path.name,
            "dataset": self.info.get("dataset"),
            "source": self.info.get("source"),
            "created": self.info.get("created"),
            "n_users": self.n_users,
            "n_items": self.n_items,
            "n_interactions": len(self.users),
            "content_parts": list(self.checkpoint.content_parts),
            "genres": list(self.encoder.genres),
            "text_space": self.checkpoint.text_space,
            "config": self.checkpoint.config.to_dict(),
            "metrics": self.checkpoint.metrics,
            "training": self.info.get("training", {}),
        }


def version_name(version: int) -> str:
    return f"v{version:04d}"


def _sidecar(path: Path, suffix: str) -> Path:
    return path.with_name(path.name[: -len(".pt")] + suffix)


def _write_atomic(path: Path, writer: Any, mode: str = "wb") -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    try:
        with os.fdopen(fd, mode) as fh:
            writer(fh)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save_bundle(
    root: str | Path,
    catalogue: Catalogue,
    model: TwoTower,
    config: TwoTowerConfig,
    encoder: ContentEncoder,
    content: np.ndarray,
    *,
    metrics: dict[str, float],
    info: dict[str, Any] | None = None,
) -> int:
    """Store a new version under ``root``; returns its number."""
    store = CheckpointStore(root)
    with store.reserve() as version:  # never the number another process is saving right now
        _write_version(store.path(version), catalogue, model, config, encoder, content, metrics, info)
    return version


def _write_version(
    path: Path,
    catalogue: Catalogue,
    model: TwoTower,
    config: TwoTowerConfig,
    encoder: ContentEncoder,
    content: np.ndarray,
    metrics: dict[str, float],
    info: dict[str, Any] | None,
) -> None:
    """The sidecar files, then the checkpoint (which makes the version visible)."""
    ds = catalogue.dataset
    arrays: dict[str, np.ndarray] = {
        "content": np.asarray(content, dtype=np.float32),
        "users": ds.users,
        "items": ds.items,
        "timestamps": ds.timestamps,
    }
    if encoder.pca_mean is not None and encoder.pca_axes is not None:
        arrays["pca_mean"], arrays["pca_axes"] = encoder.pca_mean, encoder.pca_axes
    for name, codes in ds.user_features.items():
        arrays[f"feat_{name}"] = codes
    meta = {
        "encoder": encoder.to_meta(),
        "items": [it.to_dict() for it in catalogue.items],
        "user_ids": list(ds.user_map.raw),
        "user_features": sorted(ds.user_features),
        "info": {"dataset": ds.name, **(info or {})},
    }
    _write_atomic(_sidecar(path, ".serving.npz"), lambda fh: np.savez(fh, **arrays))  # type: ignore[arg-type]
    _write_atomic(_sidecar(path, ".serving.json"), lambda fh: json.dump(meta, fh), mode="w")
    save_checkpoint(
        path,
        model,
        config,
        content_parts=encoder.parts,
        text_space=encoder.text_space,
        metrics=metrics,
    )


def load_bundle(root: str | Path, version: int | None = None, **expect: Any) -> ModelBundle:
    """Read a version (latest when None); ``expect_*`` as for :func:`load_checkpoint`."""
    store = CheckpointStore(root)
    versions = store.versions()
    if not versions:
        raise NotFound("no trained recommendation model yet: run `adlens recommend train` first")
    if version is None:
        version = versions[-1]
    if version not in versions:
        raise NotFound(f"model version {version} not found (have {', '.join(map(str, versions))})")
    ck = store.load(version, **expect)
    path = store.path(version)
    try:
        meta = json.loads(_sidecar(path, ".serving.json").read_text(encoding="utf-8"))
        with np.load(_sidecar(path, ".serving.npz"), allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
    except (OSError, ValueError, json.JSONDecodeError) as exc:
        raise InvalidInput(f"model {version_name(version)} has unreadable serving data: {exc}") from None
    encoder = ContentEncoder.from_meta(meta["encoder"], arrays.get("pca_mean"), arrays.get("pca_axes"))
    items = tuple(
        ItemInfo(
            r["item_id"], r["title"], r.get("description", ""), tuple(r.get("genres") or ()), r.get("year")
        )
        for r in meta["items"]
    )
    bundle = ModelBundle(
        version=version,
        checkpoint=ck,
        encoder=encoder,
        content=arrays["content"],
        items=items,
        user_map=IdMap(tuple(meta["user_ids"])),
        item_map=IdMap(tuple(it.id for it in items)),
        users=arrays["users"],
        item_idx=arrays["items"],
        timestamps=arrays["timestamps"],
        user_features={n: arrays[f"feat_{n}"] for n in meta["user_features"]},
        info=meta.get("info", {}),
    )
    shape = ck.shape
    if (shape.n_users, shape.n_items, shape.content_dim) != (
        bundle.n_users,
        bundle.n_items,
        bundle.content.shape[1],
    ) or tuple(ck.content_parts) != encoder.parts:
        raise InvalidInput(f"checkpoint {ck.path.name} does not match its serving data (another config?)")
    return bundle


__all__ = ["ModelBundle", "load_bundle", "save_bundle", "version_name"]
