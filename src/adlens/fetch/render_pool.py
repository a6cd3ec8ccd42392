"""Pre-warmed, single-use browser contexts for :mod:`adlens.fetch.rendered`.

Opening a context and its first tab costs a renderer process start (0.2–0.7 s on a busy machine),
which used to sit on every render's critical path. :class:`ContextPool` keeps a few contexts ready
(created in the background, routing already installed) and closes used ones in the background.
Isolation is unchanged: every render still gets a context no other page has used, and is closed
afterwards.

A spare's route handler serves nothing until a render claims it (``Lease.state`` is ``None`` → every
request is aborted), so a warm context can never fetch on its own.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from playwright.async_api import BrowserContext
from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Page as Tab


@dataclass
class Lease:
    """One context and its blank tab; ``state`` is set by the render that claims it."""

    context: BrowserContext
    tab: Tab
    state: Any = None


class ContextPool:
    """Hands out fresh contexts, keeping up to ``spares`` created ahead of time."""

    def __init__(self, create: Callable[[], Awaitable[Lease]], *, spares: int = 1) -> None:
        self._create = create
        self.spares = max(0, spares)
        self._ready: deque[asyncio.Task[Lease]] = deque()
        self._closing: set[asyncio.Task[None]] = set()
        self._closed = False

    async def acquire(self) -> Lease:
        """A context nobody used before: a warm spare when one is ready, else a new one."""
        lease: Lease | None = None
        while lease is None and self._ready:
            task = self._ready.popleft()
            try:
                lease = await asyncio.shield(task)
            except PlaywrightError:
                continue  # the browser went away meanwhile: try the next spare or create one
            except asyncio.CancelledError:
                task.add_done_callback(self._discard_spare)  # the caller timed out: close it when ready
                raise
        if lease is None:
            lease = await self._create()
        self._refill()
        return lease

    def release(self, lease: Lease) -> None:
        """Close a used context in the background (off the caller's critical path)."""
        lease.state = None
        self._spawn_close(lease.context)

    async def aclose(self) -> None:
        """Close spares and wait for pending closes."""
        self._closed = True
        while self._ready:
            task = self._ready.popleft()
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, PlaywrightError):
                lease = await task
                await _close(lease.context)
        if self._closing:
            await asyncio.gather(*self._closing, return_exceptions=True)

    def _refill(self) -> None:
        while not self._closed and len(self._ready) < self.spares:
            self._ready.append(asyncio.ensure_future(self._create()))

    def _discard_spare(self, task: asyncio.Task[Lease]) -> None:
        if not task.cancelled() and task.exception() is None:
            self._spawn_close(task.result().context)

    def _spawn_close(self, context: BrowserContext) -> None:
        task = asyncio.ensure_future(_close(context))
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)


async def _close(context: BrowserContext) -> None:
    with contextlib.suppress(PlaywrightError):
        await context.close()


__all__ = ["ContextPool", "Lease"]
