"""An exclusive lock across processes: ``flock`` on a lock file (created if missing).

Used wherever several processes sharing ``ADLENS_HOME`` (server workers, the CLI) must not do the
same one-off work at once: model export, database migration, index writes, data moves.
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["file_lock"]


@contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``path`` for the duration of the block (blocking)."""
    with path.open("a+") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
