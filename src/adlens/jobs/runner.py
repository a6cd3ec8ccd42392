"""``LocalJobRunner``: handlers in worker threads, state and events in SQLite, resume after a crash."""

from __future__ import annotations

import asyncio
import builtins
import fcntl
import logging
import os
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

    Reads (``get``/``list``/``events``/``stream``) and ``submit``/``cancel`` work without ``start()``, from
    any process sharing ``db_path``; only one process at a time may ``start()`` workers on a database
    (a lock file guards it), so that ``start()`` can safely re-queue jobs a dead process left ``running``.
    """

    def __init__(
        self,
        db_path: str | Path,
        workers: int = 2,
        *,
        poll_interval: float = 0.5,
        progress_interval: float = 0.2,
    ) -> None:
        if workers < 1:
            raise InvalidInput(f"workers must be >= 1, got {workers}")
        self.db_path = Path(db_path)
        self.workers = workers
        self._store = SqliteJobStore(self.db_path)
        self._handlers: dict[str, Handler] = {}
        self._poll_interval = poll_interval
        self._progress_interval = progress_interval
        self._wake = threading.Condition()
        self._stop = threading.Event()
        self._threads: builtins.list[threading.Thread] = []
        self._active: dict[str, LocalJobContext] = {}
        self._active_lock = threading.Lock()
        self._lock_fd: int | None = None

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
        """Queued: cancelled at once. Running: flagged; the handler stops at its next check. Finished: no-op."""
        job = self._store.request_cancel(job_id)
        if job.state is JobState.RUNNING:
            with self._active_lock:
                ctx = self._active.get(job_id)
            if ctx is not None:
                ctx.request_cancel()
        return job

    def start(self) -> None:
        """Take the runner lock, re-queue jobs a dead process left running, start the workers."""
        if self._threads:
            return
        self._acquire_lock()
        self._stop.clear()
        resumed = self._store.requeue_orphans()
        if resumed:
            log.info("re-queued %d interrupted job(s) for resume", len(resumed))
        for i in range(self.workers):
            t = threading.Thread(target=self._work, name=f"adlens-job-worker-{i}", daemon=True)
            t.start()
            self._threads.append(t)
        flusher = threading.Thread(target=self._flush_loop, name="adlens-job-flusher", daemon=True)
        flusher.start()
        self._threads.append(flusher)

    def shutdown(self, wait: bool = True, timeout: float | None = None) -> None:
        """Stop taking jobs. Running handlers see ``cancelled`` and, when they stop at their next check, are
        re-queued (not cancelled) to resume on the next ``start()``. ``wait`` joins the workers."""
        self._stop.set()
        self._notify()
        if not wait:
            return
        for t in self._threads:
            t.join(timeout)
        if all(not t.is_alive() for t in self._threads):
            self._threads.clear()
            self._release_lock()

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
            self._wake.notify_all()

    def _acquire_lock(self) -> None:
        path = self.db_path.with_name(self.db_path.name + ".runner.lock")
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise Unavailable(f"another job runner is already working on {self.db_path.name}") from None
        self._lock_fd = fd

    def _release_lock(self) -> None:
        if self._lock_fd is not None:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
            os.close(self._lock_fd)
            self._lock_fd = None

    def _work(self) -> None:
        while not self._stop.is_set():
            try:
                claimed = self._store.claim(self.kinds)
            except Exception:  # a locked/busy database must not kill the worker
                log.exception("could not claim a job; retrying")
                claimed = None
            if claimed is None:
                with self._wake:
                    self._wake.wait(self._poll_interval)
                continue
            self._run(*claimed)

    def _flush_loop(self) -> None:
        while not self._stop.wait(self._progress_interval / 2):
            with self._active_lock:
                contexts = builtins.list(self._active.values())
            for ctx in contexts:
                try:
                    ctx.flush(only_if_due=True)
                except Exception:
                    log.exception("could not persist progress of job %s", ctx.job_id)

    def _run(self, job: Job, resume_state: dict[str, Any] | None) -> None:
        ctx = LocalJobContext(
            self._store, job, resume_state, stop=self._stop, min_interval=self._progress_interval
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
