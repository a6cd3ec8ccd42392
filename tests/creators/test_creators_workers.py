"""The audience-quality statistics saved by several server worker processes at once.

Two uploads handled by two ``adlens serve`` workers both refit the statistics and save
``quality.json``. Real processes ("spawn") save, and read back, the same file in a tight loop.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import time
import traceback
from pathlib import Path
from typing import Any

PROCS = 2
SECONDS = 1.5
TIMEOUT_S = 60


def _save_loop(path: str, me: int, barrier: Any, out: Any) -> None:
    """Save a model of our own (``n = me``) over and over, reading the file back each time."""
    from adlens.creators.quality import QualityModel

    target = Path(path)
    errors: list[str] = []
    saves = 0
    barrier.wait(TIMEOUT_S)
    deadline = time.monotonic() + SECONDS
    while time.monotonic() < deadline and len(errors) < 5:
        try:
            QualityModel(a=-3.0, b=-0.1 * me, n=me).save(target)
            saves += 1
            doc = json.loads(target.read_text(encoding="utf-8"))  # never half written
            assert doc["n"] in range(PROCS), doc
        except Exception as exc:
            where = traceback.extract_tb(exc.__traceback__)[-1]
            errors.append(f"{type(exc).__name__}: {exc} @ {Path(where.filename).name}:{where.lineno}")
    out.put((saves, errors))


def test_concurrent_saves_of_the_quality_statistics(tmp_path: Path) -> None:
    from adlens.creators.quality import QualityModel

    path = tmp_path / "creators" / "quality.json"
    ctx = mp.get_context("spawn")
    barrier, out = ctx.Barrier(PROCS), ctx.Queue()
    procs = [ctx.Process(target=_save_loop, args=(str(path), me, barrier, out)) for me in range(PROCS)]
    for p in procs:
        p.start()
    results = [out.get(timeout=TIMEOUT_S) for _ in procs]
    for p in procs:
        p.join(TIMEOUT_S)
    assert all(p.exitcode == 0 for p in procs), [p.exitcode for p in procs]
    errors = [e for _, errs in results for e in errs]
    assert not errors, errors
    assert all(saves > 10 for saves, _ in results), results
    assert QualityModel.load(path).n in range(PROCS)
    assert [p.name for p in path.parent.iterdir()] == ["quality.json"]  # no temp file left behind
