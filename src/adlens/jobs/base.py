"""Job seam: the types and the two small protocols (``JobRunner`` and ``JobContext``).

A *job* is long work (crawl a site, embed a catalogue) run by a handler in the background. Its state,
progress and an append-only list of events are persisted, so the API can poll or stream them (SSE),
and a job interrupted by a crash is resumed from its last checkpoint.
"""

from __future__ import annotations

import builtins
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal, Protocol, runtime_checkable


class JobState(StrEnum):
    """Lifecycle: ``queued → running → done | failed | cancelled`` (``running → queued`` on resume)."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def terminal(self) -> bool:
        return self in TERMINAL_STATES


TERMINAL_STATES: frozenset[JobState] = frozenset({JobState.DONE, JobState.FAILED, JobState.CANCELLED})
ACTIVE_STATES: frozenset[JobState] = frozenset({JobState.QUEUED, JobState.RUNNING})

EventType = Literal["state", "progress", "log", "error", "result"]
EVENT_TYPES: tuple[str, ...] = ("state", "progress", "log", "error", "result")


class JobCancelled(Exception):
    """Raised by :meth:`JobContext.check_cancelled` inside a handler to stop cooperatively."""


@dataclass(frozen=True, slots=True)
class Job:
    """A snapshot of one job. ``error`` is a one-line message for users (never a traceback)."""

    id: str
    kind: str
    params: dict[str, Any]
    state: JobState
    done: int | None = None
    total: int | None = None
    counters: dict[str, float] = field(default_factory=dict)
    message: str | None = None
    result: dict[str, Any] | None = None
    error: str | None = None
    created_at: float = 0.0
    started_at: float | None = None
    finished_at: float | None = None
    attempt: int = 0
    dedupe_key: str | None = None

    @property
    def terminal(self) -> bool:
        return self.state.terminal

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able view (for the API and CLI)."""
        return {
            "id": self.id,
            "kind": self.kind,
            "params": self.params,
            "state": self.state.value,
            "progress": {"done": self.done, "total": self.total},
            "counters": self.counters,
            "message": self.message,
            "result": self.result,
            "error": self.error,
            "created_at": self.created_at,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "attempt": self.attempt,
            "dedupe_key": self.dedupe_key,
        }


@dataclass(frozen=True, slots=True)
class JobEvent:
    """One entry of a job's append-only event log; ``seq`` starts at 1 and increases by 1 per job."""

    job_id: str
    seq: int
    type: EventType
    data: dict[str, Any]
    ts: float

    @property
    def is_terminal(self) -> bool:
        """True for the ``state`` event that moves the job to done/failed/cancelled (the last event)."""
        return self.type == "state" and self.data.get("state") in {s.value for s in TERMINAL_STATES}

    def to_dict(self) -> dict[str, Any]:
        return {"job_id": self.job_id, "seq": self.seq, "type": self.type, "data": self.data, "ts": self.ts}


@runtime_checkable
class JobContext(Protocol):
    """What a running handler can do: report progress, log, checkpoint, notice cancellation."""

    job_id: str
    attempt: int
    resume_state: dict[str, Any] | None
    """The last :meth:`checkpoint` of a previous attempt (``None`` on a first run)."""

    @property
    def cancelled(self) -> bool: ...

    def check_cancelled(self) -> None:
        """Raise :class:`JobCancelled` if cancellation (or runner shutdown) was requested."""
        ...

    def progress(
        self, done: int | None = None, total: int | None = None, message: str | None = None, **counters: float
    ) -> None: ...

    def log(self, msg: str) -> None: ...

    def checkpoint(self, state: dict[str, Any]) -> None:
        """Persist a JSON-able resume point now (atomically)."""
        ...


Handler = Callable[[JobContext, dict[str, Any]], dict[str, Any] | None]
"""``handler(ctx, params) -> result dict``; runs in a worker thread."""


@runtime_checkable
class JobRunner(Protocol):
    """Runs registered handlers in the background and records their state and events."""

    def register(self, kind: str, handler: Handler) -> None: ...

    def submit(self, kind: str, params: dict[str, Any], *, dedupe_key: str | None = None) -> Job: ...

    def get(self, job_id: str) -> Job: ...

    def list(
        self, kind: str | None = None, state: JobState | str | None = None, limit: int = 50
    ) -> builtins.list[Job]: ...

    def cancel(self, job_id: str) -> Job: ...

    def events(self, job_id: str, after_seq: int = 0) -> builtins.list[JobEvent]: ...

    def stream(self, job_id: str, after_seq: int = 0) -> AsyncIterator[JobEvent]: ...

    def start(self) -> None:
        """Start running handlers, or (another process already does) stand by to take over."""
        ...

    @property
    def active(self) -> bool:
        """True while this runner runs handlers (False before ``start()``, on standby, after shutdown)."""
        ...

    def shutdown(self, wait: bool = True) -> None: ...


__all__ = [
    "ACTIVE_STATES",
    "EVENT_TYPES",
    "TERMINAL_STATES",
    "EventType",
    "Handler",
    "Job",
    "JobCancelled",
    "JobContext",
    "JobEvent",
    "JobRunner",
    "JobState",
]
