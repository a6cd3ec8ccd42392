"""Processes opening one store file at the same moment (server workers starting together) all succeed.

Switching a connection to WAL can answer "database is locked" at once, without waiting for the busy
timeout, while another process is opening the same file (CI saw it: a worker failed to start)."""

from __future__ import annotations

import multiprocessing as mp
import time
from pathlib import Path
from typing import Any

PROCS = 3
ROUNDS = 60


def _open_rounds(folder: str, me: int, start: float, out: Any) -> None:
    from adlens.store import EmbeddedStore

    failures = []
    for r in range(ROUNDS):
        path = Path(folder) / f"s{r % 6}.sqlite"  # fresh files first, then files other rounds created
        while time.time() < start + 0.15 * r:  # every process opens at the same moment
            pass
        try:
            EmbeddedStore(path).close()
        except Exception as exc:
            failures.append(f"{type(exc).__name__}: {exc}")
    out.put((me, failures))


def test_processes_opening_one_store_together_all_succeed(tmp_path: Path) -> None:
    ctx = mp.get_context("spawn")
    out = ctx.Queue()
    start = time.time() + 3.0
    procs = [ctx.Process(target=_open_rounds, args=(str(tmp_path), me, start, out)) for me in range(PROCS)]
    for p in procs:
        p.start()
    results = [out.get(timeout=120) for _ in range(PROCS)]
    for p in procs:
        p.join(60)
    failures = [f for _, fs in results for f in fs]
    assert not failures, failures[:5]
