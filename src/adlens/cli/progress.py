"""Run a job handler in the CLI process with a progress bar (the same handler the server runs).

:class:`CliJobContext` satisfies :class:`adlens.jobs.JobContext`: application services are written
once against that protocol and report progress to the job runner (API, web UI) or to the terminal.
Ctrl-C cancels cooperatively: the handler stops at its next ``check_cancelled()`` and what it
stored stays stored.
"""

from __future__ import annotations

import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from adlens.cli.output import err_console
from adlens.jobs import JobCancelled


class CliJobContext:
    def __init__(self, progress: Progress | None, task: Any, *, resume_state: dict[str, Any] | None = None):
        self.job_id = f"cli-{uuid.uuid4().hex[:12]}"
        self.attempt = 1
        self.resume_state = resume_state
        self.last_checkpoint: dict[str, Any] | None = None
        self.counters: dict[str, float] = {}
        self.logs: list[str] = []
        self._progress = progress
        self._task = task
        self._cancelled = False

    @property
    def cancelled(self) -> bool:
        return self._cancelled

    def cancel(self) -> None:
        self._cancelled = True

    def check_cancelled(self) -> None:
        if self._cancelled:
            raise JobCancelled(self.job_id)

    def progress(
        self, done: int | None = None, total: int | None = None, message: str | None = None, **counters: float
    ) -> None:
        self.counters.update(counters)
        if self._progress is None:
            return
        extra = " ".join(f"{k}={v:g}" for k, v in self.counters.items())
        description = " · ".join(x for x in (message, extra) if x)
        self._progress.update(self._task, completed=done, total=total, description=description or "working")

    def log(self, msg: str) -> None:
        self.logs.append(msg)
        if self._progress is not None:
            self._progress.console.log(msg, markup=False, highlight=False)

    def checkpoint(self, state: dict[str, Any]) -> None:
        self.last_checkpoint = dict(state)


@contextmanager
def cli_job(description: str, *, quiet: bool = False) -> Iterator[CliJobContext]:
    """A job context for the terminal; a bar on stderr unless ``quiet`` (e.g. ``--json``) or not a TTY."""
    show = not quiet and sys.stderr.isatty()
    if not show:
        yield CliJobContext(None, None)
        return
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    ) as bar:
        task = bar.add_task(description, total=None)
        ctx = CliJobContext(bar, task)
        try:
            yield ctx
        except KeyboardInterrupt:
            ctx.cancel()
            raise


__all__ = ["CliJobContext", "cli_job"]
