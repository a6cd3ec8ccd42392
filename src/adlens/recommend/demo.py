"""Demo content of the recommend app: a generated catalogue, a small two-tower model, an eval table.

MovieLens is research-only and never used here. ``seed`` generates a synthetic catalogue
(:mod:`adlens.recommend.synthetic`, CC0 by construction), stores it as the dataset ``demo``, trains a
small two-tower model on it (early-stopped, a few seconds on 2 cores), indexes the item vectors and, if
no evaluation is stored yet, stores the reference evaluation table shipped in
``configs/reference_eval.yaml`` (figures measured by ``eval/recommend.py``; figures only, no data).
Idempotent: a second call finds the demo model and does nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from adlens.recommend.catalogue import load_catalogue, write_catalogue
from adlens.recommend.pipeline import train_and_save
from adlens.recommend.service import service_for
from adlens.recommend.synthetic import SyntheticSpec, generate
from adlens.recommend.train import TwoTowerConfig

DEMO_SPEC = SyntheticSpec(n_items=200, n_users=200, min_history=10, max_history=50, cold_users=4)
DEMO_OVERRIDES: dict[str, Any] = {
    "max_epochs": 10,
    "patience": 3,
    "dim": 64,
    "hidden": 128,
    "batch_size": 512,
}
REFERENCE_EVAL = Path(__file__).with_name("configs") / "reference_eval.yaml"


def seed(runtime: Any) -> dict[str, Any]:
    """Seed the demo (see module docstring); returns what was done."""
    svc = service_for(runtime)
    folder = svc.datasets_dir / "demo"
    done: dict[str, Any] = {}
    if not (folder / "catalogue.json").is_file():
        write_catalogue(generate(DEMO_SPEC), folder)
        done["dataset"] = str(folder)
    demo_models = [m for m in svc.models()["models"] if m.get("source") == "dataset:demo"]
    if demo_models:
        version = int(demo_models[-1]["version"])
        done["model"] = demo_models[-1]["name"]
        done["trained"] = False
    else:
        cat = load_catalogue(folder)
        cfg = TwoTowerConfig.from_dict({**TwoTowerConfig.from_yaml().to_dict(), **DEMO_OVERRIDES})
        version, fit = train_and_save(
            cat, cfg, svc.root, embedder=runtime.text_embedder, cache_dir=svc.cache_dir, source="dataset:demo"
        )
        done.update(
            model=f"v{version:04d}", trained=True, fit_s=round(fit.fit_seconds, 1), metrics=fit.metrics
        )
    rec = svc.recommender(version)  # loads and (re)indexes if needed
    done["collection"] = rec.collection
    if not svc.eval_path.is_file() and REFERENCE_EVAL.is_file():
        svc.save_eval(yaml.safe_load(REFERENCE_EVAL.read_text(encoding="utf-8")))
        done["eval"] = "reference table stored"
    return done


__all__ = ["DEMO_OVERRIDES", "DEMO_SPEC", "seed"]
