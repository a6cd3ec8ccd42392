"""LocalJobRunner against a real SQLite file: events, cancel, failure, dedupe, stream, concurrency, resume."""

from __future__ import annotations

import asyncio
import importlib.util
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import adlens.jobs
from adlens.errors import InvalidInput, NotFound, Unavailable
from adlens.jobs import Job, JobContext, JobEvent, JobRunner, JobState, LocalJobRunner

HERE = Path(__file__).parent


def _load_child() -> Any:
    spec = importlib.util.spec_from_file_location("jobs_crash_child", HERE / "jobs_crash_child.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def wait_for(pred: Callable[[], bool], timeout: float = 10.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def wait_terminal(runner: LocalJobRunner, job_id: str, timeout: float = 10.0) -> Job:
    wait_for(lambda: runner.get(job_id).terminal, timeout, f"job {job_id} to finish")
    return runner.get(job_id)


def count_handler(ctx: JobContext, params: dict[str, Any]) -> dict[str, Any]:
    n = params["n"]
    for i in range(n):
        ctx.check_cancelled()
        ctx.progress(i + 1, n, message=f"item {i}", seen=i + 1)
        time.sleep(params.get("delay", 0))
    ctx.log("finished counting")
    return {"counted": n}


@pytest.fixture
def runner(tmp_path: Path) -> Iterator[LocalJobRunner]:
    r = LocalJobRunner(tmp_path / "jobs.sqlite3", workers=2, poll_interval=0.1, progress_interval=0.05)
    r.register("count", count_handler)
    yield r
    r.close()


def test_public_api() -> None:
    assert set(adlens.jobs.__all__) == {
        "ACTIVE_STATES",
        "TERMINAL_STATES",
        "Handler",
        "Job",
        "JobCancelled",
        "JobContext",
        "JobEvent",
        "JobRunner",
        "JobState",
        "LocalJobContext",
        "LocalJobRunner",
        "SqliteJobStore",
    }


def test_runner_satisfies_protocol(runner: LocalJobRunner) -> None:
    assert isinstance(runner, JobRunner)


def test_progress_events_in_order(runner: LocalJobRunner) -> None:
    runner.start()
    job = runner.submit("count", {"n": 40, "delay": 0.002})
    assert job.state is JobState.QUEUED and job.attempt == 0
    done = wait_terminal(runner, job.id)
    assert done.state is JobState.DONE
    assert done.result == {"counted": 40}
    assert (done.done, done.total, done.counters, done.message) == (40, 40, {"seen": 40}, "item 39")
    assert done.attempt == 1 and done.started_at and done.finished_at and done.finished_at >= done.started_at

    events = runner.events(job.id)
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    types = [e.type for e in events]
    assert types[:2] == ["state", "state"] and [e.data["state"] for e in events[:2]] == ["queued", "running"]
    assert types[-3:] == ["log", "result", "state"] and events[-1].data == {"state": "done"}
    assert events[-1].is_terminal and not any(e.is_terminal for e in events[:-1])
    progress = [e.data for e in events if e.type == "progress"]
    # throttled (fewer writes than calls) but the last value is always persisted
    assert 1 <= len(progress) < 40
    assert progress[-1]["done"] == 40
    assert [p["done"] for p in progress] == sorted(p["done"] for p in progress)
    assert runner.events(job.id, after_seq=events[-2].seq) == [events[-1]]


def test_cancel_queued_job_never_runs(runner: LocalJobRunner) -> None:
    ran = threading.Event()
    runner.register("probe", lambda ctx, params: ran.set() or {})
    job = runner.submit("probe", {})
    cancelled = runner.cancel(job.id)
    assert cancelled.state is JobState.CANCELLED and cancelled.finished_at
    runner.start()
    time.sleep(0.3)
    assert not ran.is_set()
    assert runner.get(job.id).state is JobState.CANCELLED
    assert runner.events(job.id)[-1].data == {"state": "cancelled"}
    assert runner.cancel(job.id).state is JobState.CANCELLED  # idempotent


def test_cancel_running_job_keeps_what_it_stored(runner: LocalJobRunner) -> None:
    started = threading.Event()

    def slow(ctx: JobContext, params: dict[str, Any]) -> dict[str, Any]:
        for i in range(10_000):
            ctx.check_cancelled()
            ctx.progress(i + 1, 10_000)
            ctx.checkpoint({"next": i + 1})
            started.set()
            time.sleep(0.01)
        return {}

    runner.register("slow", slow)
    runner.start()
    job = runner.submit("slow", {})
    assert started.wait(5)
    assert runner.cancel(job.id).state is JobState.RUNNING  # cooperative: still running until the next check
    final = wait_terminal(runner, job.id)
    assert final.state is JobState.CANCELLED
    assert final.result is None and final.error is None
    assert final.done is not None and final.done >= 1
    assert runner._store.checkpoint_of(job.id)["next"] >= 1
    assert runner.events(job.id)[-1].data == {"state": "cancelled"}


def test_cancel_from_another_process_handle(runner: LocalJobRunner, tmp_path: Path) -> None:
    """A second runner object (own SQLite connection, not started) cancels a job running in the first."""
    started = threading.Event()

    def loop(ctx: JobContext, params: dict[str, Any]) -> dict[str, Any]:
        started.set()
        while True:
            ctx.check_cancelled()
            time.sleep(0.01)

    runner.register("loop", loop)
    runner.start()
    job = runner.submit("loop", {})
    assert started.wait(5)
    other = LocalJobRunner(tmp_path / "jobs.sqlite3")
    try:
        other.cancel(job.id)
        assert wait_terminal(runner, job.id).state is JobState.CANCELLED
    finally:
        other.close()


def test_failure_is_recorded_without_traceback(runner: LocalJobRunner) -> None:
    def broken(ctx: JobContext, params: dict[str, Any]) -> dict[str, Any]:
        ctx.progress(1, 2)
        raise ValueError("bad row 7\nsecond line with internals")

    def rejects(ctx: JobContext, params: dict[str, Any]) -> dict[str, Any]:
        raise InvalidInput("column 'url' is missing")

    runner.register("broken", broken)
    runner.register("rejects", rejects)
    runner.start()
    failed = wait_terminal(runner, runner.submit("broken", {}).id)
    assert failed.state is JobState.FAILED
    assert failed.error == "ValueError: bad row 7"
    assert "Traceback" not in failed.error and failed.result is None
    debug = runner.error_debug(failed.id)
    assert debug is not None and "Traceback" in debug and "bad row 7" in debug
    events = runner.events(failed.id)
    assert [e.type for e in events[-2:]] == ["error", "state"]
    assert events[-2].data == {"message": "ValueError: bad row 7"}
    assert events[-1].data == {"state": "failed"}
    assert wait_terminal(runner, runner.submit("rejects", {}).id).error == "column 'url' is missing"


def test_non_json_result_fails_cleanly(runner: LocalJobRunner) -> None:
    runner.register("weird", lambda ctx, params: {"x": object()})
    runner.start()
    job = wait_terminal(runner, runner.submit("weird", {}).id)
    assert job.state is JobState.FAILED and "JSON" in (job.error or "")


def test_bad_input_gets_clear_errors(runner: LocalJobRunner) -> None:
    with pytest.raises(InvalidInput, match="unknown job kind 'nope'"):
        runner.submit("nope", {})
    with pytest.raises(InvalidInput, match="JSON"):
        runner.submit("count", {"n": {1, 2}})
    with pytest.raises(InvalidInput):
        runner.submit("count", ["not", "a", "dict"])  # type: ignore[arg-type]
    with pytest.raises(InvalidInput):
        runner.register("Bad Kind!", count_handler)
    with pytest.raises(InvalidInput, match="unknown job state"):
        runner.list(state="sleeping")
    with pytest.raises(InvalidInput):
        runner.list(limit=0)
    with pytest.raises(NotFound):
        runner.get("missing")
    with pytest.raises(NotFound):
        runner.events("missing")
    with pytest.raises(NotFound):
        runner.cancel("missing")


def test_list_filters(runner: LocalJobRunner) -> None:
    runner.register("other", lambda ctx, params: {})
    a = runner.submit("count", {"n": 1})
    b = runner.submit("other", {})
    runner.cancel(b.id)
    assert [j.id for j in runner.list()] == [b.id, a.id]
    assert [j.id for j in runner.list(kind="count")] == [a.id]
    assert [j.id for j in runner.list(state="cancelled")] == [b.id]
    assert [j.id for j in runner.list(state=JobState.QUEUED, limit=1)] == [a.id]


def test_dedupe_key_while_active(runner: LocalJobRunner) -> None:
    first = runner.submit("count", {"n": 1}, dedupe_key="site:example.org")
    again = runner.submit("count", {"n": 1}, dedupe_key="site:example.org")
    other = runner.submit("count", {"n": 1}, dedupe_key="site:example.com")
    assert again.id == first.id and other.id != first.id
    runner.start()
    wait_terminal(runner, first.id)
    after = runner.submit("count", {"n": 1}, dedupe_key="site:example.org")
    assert after.id != first.id  # the first one is no longer active


def test_stream_yields_all_events_and_ends(runner: LocalJobRunner) -> None:
    runner.start()
    job = runner.submit("count", {"n": 20, "delay": 0.01})

    async def collect(after: int = 0) -> list[JobEvent]:
        return [e async for e in runner.stream(job.id, after_seq=after, poll_interval=0.02)]

    streamed = asyncio.run(asyncio.wait_for(collect(), 10))
    assert streamed == runner.events(job.id)
    assert streamed[-1].is_terminal and streamed[-1].data == {"state": "done"}
    # resuming the stream (SSE Last-Event-ID) gives the rest; past the end it ends at once
    assert asyncio.run(collect(3)) == streamed[3:]
    assert asyncio.run(asyncio.wait_for(collect(streamed[-1].seq), 2)) == []

    async def missing() -> None:
        async for _ in runner.stream("missing"):
            pass

    with pytest.raises(NotFound):
        asyncio.run(missing())


def test_two_workers_run_concurrently(runner: LocalJobRunner) -> None:
    barrier = threading.Barrier(2, timeout=5)

    def meet(ctx: JobContext, params: dict[str, Any]) -> dict[str, Any]:
        barrier.wait()  # only returns if both jobs run at the same time
        return {"worker": threading.current_thread().name}

    runner.register("meet", meet)
    runner.start()
    a, b = runner.submit("meet", {}), runner.submit("meet", {})
    ra, rb = wait_terminal(runner, a.id), wait_terminal(runner, b.id)
    assert ra.state is JobState.DONE and rb.state is JobState.DONE, (ra.error, rb.error)
    assert ra.result != rb.result


def test_only_one_started_runner_per_database(runner: LocalJobRunner, tmp_path: Path) -> None:
    runner.start()
    other = LocalJobRunner(tmp_path / "jobs.sqlite3")
    try:
        with pytest.raises(Unavailable):
            other.start()
    finally:
        other.close()


def test_shutdown_requeues_running_job_and_next_start_resumes(tmp_path: Path) -> None:
    child = _load_child()
    db = tmp_path / "jobs.sqlite3"
    first = LocalJobRunner(db, workers=1, poll_interval=0.1)
    first.register("steps", child.steps)
    first.start()
    job = first.submit("steps", {"n": 400, "delay": 0.01})
    wait_for(lambda: (first._store.checkpoint_of(job.id) or {}).get("next", 0) >= 3, what="checkpoints")
    first.shutdown(wait=True)
    assert first.get(job.id).state is JobState.QUEUED
    first.close()

    second = LocalJobRunner(db, workers=1, poll_interval=0.1)
    second.register("steps", child.steps)
    second.start()
    try:
        final = wait_terminal(second, job.id, timeout=20)
    finally:
        second.close()
    assert final.state is JobState.DONE and final.attempt == 2
    assert final.result is not None and final.result["sum"] == sum(range(400))
    assert final.result["resumed_from"] >= 3


def test_resume_after_kill_9(tmp_path: Path) -> None:
    """A child process runs a checkpointing job and is SIGKILLed; a new runner resumes and finishes it."""
    db = tmp_path / "jobs.sqlite3"
    n = 60
    proc = subprocess.Popen(
        [sys.executable, str(HERE / "jobs_crash_child.py"), str(db), str(n), "0.05"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        job_id = proc.stdout.readline().strip()
        runner = LocalJobRunner(db, workers=1, poll_interval=0.1)
        wait_for(lambda: (runner.get(job_id).done or 0) >= 5, timeout=20, what="progress in the child")
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert runner.get(job_id).state is JobState.RUNNING  # left behind by the dead process
    killed_at = runner._store.checkpoint_of(job_id)["next"]
    assert 5 <= killed_at < n

    runner.register("steps", _load_child().steps)
    runner.start()
    try:
        final = wait_terminal(runner, job_id, timeout=20)
        events = runner.events(job_id)
    finally:
        runner.close()
    assert final.state is JobState.DONE and final.attempt == 2
    assert final.result == {"sum": sum(range(n)), "resumed_from": killed_at, "attempt": 2}
    states = [e.data for e in events if e.type == "state"]
    assert states[:2] == [{"state": "queued", "attempt": 0}, {"state": "running", "attempt": 1}]
    assert states[2:] == [
        {"state": "queued", "reason": "resumed after restart"},
        {"state": "running", "attempt": 2},
        {"state": "done"},
    ]
    assert [e.seq for e in events] == list(range(1, len(events) + 1))


def test_handler_context_satisfies_protocol_and_validates(runner: LocalJobRunner) -> None:
    seen: dict[str, Any] = {}

    def probe(ctx: JobContext, params: dict[str, Any]) -> dict[str, Any]:
        seen["is_context"] = isinstance(ctx, JobContext)
        seen["resume_state"] = ctx.resume_state
        for bad in (
            lambda: ctx.progress(-1),
            lambda: ctx.progress(1, counter="x"),
            lambda: ctx.checkpoint([1]),
        ):
            try:
                bad()  # type: ignore[no-untyped-call]
            except InvalidInput:
                seen.setdefault("rejected", 0)
                seen["rejected"] += 1
        return {"ok": True}

    runner.register("probe", probe)
    runner.start()
    assert wait_terminal(runner, runner.submit("probe", {}).id).result == {"ok": True}
    assert seen == {"is_context": True, "resume_state": None, "rejected": 3}


def test_job_submitted_by_another_process_handle_is_picked_up(runner: LocalJobRunner, tmp_path: Path) -> None:
    runner.start()
    other = LocalJobRunner(tmp_path / "jobs.sqlite3")
    other.register("count", count_handler)
    try:
        job = other.submit("count", {"n": 3})  # no in-process wake-up: found by polling
        assert wait_terminal(runner, job.id).result == {"counted": 3}
    finally:
        other.close()


def test_purge_removes_old_finished_jobs_only(runner: LocalJobRunner) -> None:
    runner.register("noop", lambda ctx, params: {})
    runner.start()
    finished = wait_terminal(runner, runner.submit("noop", {}).id)
    runner.shutdown()
    queued = runner.submit("noop", {})
    assert runner.purge(3600) == 0
    time.sleep(0.05)
    assert runner.purge(0.01) == 1
    with pytest.raises(NotFound):
        runner.get(finished.id)
    with pytest.raises(NotFound):
        runner.events(finished.id)
    assert runner.get(queued.id).state is JobState.QUEUED
    assert (
        runner._store._conn.execute(
            "SELECT COUNT(*) FROM events WHERE job_id = ?", (finished.id,)
        ).fetchone()[0]
        == 0
    )
