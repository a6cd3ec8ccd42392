"""The analytics demo files seeded by several server worker processes at once.

With ``adlens serve --workers N --demo`` the ``demo.seed`` job runs in one worker while a
``GET /analytics/demo/{name}`` in another may seed too. Real processes ("spawn") seed the same fresh
directory at the same moment, a few rounds in a row; every call must succeed and leave complete files.
"""

from __future__ import annotations

import multiprocessing as mp
import traceback
from pathlib import Path
from typing import Any

PROCS = 2
ROUNDS = 3
TIMEOUT_S = 120


def _seed_rounds(homes: list[str], barrier: Any, out: Any) -> None:
    from adlens.analytics.demo import seed
    from adlens.config import Settings
    from adlens.runtime import Runtime

    errors: list[str] = []
    for home in homes:
        runtime = Runtime(Settings(home=Path(home)))
        barrier.wait(TIMEOUT_S)
        try:
            seed(runtime)
        except Exception as exc:
            where = traceback.extract_tb(exc.__traceback__)[-1]
            errors.append(f"{type(exc).__name__}: {exc} @ {Path(where.filename).name}:{where.lineno}")
    out.put(errors)


def test_concurrent_demo_seeding(tmp_path: Path) -> None:
    import pandas as pd

    from adlens.analytics.demo import abtest_frame, geo_frame

    homes = [tmp_path / f"home{i}" for i in range(ROUNDS)]
    ctx = mp.get_context("spawn")
    barrier, out = ctx.Barrier(PROCS), ctx.Queue()
    args = ([str(h) for h in homes], barrier, out)
    procs = [ctx.Process(target=_seed_rounds, args=args) for _ in range(PROCS)]
    for p in procs:
        p.start()
    errors = [e for _ in procs for e in out.get(timeout=TIMEOUT_S)]
    for p in procs:
        p.join(TIMEOUT_S)
    assert all(p.exitcode == 0 for p in procs), [p.exitcode for p in procs]
    assert not errors, errors
    expected = {"abtest_checkout.csv": abtest_frame(), "geo_campaign.csv": geo_frame()}
    for home in homes:
        folder = home / "demo" / "analytics"
        assert sorted(p.name for p in folder.iterdir()) == sorted(expected)  # no temp file left behind
        for name, frame in expected.items():
            got = pd.read_csv(folder / name)
            assert got.shape == frame.shape, (home, name)
            pd.testing.assert_frame_equal(got, frame, check_dtype=False)
