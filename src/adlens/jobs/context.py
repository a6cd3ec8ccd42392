"""The :class:`JobContext` handed to handlers by :class:`~adlens.jobs.runner.LocalJobRunner`."""

from __future__ import annotations

import threading
import time
from typing import Any

from adlens.errors import InvalidInput
from adlens.jobs.base import Job, JobCancelled
from adlens.jobs.sqlite_state import SqliteJobStore

MAX_LOG_CHARS = 2000


class LocalJobContext:
    """Progress is persisted at most every ``min_interval`` seconds; a pending value is always flushed
    (by the runner's flusher thread, and before any log/checkpoint/outcome so events stay in order)."""

    def __init__(
        self,
        store: SqliteJobStore,
        job: Job,
        resume_state: dict[str, Any] | None,
        *,
        stop: threading.Event,
        min_interval: float = 0.2,
        cancel_check_interval: float = 0.5,
    ) -> None:
        self.job_id = job.id
        self.attempt = job.attempt
        self.resume_state = resume_state
        self._store = store
        self._stop = stop
        self._cancel = threading.Event()
        self._min_interval = min_interval
        self._cancel_check_interval = cancel_check_interval
        self._lock = threading.Lock()
        self._done, self._total, self._message = job.done, job.total, job.message
        self._counters: dict[str, float] = dict(job.counters)
        self._pending = False
        self._last_write = 0.0
        self._last_cancel_check = time.monotonic()

    # -- cancellation ------------------------------------------------------------------------------

    def request_cancel(self) -> None:
        """Called by the runner when a user cancels this (running) job."""
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        """True once a cancel was requested (here or by another process) or the runner is shutting down."""
        if self._cancel.is_set() or self._stop.is_set():
            return True
        now = time.monotonic()
        if now - self._last_cancel_check >= self._cancel_check_interval:
            self._last_cancel_check = now
            if self._store.cancel_requested(self.job_id):
                self._cancel.set()
        return self._cancel.is_set()

    @property
    def interrupted_by_shutdown(self) -> bool:
        """The stop came from a runner shutdown, not a user: the job is re-queued, not cancelled."""
        return self._stop.is_set() and not self._cancel.is_set()

    def check_cancelled(self) -> None:
        if self.cancelled:
            raise JobCancelled(self.job_id)

    # -- reporting ---------------------------------------------------------------------------------

    def progress(
        self, done: int | None = None, total: int | None = None, message: str | None = None, **counters: float
    ) -> None:
        for name, value in (("done", done), ("total", total)):
            if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
                raise InvalidInput(f"progress {name} must be a non-negative integer, got {value!r}")
        for counter, number in counters.items():
            if not isinstance(number, int | float) or isinstance(number, bool) or number != number:
                raise InvalidInput(f"progress counter {counter!r} must be a number, got {number!r}")
        with self._lock:
            if done is not None:
                self._done = done
            if total is not None:
                self._total = total
            if message is not None:
                self._message = message[:MAX_LOG_CHARS]
            self._counters.update(counters)
            self._pending = True
            if time.monotonic() - self._last_write >= self._min_interval:
                self._write_locked()

    def flush(self, *, only_if_due: bool = False) -> None:
        """Persist a pending progress update (``only_if_due``: respect the write interval)."""
        with self._lock:
            if not self._pending:
                return
            if only_if_due and time.monotonic() - self._last_write < self._min_interval:
                return
            self._write_locked()

    def _write_locked(self) -> None:
        self._store.progress(self.job_id, self._done, self._total, self._message, dict(self._counters))
        self._pending = False
        self._last_write = time.monotonic()

    def log(self, msg: str) -> None:
        self.flush()
        self._store.log(self.job_id, str(msg)[:MAX_LOG_CHARS])

    def checkpoint(self, state: dict[str, Any]) -> None:
        if not isinstance(state, dict):
            raise InvalidInput(f"checkpoint state must be a dict, got {type(state).__name__}")
        self.flush()
        self._store.checkpoint(self.job_id, state)


__all__ = ["LocalJobContext"]
