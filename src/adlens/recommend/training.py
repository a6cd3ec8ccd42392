"""The ``recommend.train`` job: config + catalogue -> a new, indexed model version.

The same handler runs in the server's job runner (``POST /api/v1/recommend/train``) and in the CLI
(``adlens recommend train``, with a progress bar). Parameters:

* ``config``: a YAML path (CLI only; default ``configs/two_tower.yaml``), ``overrides``: config keys;
* the data: ``data`` (a catalogue folder, CLI only), ``dataset`` (a name under
  ``<data_dir>/recommend/datasets``), or ``synthetic`` (a :class:`SyntheticSpec` as a dict; the
  default when nothing is given).
"""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path
from typing import Any

from adlens.errors import InvalidInput, NotFound
from adlens.recommend.bundle import version_name
from adlens.recommend.catalogue import Catalogue, load_catalogue
from adlens.recommend.pipeline import train_and_save
from adlens.recommend.service import RecommendService
from adlens.recommend.synthetic import SyntheticSpec, generate
from adlens.recommend.train import DEFAULT_CONFIG_PATH, TwoTowerConfig

JOB_KIND = "recommend.train"
_DATASET = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def resolve_config(params: dict[str, Any]) -> TwoTowerConfig:
    cfg = TwoTowerConfig.from_yaml(params.get("config") or DEFAULT_CONFIG_PATH)
    overrides = params.get("overrides") or {}
    if not isinstance(overrides, dict):
        raise InvalidInput("overrides must be an object of config keys")
    return TwoTowerConfig.from_dict({**cfg.to_dict(), **overrides}) if overrides else cfg


def resolve_catalogue(svc: RecommendService, params: dict[str, Any]) -> tuple[Catalogue, str]:
    given = [k for k in ("data", "dataset", "synthetic") if params.get(k) is not None]
    if len(given) > 1:
        raise InvalidInput(f"give one of data, dataset or synthetic, not {', '.join(given)}")
    if params.get("data") is not None:
        path = Path(str(params["data"]))
        return load_catalogue(path), str(path)
    if params.get("dataset") is not None:
        name = str(params["dataset"])
        if not _DATASET.match(name):
            raise InvalidInput(f"invalid dataset name {name!r}")
        folder = svc.datasets_dir / name
        if not folder.is_dir():
            have = sorted(p.name for p in svc.datasets_dir.iterdir()) if svc.datasets_dir.is_dir() else []
            raise NotFound(f"dataset {name!r} not found (have: {', '.join(have) or 'none'})")
        return load_catalogue(folder), f"dataset:{name}"
    return generate(synthetic_spec(params.get("synthetic"))), "synthetic"


def synthetic_spec(args: Any) -> SyntheticSpec:
    """A :class:`SyntheticSpec` from a dict of its fields (``None``: the defaults); bad keys -> InvalidInput."""
    args = args or {}
    if not isinstance(args, dict):
        raise InvalidInput("synthetic must be an object of SyntheticSpec fields")
    known = {f.name for f in fields(SyntheticSpec)}
    unknown = sorted(set(args) - known)
    if unknown:
        raise InvalidInput(
            f"unknown synthetic keys: {', '.join(unknown)} (known: {', '.join(sorted(known))})"
        )
    try:
        return SyntheticSpec(**args)
    except TypeError as exc:
        raise InvalidInput(f"bad synthetic spec: {exc}") from None


def run_training(svc: RecommendService, ctx: Any, params: dict[str, Any]) -> dict[str, Any]:
    """Train, save and index a new version; returns its name, metrics and timings."""
    cfg = resolve_config(params)
    cat, source = resolve_catalogue(svc, params)
    ctx.progress(done=0, total=cfg.max_epochs, message=f"embedding {cat.dataset.n_items} items")

    def progress(done: int, total: int, message: str) -> None:
        ctx.check_cancelled()
        ctx.progress(done=done, total=total, message=message)

    embedder = svc.runtime.text_embedder if cfg.use_text else None
    version, fit = train_and_save(
        cat, cfg, svc.root, embedder=embedder, cache_dir=svc.cache_dir, progress=progress, source=source
    )
    ctx.progress(message="indexing item vectors")
    rec = svc.recommender(version)
    ctx.log(f"model {version_name(version)}: {fit.metrics}")
    return {
        "version": version,
        "model": version_name(version),
        "collection": rec.collection,
        "dataset": cat.dataset.name,
        "source": source,
        "n_users": cat.dataset.n_users,
        "n_items": cat.dataset.n_items,
        "n_interactions": cat.dataset.n_interactions,
        "metrics": fit.metrics,
        "best_epoch": fit.best_epoch,
        "epochs": len(fit.epoch_seconds),
        "fit_s": round(fit.fit_seconds, 3),
        "index": rec.index_info,
        "config": cfg.to_dict(),
    }


def make_handler(runtime: Any) -> Any:
    """The job handler bound to ``runtime`` (registered in ``api.on_startup``)."""
    from adlens.recommend.service import service_for

    def handler(ctx: Any, params: dict[str, Any]) -> dict[str, Any]:
        if "data" in params or "config" in params:  # no server paths from the API; the CLI takes those
            raise InvalidInput(
                "server jobs take a dataset name or synthetic data and config overrides, not paths"
            )
        return run_training(service_for(runtime), ctx, params)

    return handler


__all__ = [
    "JOB_KIND",
    "make_handler",
    "resolve_catalogue",
    "resolve_config",
    "run_training",
    "synthetic_spec",
]
