"""Train a servable two-tower model on a catalogue: features, validation, early stopping, refit.

1. Item content: the MiniLM embedding of ``title. description`` (the embed seam's ``text`` space, cached
   on disk), PCA-reduced to ``text_dim``, plus multi-hot genres (:class:`ContentEncoder`).
2. A per-user random 10 % of the interactions is held out (seed = config seed); the model early-stops
   on it and its metrics there are what the checkpoint records (``valid_*``).
3. The model is refit on all interactions for the chosen number of epochs and saved as a new version.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from adlens.errors import InvalidInput
from adlens.recommend.bundle import save_bundle
from adlens.recommend.catalogue import Catalogue
from adlens.recommend.content import ContentEncoder
from adlens.recommend.evaluation import evaluate, validation_task
from adlens.recommend.features import title_embeddings
from adlens.recommend.model import TwoTower
from adlens.recommend.splits import Split, carve_validation
from adlens.recommend.train import TwoTowerConfig, train_two_tower

Progress = Callable[[int, int, str], None]


@dataclass
class FitResult:
    model: TwoTower
    encoder: ContentEncoder
    content: np.ndarray
    metrics: dict[str, float]
    best_epoch: int
    epoch_seconds: list[float]
    fit_seconds: float


def catalogue_content(
    cat: Catalogue, config: TwoTowerConfig, *, embedder: Any = None, cache_dir: str | Path
) -> tuple[ContentEncoder, np.ndarray]:
    """Fit the content encoder on ``cat`` and return it with the ``(n_items, d)`` content matrix."""
    text = space = None
    if config.use_text:
        text, space = title_embeddings([it.text for it in cat.items], cache_dir, embedder)
    ds = cat.dataset
    enc = ContentEncoder.fit(
        text, space, ds.category_names, use_categories=config.use_categories, text_dim=config.text_dim
    )
    return enc, enc.encode(text, ds.item_categories)


def fit_catalogue(
    cat: Catalogue,
    config: TwoTowerConfig,
    *,
    embedder: Any = None,
    cache_dir: str | Path,
    progress: Progress | None = None,
    valid_ratio: float = 0.1,
) -> FitResult:
    """Steps 1-3 of the module docstring, without saving."""
    ds = cat.dataset
    if ds.n_interactions < 10:
        raise InvalidInput(f"need at least 10 interactions to train, found {ds.n_interactions}")
    t0 = time.perf_counter()
    encoder, content = catalogue_content(cat, config, embedder=embedder, cache_dir=cache_dir)
    everything = Split("recbole", np.arange(ds.n_interactions), np.empty(0, np.int64), np.empty(0, np.int64))
    valid = validation_task(ds, carve_validation(ds, everything, valid_ratio, seed=config.seed))
    if len(valid.users) == 0:
        raise InvalidInput("no user has 3 or more interactions: nothing to validate on")
    total = config.max_epochs

    def tick(stage: str, offset: int) -> Callable[[int, int, float | None], None]:
        def on_epoch(epoch: int, n: int, value: float | None) -> None:
            if progress is not None:
                note = f" valid {config.valid_metric}={value:.4f}" if value is not None else ""
                progress(offset + epoch + 1, total, f"{stage} epoch {epoch + 1}{note}")

        return on_epoch

    res = train_two_tower(ds, valid.history, content, config, valid, on_epoch=tick("fit", 0))
    metrics = {f"valid_{k}": float(v) for k, v in evaluate(res.model, valid, ks=(10, 20)).items()}
    epochs = res.best_epoch + 1
    total = res.epochs_run + epochs
    final = train_two_tower(
        ds, ds.csr(), content, config, None, epochs=epochs, on_epoch=tick("refit", res.epochs_run)
    )
    return FitResult(
        final.model,
        encoder,
        content,
        metrics,
        res.best_epoch,
        res.epoch_seconds + final.epoch_seconds,
        time.perf_counter() - t0,
    )


def train_and_save(
    cat: Catalogue,
    config: TwoTowerConfig,
    root: str | Path,
    *,
    embedder: Any = None,
    cache_dir: str | Path,
    progress: Progress | None = None,
    source: str = "",
) -> tuple[int, FitResult]:
    """Fit on ``cat`` and store a new model version under ``root``; returns ``(version, result)``."""
    fit = fit_catalogue(cat, config, embedder=embedder, cache_dir=cache_dir, progress=progress)
    info = {
        "source": source,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "training": {
            "best_epoch": fit.best_epoch,
            "epochs": len(fit.epoch_seconds),
            "epoch_s": float(np.mean(fit.epoch_seconds)) if fit.epoch_seconds else 0.0,
            "fit_s": fit.fit_seconds,
        },
    }
    version = save_bundle(
        root, cat, fit.model, config, fit.encoder, fit.content, metrics=fit.metrics, info=info
    )
    return version, fit


__all__ = ["FitResult", "catalogue_content", "fit_catalogue", "train_and_save"]
