"""Several processes sharing one job database (``adlens serve --workers N``): one active runner, the
others on standby; submit, events and cancel work across processes; a standby takes over when the
active process dies and resumes what it left running.

The other process is this very file run as a script (``python test_jobs_shared_home.py DB``): it starts
a runner, prints ``ready <pid> <active>`` and runs jobs until told ``exit`` on stdin (or killed).
"""

from __future__ import annotations

import os
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from adlens.errors import Unavailable
from adlens.jobs import Job, JobContext, JobState, LocalJobRunner, SqliteJobStore

HERE = Path(__file__)


# -- handlers (registered in both processes) -----------------------------------------------------------


def whoami(ctx: JobContext, params: dict[str, Any]) -> dict[str, Any]:
    return {"pid": os.getpid()}


def loop(ctx: JobContext, params: dict[str, Any]) -> dict[str, Any]:
    """Runs until cancelled (checking often, reporting progress on every turn)."""
    i = 0
    while True:
        ctx.check_cancelled()
        i += 1
        ctx.progress(i, message="looping")
        time.sleep(0.01)


def steps(ctx: JobContext, params: dict[str, Any]) -> dict[str, Any]:
    """Sum 0..n-1 with a checkpoint after every step; resumes from the last checkpoint."""
    state = ctx.resume_state or {"next": 0, "sum": 0}
    start, total = state["next"], state["sum"]
    for i in range(start, params["n"]):
        ctx.check_cancelled()
        total += i
        ctx.checkpoint({"next": i + 1, "sum": total})
        ctx.progress(i + 1, params["n"])
        time.sleep(params["delay"])
    return {"sum": total, "resumed_from": start, "pid": os.getpid(), "attempt": ctx.attempt}


HANDLERS: dict[str, Callable[[JobContext, dict[str, Any]], dict[str, Any]]] = {
    "whoami": whoami,
    "loop": loop,
    "steps": steps,
}


def make_runner(db: Path | str, standby_retry: float | None = 0.3) -> LocalJobRunner:
    # A long poll: jobs from another process must be found by the cross-process signal, not the poll.
    runner = LocalJobRunner(
        db, workers=1, poll_interval=5.0, progress_interval=0.05, standby_retry=standby_retry
    )
    for kind, handler in HANDLERS.items():
        runner.register(kind, handler)
    return runner


def child_main(db: str) -> None:
    runner = make_runner(db)
    runner.start()
    print(f"ready {os.getpid()} {int(runner.active)}", flush=True)
    for line in sys.stdin:
        if line.strip() == "active":
            print(int(runner.active), flush=True)
        elif line.strip() == "exit":
            break
    runner.close()
    print("closed", flush=True)


# -- helpers -------------------------------------------------------------------------------------------


class Child:
    """Another process with its own runner on ``db``."""

    def __init__(self, db: Path) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, str(HERE), str(db)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        word, pid, active = self.proc.stdout.readline().split()
        assert word == "ready" and int(pid) == self.proc.pid
        self.started_active = active == "1"

    @property
    def pid(self) -> int:
        return self.proc.pid

    def ask(self, command: str) -> str:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        return self.proc.stdout.readline().strip()

    def kill9(self) -> None:
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


@pytest.fixture
def child(tmp_path: Path) -> Iterator[Child]:
    c = Child(tmp_path / "jobs.sqlite3")
    yield c
    c.stop()


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


# -- tests ---------------------------------------------------------------------------------------------


def test_second_process_is_standby_and_its_jobs_run_in_the_active_one(child: Child, tmp_path: Path) -> None:
    assert child.started_active
    standby = make_runner(tmp_path / "jobs.sqlite3")
    try:
        standby.start()  # no error: the other process holds the lock
        assert standby.standby and not standby.active
        assert standby.status() == {"role": "standby", "workers": 1, "active_pid": child.pid}
        latencies = []
        for _ in range(5):
            job = standby.submit("whoami", {})
            done = wait_terminal(standby, job.id)
            assert done.state is JobState.DONE and done.result == {"pid": child.pid}
            assert done.started_at is not None
            latencies.append(done.started_at - done.created_at)
        events = standby.events(job.id)
        assert [e.data.get("state") for e in events if e.type == "state"] == ["queued", "running", "done"]
        assert [e.type for e in events][-2:] == ["result", "state"]
        # the active runner found each job through the cross-process signal, long before its 5 s poll
        assert max(latencies) < 1.0, latencies
        print(f"submit→running across processes: median {statistics.median(latencies) * 1000:.0f} ms")
        assert standby.standby and not standby.active and child.ask("active") == "1"
    finally:
        standby.close()


def test_cancel_from_the_standby_stops_a_job_running_in_the_active_process(
    child: Child, tmp_path: Path
) -> None:
    standby = make_runner(tmp_path / "jobs.sqlite3")
    standby.start()
    try:
        job = standby.submit("loop", {})
        wait_for(lambda: (standby.get(job.id).done or 0) >= 5, what="the loop to run")
        time.sleep(1.0)  # several standby lock retries: it must not touch the running job
        running = standby.get(job.id)
        assert running.state is JobState.RUNNING and running.attempt == 1
        assert not any(e.data.get("reason") for e in standby.events(job.id))
        asked = time.monotonic()
        assert standby.cancel(job.id).state is JobState.RUNNING  # cooperative
        final = wait_terminal(standby, job.id, timeout=5)
        took = time.monotonic() - asked
        assert final.state is JobState.CANCELLED and final.result is None and final.error is None
        assert took < 2.0, took
        print(f"cancel across processes took {took * 1000:.0f} ms")
        assert standby.events(job.id)[-1].data == {"state": "cancelled"}
    finally:
        standby.close()


def test_standby_takes_over_when_the_active_process_dies_and_resumes_its_job(
    child: Child, tmp_path: Path
) -> None:
    standby = make_runner(tmp_path / "jobs.sqlite3")
    standby.start()
    try:
        n = 400
        job = standby.submit("steps", {"n": n, "delay": 0.01})
        wait_for(lambda: (standby.get(job.id).done or 0) >= 5, what="progress in the active process")
        child.kill9()
        assert standby.get(job.id).state is JobState.RUNNING  # left behind by the dead process
        killed = time.monotonic()
        wait_for(lambda: standby.active, timeout=5, what="the standby to become active")
        print(f"takeover after kill -9 took {(time.monotonic() - killed) * 1000:.0f} ms")
        assert not standby.standby and standby.status()["active_pid"] == os.getpid()
        final = wait_terminal(standby, job.id, timeout=20)
        assert final.state is JobState.DONE and final.attempt == 2
        assert final.result is not None and final.result["sum"] == sum(range(n))
        assert final.result["pid"] == os.getpid() and final.result["resumed_from"] >= 5
        states = [e.data for e in standby.events(job.id) if e.type == "state"]
        assert states[2] == {"state": "queued", "reason": "resumed after restart"}
        assert states[3:] == [{"state": "running", "attempt": 2}, {"state": "done"}]
    finally:
        standby.close()


def test_graceful_exit_hands_the_job_over(child: Child, tmp_path: Path) -> None:
    standby = make_runner(tmp_path / "jobs.sqlite3")
    standby.start()
    try:
        job = standby.submit("steps", {"n": 300, "delay": 0.01})
        wait_for(lambda: (standby.get(job.id).done or 0) >= 3, what="progress in the active process")
        assert child.ask("exit") == "closed"  # shutdown re-queues the running job, then frees the lock
        wait_for(lambda: standby.active, timeout=5, what="the standby to become active")
        final = wait_terminal(standby, job.id, timeout=20)
        assert final.state is JobState.DONE and final.attempt == 2
        assert final.result is not None and final.result["pid"] == os.getpid()
        reasons = [e.data.get("reason") for e in standby.events(job.id) if e.type == "state"]
        assert "runner shutdown" in reasons and "resumed after restart" not in reasons
    finally:
        standby.close()


def test_without_standby_retry_another_process_lock_is_an_error(child: Child, tmp_path: Path) -> None:
    runner = make_runner(tmp_path / "jobs.sqlite3", standby_retry=None)
    try:
        with pytest.raises(Unavailable, match="another job runner"):
            runner.start()
        assert not runner.active and not runner.standby
    finally:
        runner.close()


def test_single_process_behaviour_is_unchanged(tmp_path: Path) -> None:
    runner = make_runner(tmp_path / "jobs.sqlite3")
    assert not runner.active
    runner.start()
    try:
        assert runner.active and not runner.standby
        assert wait_terminal(runner, runner.submit("whoami", {}).id).result == {"pid": os.getpid()}
        twin = make_runner(tmp_path / "jobs.sqlite3")
        try:  # a second runner of the same process on the same database is a mistake, not a standby
            with pytest.raises(Unavailable, match="this process"):
                twin.start()
            assert not twin.standby
        finally:
            twin.close()
        runner.shutdown()
        assert not runner.active and runner.status() == {"role": "stopped", "workers": 1, "active_pid": None}
        runner.start()  # restartable
        assert runner.status()["role"] == "active"
        assert runner.active
        assert wait_terminal(runner, runner.submit("whoami", {}).id).state is JobState.DONE
    finally:
        runner.close()
    assert not runner.active


def test_orphan_whose_cancel_was_requested_is_cancelled_not_resumed(tmp_path: Path) -> None:
    store = SqliteJobStore(tmp_path / "jobs.sqlite3")
    try:
        keep, _ = store.insert("steps", {}, None)
        drop, _ = store.insert("steps", {}, None)
        assert store.claim(["steps"]) is not None and store.claim(["steps"]) is not None
        store.request_cancel(drop.id)  # asked while its process was dying
        assert store.requeue_orphans() == [keep.id]
        assert store.get(keep.id).state is JobState.QUEUED
        assert store.get(drop.id).state is JobState.CANCELLED and store.get(drop.id).finished_at
        assert store.events(drop.id)[-1].data == {"state": "cancelled"}
        # the same for a job re-queued by a runner shutdown
        claimed = store.claim(["steps"])
        assert claimed is not None and claimed[0].id == keep.id
        store.request_cancel(keep.id)
        store.requeue(keep.id, "runner shutdown")
        assert store.get(keep.id).state is JobState.CANCELLED
        last_seq = store.last_seq(keep.id)
        store.requeue(keep.id, "runner shutdown")  # not running: no change, no event
        assert store.last_seq(keep.id) == last_seq
    finally:
        store.close()


if __name__ == "__main__":
    child_main(sys.argv[1])
