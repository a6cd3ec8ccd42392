"""Jobs seam: long work with progress events, cancel and resume (``LocalJobRunner`` on SQLite)."""

from adlens.jobs.base import (
    ACTIVE_STATES,
    TERMINAL_STATES,
    Handler,
    Job,
    JobCancelled,
    JobContext,
    JobEvent,
    JobRunner,
    JobState,
)
from adlens.jobs.context import LocalJobContext
from adlens.jobs.runner import LocalJobRunner
from adlens.jobs.sqlite_state import SqliteJobStore

__all__ = [
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
]
