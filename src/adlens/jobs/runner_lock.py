"""The runner lock: which process of those sharing a job database runs the handlers.

An exclusive ``flock`` on ``<db>.runner.lock`` (released by the kernel when the process dies, so a
standby can take over), with the holder's pid written into the file for health checks.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import threading
from pathlib import Path

from adlens.errors import Unavailable

# Lock files held by a runner of this process: lock path -> pid (a forked child inherits the dict, not
# the role, hence the pid).
_HELD_LOCKS: dict[str, int] = {}
_HELD_GUARD = threading.Lock()


class RunnerLock:
    def __init__(self, db_path: Path) -> None:
        self.db_path = db_path
        self.path = db_path.with_name(db_path.name + ".runner.lock")
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def try_acquire(self) -> bool:
        """Take the lock if free. Raises ``Unavailable`` if a runner of this process holds it."""
        if self._fd is not None:
            return True
        key = str(self.path.absolute())
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            with _HELD_GUARD:
                ours = _HELD_LOCKS.get(key) == os.getpid()
            if ours:
                raise Unavailable(
                    f"another job runner of this process is already working on {self.db_path.name}"
                ) from None
            return False
        with _HELD_GUARD:
            _HELD_LOCKS[key] = os.getpid()
        self._fd = fd
        with contextlib.suppress(OSError):  # informative only: who runs the jobs
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        return True

    def release(self) -> None:
        if self._fd is not None:
            with _HELD_GUARD:
                _HELD_LOCKS.pop(str(self.path.absolute()), None)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def holder_pid(self) -> int | None:
        """The pid of the process holding the lock (this one's when held here), or None if free."""
        if self._fd is not None:
            return os.getpid()
        try:
            fd = os.open(self.path, os.O_RDWR)
        except OSError:
            return None
        try:
            try:  # a free lock means nobody runs the jobs (a pid left in the file is stale)
                fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                text = os.pread(fd, 32, 0).decode(errors="replace").strip()
                return int(text) if text.isdigit() else None
            fcntl.flock(fd, fcntl.LOCK_UN)
            return None
        finally:
            os.close(fd)


__all__ = ["RunnerLock"]
