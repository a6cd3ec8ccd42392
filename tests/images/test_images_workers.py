"""Crawl state shared by several server worker processes (``adlens serve --workers N``).

Real processes ("spawn") race on the same files:

* creating the crawl database: round after round a brand-new file; a barrier makes sure every process
  is ready, then all spin until the round's common start time, so their calls overlap to within
  microseconds (a barrier alone wakes them ~1 ms apart, longer than the window raced for). The files
  live on tmpfs when there is one: the rounds are faster, so more of them fit in a few seconds.
  Without the lock, 46-155 of the 800 calls failed with "database is locked" (4 runs).
* the crawl limit: for a few seconds each process takes the only crawl slot, counts the active crawls
  and finishes its crawl; without the atomic check-and-insert both processes hold the slot within a
  second or two.
"""

from __future__ import annotations

import multiprocessing as mp
import queue
import sqlite3
import tempfile
import time
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

PROCS = 2  # the test machine has 2 cores: more would not run at the same moment
ROUNDS = 400
STEP_S = 0.012  # one round every STEP_S seconds (or as soon as the slowest process is ready)
TIMEOUT_S = 60


@pytest.fixture()
def fast_dir(tmp_path: Path) -> Iterator[Path]:
    """A fresh directory on tmpfs (``/dev/shm``) when there is one, else ``tmp_path``."""
    shm = Path("/dev/shm")
    if not shm.is_dir():
        yield tmp_path
        return
    with tempfile.TemporaryDirectory(dir=shm, prefix="adlens-test-") as d:
        yield Path(d)


def _describe(exc: BaseException) -> str:
    where = traceback.extract_tb(exc.__traceback__)[-1]
    return f"{type(exc).__name__}: {exc} @ {Path(where.filename).name}:{where.lineno}"


def _open_store_rounds(dirs: list[str], start: Any, barrier: Any, out: Any) -> None:
    """Each round: create the crawl database of a brand-new directory at the same moment as the others.

    Puts the list of failures (empty when every call succeeded).
    """
    from adlens.images.crawl_state import CrawlStore

    if barrier.wait(TIMEOUT_S) == 0:  # all started: one of them sets the common start time
        start.value = time.time() + 0.05
    barrier.wait(TIMEOUT_S)
    failures = []
    for i, d in enumerate(dirs):
        barrier.wait(TIMEOUT_S)
        target = start.value + i * STEP_S
        while time.time() < target:  # spin: sleeping would wake the processes at different moments
            pass
        try:
            CrawlStore.for_data_dir(Path(d))
        except Exception as exc:
            failures.append(_describe(exc))
    out.put(failures)


def _reserve_churn(home: str, seconds: float, barrier: Any, out: Any) -> None:
    """For ``seconds``: take a crawl slot (the ``POST /crawls`` path), count the active crawls, finish it.

    Puts ``(slots taken, most active crawls seen)``; with a limit of 1, more than one active crawl means
    two processes were both granted the last slot.
    """
    from adlens.config import Settings
    from adlens.errors import RateLimited
    from adlens.images.crawl import CrawlOptions, CrawlRegistry, new_crawl_id
    from adlens.images.crawl_state import ACTIVE
    from adlens.runtime import Runtime

    registry = CrawlRegistry(Runtime(Settings(home=Path(home), images_max_crawls=1)))
    options = CrawlOptions(url="https://a.example/").validate()
    taken = most = 0
    barrier.wait(TIMEOUT_S)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        crawl_id = new_crawl_id()
        try:
            registry.reserve(crawl_id, options)
        except RateLimited:
            continue
        taken += 1
        most = max(most, len(registry.store.rows(1000, ACTIVE)))
        registry.store.update(crawl_id, status="done")
    out.put((taken, most))


def _run(target: Any, args: tuple[Any, ...], n_results: int) -> list[Any]:
    """Run ``target(*args, barrier, queue)`` in PROCS processes; return what they put on the queue."""
    ctx = mp.get_context("spawn")
    barrier, out = ctx.Barrier(PROCS), ctx.Queue()
    procs = [ctx.Process(target=target, args=(*args, barrier, out)) for _ in range(PROCS)]
    for p in procs:
        p.start()
    results: list[Any] = []
    deadline = time.monotonic() + TIMEOUT_S
    try:
        while len(results) < n_results:
            try:
                results.append(out.get(timeout=0.5))
            except queue.Empty:
                dead = [p.exitcode for p in procs if p.exitcode not in (None, 0)]
                assert not dead, f"worker exit codes {dead}"
                assert time.monotonic() < deadline, "workers timed out"
    finally:
        for p in procs:
            p.join(TIMEOUT_S)
            if p.is_alive():
                p.kill()
    assert all(p.exitcode == 0 for p in procs), [p.exitcode for p in procs]
    return results


def test_processes_creating_the_crawl_database_together_all_succeed(fast_dir: Path) -> None:
    dirs = [str(fast_dir / f"round{i}") for i in range(ROUNDS)]
    start = mp.get_context("spawn").Value("d", 0.0)
    failures = [f for per_proc in _run(_open_store_rounds, (dirs, start), PROCS) for f in per_proc]
    assert not failures, f"{len(failures)} of {PROCS * ROUNDS} calls failed: {failures[:3]}"
    for d in dirs[:5]:
        db = sqlite3.connect(Path(d) / "images" / "crawls.sqlite3")
        try:
            assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
            assert db.execute("SELECT COUNT(*) FROM crawls").fetchone()[0] == 0
        finally:
            db.close()


def test_crawl_limit_holds_across_processes(tmp_path: Path) -> None:
    from adlens.images.crawl_state import CrawlStore

    home = tmp_path / "home"
    CrawlStore.for_data_dir(home / "data")  # created beforehand: this test races for crawl slots only
    results = _run(_reserve_churn, (str(home), 3.0), PROCS)
    assert max(most for _, most in results) == 1, f"(slots taken, most active crawls seen): {results}"
    assert all(taken > 0 for taken, _ in results), results
