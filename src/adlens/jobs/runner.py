"""``LocalJobRunner``: handlers in worker threads, state and events in SQLite, resume after a crash."""

from __future__ import annotations

import asyncio
import builtins
import logging
import re
import threading
import time
import traceback
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from adlens.errors import AdlensError, InvalidInput, Unavailable
from adlens.jobs.base import Handler, Job, JobCancelled, JobEvent, JobState
from adlens.jobs.context import LocalJobContext
from adlens.jobs.runner_lock import RunnerLock
from adlens.jobs.sqlite_state import SqliteJobStore

if TYPE_CHECKING:
    from adlens.config import Settings

log = logging.getLogger(__name__)

_KIND_RE = re.compile(r"^[a-z0-9][a-z0-9_.:-]{0,63}$")
MAX_LIST_LIMIT = 1000
MAX_ERROR_CHARS = 500


def user_message(exc: BaseException) -> str:
    """One line for users: an adlens error's message, else ``Type: message`` (no traceback)."""
    text = exc.message if isinstance(exc, AdlensError) else f"{type(exc).__name__}: {exc}".rstrip(": ")
    line = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
    return line[:MAX_ERROR_CHARS]


class LocalJobRunner:
    """In-process job runner (the embedded default of the ``jobs`` seam).

    Reads (``get``/``list``/``events``/``stream``) and ``submit``/``cancel``/``purge`` work without
    ``start()``, from any process sharing ``db_path``. Only one process at a time runs handlers on a
    database: ``start()`` takes a lock file (so that it can safely re-queue jobs a dead process left
    ``running``). When another *process* holds it, the runner starts in standby (``active`` is False): it
    submits, reads and cancels, runs nothing, and retries the lock every ``standby_retry`` seconds; once it
    gets it (the active process exited) it re-queues the orphans and starts its workers. With
    ``standby_retry=None``, or when another runner of the *same* process holds the lock, ``start()`` raises
    :class:`~adlens.errors.Unavailable` instead.

    The active runner notices jobs submitted by other processes within about ``progress_interval / 2``
    (a cheap ``PRAGMA data_version`` check) and at the latest after ``poll_interval``; a running handler
    notices a cancel requested by another process at its next check, at most ``cancel_check_interval``
    seconds after it was stored.
    """

    def __init__(
        self,
        db_path: str | Path,
        workers: int = 2,
        *,
        poll_interval: float = 0.5,
        progress_interval: float = 0.2,
        cancel_check_interval: float = 0.5,
        standby_retry: float | None = 2.0,
    ) -> None:
        if workers < 1:
            raise InvalidInput(f"workers must be >= 1, got {workers}")
        for name, value in (
            ("poll_interval", poll_interval),
            ("progress_interval", progress_interval),
            ("cancel_check_interval", cancel_check_interval),
            ("standby_retry", 1.0 if standby_retry is None else standby_retry),
        ):
            if not value > 0:
                raise InvalidInput(f"{name} must be > 0, got {value!r}")
        self.db_path = Path(db_path)
        self.workers = workers
        self._store = SqliteJobStore(self.db_path)
        self._handlers: dict[str, Handler] = {}
        self._poll_interval = poll_interval
        self._progress_interval = progress_interval
        self._cancel_check_interval = cancel_check_interval
        self._standby_retry = standby_retry
        self._wake = threading.Condition()
        self._wake_gen = 0  # bumped by every wake-up, so that none is lost between a claim and a wait
        self._stop = threading.Event()
        self._state_lock = threading.Lock()  # guards _threads, _standby_thread and the lock file
        self._threads: builtins.list[threading.Thread] = []
        self._standby_thread: threading.Thread | None = None
        self._active: dict[str, LocalJobContext] = {}
        self._active_lock = threading.Lock()
        self._runner_lock = RunnerLock(self.db_path)

    @classmethod
    def from_settings(cls, settings: Settings) -> LocalJobRunner:
        return cls(settings.data_dir / "jobs.sqlite3", workers=settings.job_workers)

    # -- registry and submission -------------------------------------------------------------------

    def register(self, kind: str, handler: Handler) -> None:
        if not isinstance(kind, str) or not _KIND_RE.match(kind):
            raise InvalidInput(f"invalid job kind {kind!r}: use 1-64 of a-z 0-9 _ . : -")
        if not callable(handler):
            raise InvalidInput(f"handler for job kind {kind!r} is not callable")
        self._handlers[kind] = handler
        self._notify()

    @property
    def kinds(self) -> builtins.list[str]:
        return sorted(self._handlers)

    def submit(self, kind: str, params: dict[str, Any], *, dedupe_key: str | None = None) -> Job:
        """Queue a job. With ``dedupe_key``, an active (queued/running) job of the same kind and key is
        returned instead of a new one."""
        if kind not in self._handlers:
            known = ", ".join(self.kinds) or "none registered"
            raise InvalidInput(f"unknown job kind {kind!r} (known: {known})")
        if not isinstance(params, dict):
            raise InvalidInput(f"job params must be an object, got {type(params).__name__}")
        if dedupe_key is not None and (not isinstance(dedupe_key, str) or not dedupe_key):
            raise InvalidInput("dedupe_key must be a non-empty string")
        job, created = self._store.insert(kind, params, dedupe_key)
        if created:
            self._notify()
        return job

    # -- reads -------------------------------------------------------------------------------------

    def get(self, job_id: str) -> Job:
        return self._store.get(job_id)

    def list(
        self, kind: str | None = None, state: JobState | str | None = None, limit: int = 50
    ) -> builtins.list[Job]:
        if state is not None:
            try:
                state = JobState(state)
            except ValueError:
                allowed = ", ".join(s.value for s in JobState)
                raise InvalidInput(f"unknown job state {state!r} (one of: {allowed})") from None
        if not isinstance(limit, int) or not 1 <= limit <= MAX_LIST_LIMIT:
            raise InvalidInput(f"limit must be between 1 and {MAX_LIST_LIMIT}, got {limit!r}")
        return self._store.list(kind, state, limit)

    def events(self, job_id: str, after_seq: int = 0) -> builtins.list[JobEvent]:
        if not isinstance(after_seq, int) or after_seq < 0:
            raise InvalidInput(f"after_seq must be a non-negative integer, got {after_seq!r}")
        return self._store.events(job_id, after_seq)

    def error_debug(self, job_id: str) -> str | None:
        """The traceback of a failed job, for operators (never shown to users)."""
        return self._store.error_debug(job_id)

    def purge(self, older_than_s: float) -> int:
        """Delete jobs that finished more than ``older_than_s`` seconds ago, with their events."""
        if not isinstance(older_than_s, int | float) or older_than_s < 0:
            raise InvalidInput(f"older_than_s must be a non-negative number, got {older_than_s!r}")
        return self._store.purge(time.time() - older_than_s)

    async def stream(
        self, job_id: str, after_seq: int = 0, *, poll_interval: float = 0.1
    ) -> AsyncIterator[JobEvent]:
        """Yield events as they are recorded; end after the terminal ``state`` event (or at once if the
        job already finished before ``after_seq``). Raises ``NotFound`` for an unknown id."""
        seq = after_seq
        while True:
            batch = self.events(job_id, seq)
            for event in batch:
                yield event
                seq = event.seq
                if event.is_terminal:
                    return
            if not batch:
                if self._store.get(job_id).terminal and self._store.last_seq(job_id) <= seq:
                    return
                await asyncio.sleep(poll_interval)

    # -- control -----------------------------------------------------------------------------------

    def cancel(self, job_id: str) -> Job:
        """Queued: cancelled at once. Running: flagged; the handler stops at its next check (in another
        process: its next check after at most ``cancel_check_interval``). Finished: no-op."""
        job = self._store.request_cancel(job_id)
        if job.state is JobState.RUNNING:
            with self._active_lock:
                ctx = self._active.get(job_id)
            if ctx is not None:
                ctx.request_cancel()
        return job

    @property
    def active(self) -> bool:
        """True while this runner holds the lock and runs handlers (False before ``start()``, in standby
        and after ``shutdown()``)."""
        return self._runner_lock.held and bool(self._threads) and not self._stop.is_set()

    @property
    def standby(self) -> bool:
        """True while this runner waits for the active runner of another process to go away."""
        thread = self._standby_thread
        return thread is not None and thread.is_alive() and not self._stop.is_set()

    def status(self) -> dict[str, Any]:
        """For health checks: this runner's role, and the pid of the process running the jobs (if any)."""
        role = "active" if self.active else "standby" if self.standby else "stopped"
        return {"role": role, "workers": self.workers, "active_pid": self._runner_lock.holder_pid()}

    def start(self) -> None:
        """Take the runner lock, re-queue jobs a dead process left running, start the workers; or, when
        another process holds the lock, start in standby (see the class docstring)."""
        previous = self._standby_thread
        if previous is not None and self._stop.is_set():
            previous.join()  # ends promptly once stopped; joined outside the state lock it may take
        with self._state_lock:
            if self._standby_thread is not None and not self._standby_thread.is_alive():
                self._standby_thread = None
            if self._threads and self._stop.is_set() and not any(t.is_alive() for t in self._threads):
                self._threads.clear()  # a ``shutdown(wait=False)`` that has since finished
            if self._threads or self._standby_thread is not None:
                return
            self._stop.clear()
            if self._runner_lock.try_acquire():
                try:
                    self._activate_locked()
                except BaseException:
                    self._runner_lock.release()
                    raise
                return
            if self._standby_retry is None:
                raise Unavailable(f"another job runner is already working on {self.db_path.name}")
            log.info("another process runs the jobs of %s: this runner is on standby", self.db_path.name)
            thread = threading.Thread(target=self._standby_loop, name="adlens-job-standby", daemon=True)
            self._standby_thread = thread
            thread.start()

    def shutdown(self, wait: bool = True, timeout: float | None = None) -> None:
        """Stop taking jobs. Running handlers see ``cancelled`` and, when they stop at their next check, are
        re-queued (not cancelled) to resume on the next ``start()`` (here or in a standby process).
        ``wait`` joins the workers and then releases the runner lock."""
        self._stop.set()
        self._notify()
        if not wait:
            return
        standby = self._standby_thread
        if standby is not None:
            standby.join(timeout)
        with self._state_lock:
            if self._standby_thread is not None and not self._standby_thread.is_alive():
                self._standby_thread = None
            threads = builtins.list(self._threads)
        for t in threads:
            t.join(timeout)
        with self._state_lock:
            if all(not t.is_alive() for t in self._threads):
                self._threads.clear()
                self._runner_lock.release()

    def close(self) -> None:
        """Shut down (waiting up to a minute for running handlers) and close the database."""
        self.shutdown(wait=True, timeout=60)
        self._store.close()

    def __enter__(self) -> LocalJobRunner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- internals ---------------------------------------------------------------------------------

    def _notify(self) -> None:
        with self._wake:
            self._wake_gen += 1
            self._wake.notify_all()

    def _activate_locked(self) -> None:
        """With the runner lock held (and ``_state_lock``): re-queue orphans, start workers and flusher."""
        resumed = self._store.requeue_orphans()
        if resumed:
            log.info("re-queued %d interrupted job(s) for resume", len(resumed))
        # read before the workers' first claim: any later commit by another process is seen as a change
        version = self._store.data_version()
        for i in range(self.workers):
            t = threading.Thread(target=self._work, name=f"adlens-job-worker-{i}", daemon=True)
            t.start()
            self._threads.append(t)
        flusher = threading.Thread(
            target=self._flush_loop, args=(version,), name="adlens-job-flusher", daemon=True
        )
        flusher.start()
        self._threads.append(flusher)

    def _standby_loop(self) -> None:
        assert self._standby_retry is not None
        while not self._stop.wait(self._standby_retry):
            with self._state_lock:
                if self._stop.is_set():
                    return
                try:
                    if not self._runner_lock.try_acquire():
                        continue
                    self._activate_locked()
                except Exception:  # a busy database or a same-process holder: try again later
                    log.exception("standby job runner could not take over; retrying")
                    self._runner_lock.release()
                    continue
                log.info("this runner is now the active job runner of %s", self.db_path.name)
                return

    def _work(self) -> None:
        while not self._stop.is_set():
            with self._wake:
                gen = self._wake_gen
            try:
                claimed = self._store.claim(self.kinds)
            except Exception:  # a locked/busy database must not kill the worker
                log.exception("could not claim a job; retrying")
                claimed = None
            if claimed is None:
                with self._wake:
                    if self._wake_gen == gen:  # nothing happened since before the claim
                        self._wake.wait(self._poll_interval)
                continue
            self._run(*claimed)

    def _flush_loop(self, version: int | None) -> None:
        """Persist due progress; wake idle workers when another process committed (e.g. a submit)."""
        while not self._stop.wait(self._progress_interval / 2):
            try:
                current = self._store.data_version()
            except Exception:
                log.exception("could not read the job database version")
                current = None
            if current is not None and version is not None and current != version:
                self._notify()
            version = current
            with self._active_lock:
                contexts = builtins.list(self._active.values())
            for ctx in contexts:
                try:
                    ctx.flush(only_if_due=True)
                except Exception:
                    log.exception("could not persist progress of job %s", ctx.job_id)

    def _run(self, job: Job, resume_state: dict[str, Any] | None) -> None:
        ctx = LocalJobContext(
            self._store,
            job,
            resume_state,
            stop=self._stop,
            min_interval=self._progress_interval,
            cancel_check_interval=self._cancel_check_interval,
        )
        with self._active_lock:
            self._active[job.id] = ctx
        try:
            self._execute(ctx, job)
        finally:
            with self._active_lock:
                self._active.pop(job.id, None)

    def _execute(self, ctx: LocalJobContext, job: Job) -> None:
        handler = self._handlers[job.kind]
        try:
            result = handler(ctx, job.params)
            if result is None:
                result = {}
            if not isinstance(result, dict):
                raise InvalidInput(f"job handler returned {type(result).__name__}, expected a dict")
            ctx.flush()
            self._store.finish(job.id, JobState.DONE, result=result)
        except JobCancelled:
            ctx.flush()
            if ctx.interrupted_by_shutdown:
                self._store.requeue(job.id, "runner shutdown")
            else:
                self._store.finish(job.id, JobState.CANCELLED)
        except Exception as exc:
            debug = traceback.format_exc()
            log.warning("job %s (%s) failed: %s", job.id, job.kind, user_message(exc), exc_info=True)
            try:
                ctx.flush()
            except Exception:
                log.exception("could not persist final progress of job %s", job.id)
            self._store.finish(job.id, JobState.FAILED, error=user_message(exc), debug=debug)


__all__ = ["LocalJobRunner", "user_message"]
