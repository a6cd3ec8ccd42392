"""Model versions shared by several server worker processes (``adlens serve --workers N``).

Real processes ("spawn") on one ADLENS_HOME, released together by a barrier, a few rounds in a row:

* a version just saved by the training job is asked for by every worker at once: it must be indexed
  by exactly one of them (the others wait and reuse the index);
* trainings finishing at the same moment save at the same moment: each must get its own version
  number, with its own files.
"""

from __future__ import annotations

import multiprocessing as mp
import traceback
from pathlib import Path
from typing import Any

from .conftest import TINY_SPEC_ARGS, tiny_config

PROCS = 2
ROUNDS = 3
TIMEOUT_S = 120


def _spec(seed: int) -> dict[str, Any]:
    return {**TINY_SPEC_ARGS, "seed": seed, "n_users": 80 + 5 * seed}


def _fit(seed: int, cache_dir: Path) -> tuple[Any, Any, Any]:
    """A quick text-free model on the tiny synthetic catalogue of ``seed``: (catalogue, config, fit)."""
    from adlens.recommend.pipeline import fit_catalogue
    from adlens.recommend.synthetic import SyntheticSpec, generate

    cat = generate(SyntheticSpec(**_spec(seed)))
    cfg = tiny_config(use_text=False, max_epochs=2)
    return cat, cfg, fit_catalogue(cat, cfg, cache_dir=cache_dir)


def _describe(exc: BaseException) -> str:
    where = traceback.extract_tb(exc.__traceback__)[-1]
    return f"{type(exc).__name__}: {exc} @ {Path(where.filename).name}:{where.lineno}"


def _recommender_rounds(home: str, versions: list[int], barrier: Any, out: Any) -> None:
    """Each round: load (and if needed index) one version at the same moment as the other workers."""
    from adlens.config import Settings
    from adlens.recommend.service import RecommendService
    from adlens.runtime import Runtime

    runtime = Runtime(Settings(home=Path(home)))
    svc = RecommendService(runtime)
    svc.store.list_collections()  # open the store before the race
    try:
        for v in versions:
            barrier.wait(TIMEOUT_S)
            try:
                rec = svc.recommender(v)
                out.put((v, "indexed" if rec.index_info is not None else "reused"))
            except Exception as exc:
                out.put((v, _describe(exc)))
    finally:
        runtime.close()


def _save_rounds(root: str, me: int, barrier: Any, out: Any) -> None:
    """Train once, then each round save a new version at the same moment as the other trainers."""
    from adlens.recommend.bundle import save_bundle

    cat, cfg, fit = _fit(me, Path(root).parent / f"cache{me}")
    for _ in range(ROUNDS):
        barrier.wait(TIMEOUT_S)
        try:
            v = save_bundle(
                root, cat, fit.model, cfg, fit.encoder, fit.content, metrics=fit.metrics, info={"writer": me}
            )
            out.put((me, v))
        except Exception as exc:
            out.put((me, _describe(exc)))


def _run(target: Any, args_of: Any, n_results: int) -> list[Any]:
    ctx = mp.get_context("spawn")
    barrier, out = ctx.Barrier(PROCS), ctx.Queue()
    procs = [ctx.Process(target=target, args=(*args_of(me), barrier, out)) for me in range(PROCS)]
    for p in procs:
        p.start()
    try:
        results = [out.get(timeout=TIMEOUT_S) for _ in range(n_results)]
    finally:
        for p in procs:
            p.join(TIMEOUT_S)
            if p.is_alive():
                p.kill()
    assert all(p.exitcode == 0 for p in procs), [p.exitcode for p in procs]
    return results


def test_a_new_version_is_indexed_by_one_worker(tmp_path: Path) -> None:
    from adlens.config import Settings
    from adlens.recommend.bundle import save_bundle
    from adlens.recommend.service import RecommendService
    from adlens.recommend.serving import collection_name
    from adlens.runtime import Runtime

    home = tmp_path / "home"
    runtime = Runtime(Settings(home=home))
    try:
        svc = RecommendService(runtime)
        cat, cfg, fit = _fit(0, svc.cache_dir)
        versions = [
            save_bundle(svc.root, cat, fit.model, cfg, fit.encoder, fit.content, metrics=fit.metrics)
            for _ in range(ROUNDS)
        ]
        results = _run(_recommender_rounds, lambda me: (str(home), versions), PROCS * ROUNDS)
        by_version: dict[int, list[str]] = {v: [] for v in versions}
        for v, outcome in results:
            by_version[v].append(outcome)
        for v, outcomes in by_version.items():
            assert sorted(outcomes) == ["indexed", "reused"], (v, outcomes)
            n = svc.store.count(collection_name(v), where={"cold_start": False})
            assert n == cat.dataset.n_items, (v, n)
    finally:
        runtime.close()


def test_trainings_saving_together_get_their_own_versions(tmp_path: Path) -> None:
    from adlens.recommend.bundle import load_bundle
    from adlens.recommend.synthetic import SyntheticSpec, generate

    root = tmp_path / "models"
    results = _run(_save_rounds, lambda me: (str(root), me), PROCS * ROUNDS)
    errors = [v for _, v in results if not isinstance(v, int)]
    assert not errors, errors
    versions = sorted(v for _, v in results)
    assert versions == list(range(1, PROCS * ROUNDS + 1)), results
    users = {me: generate(SyntheticSpec(**_spec(me))).dataset.n_users for me in range(PROCS)}
    for me, v in results:
        bundle = load_bundle(root, v)  # the checkpoint matches its own serving files
        assert (bundle.info["writer"], bundle.n_users) == (me, users[me]), (v, me, bundle.info)
    assert not list(root.glob("*.reserved")), "reservations are removed"
