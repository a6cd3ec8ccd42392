"""The app factory of a server worker process (``adlens serve --workers N``).

Uvicorn starts each worker with ``spawn``: nothing of the parent's objects survives, so the parent
passes what it decided (demo, bind address, log level) through ``ADLENS_*`` environment variables
and each worker builds its settings, logging and runtime from them. Workers share ``ADLENS_HOME``:
the store, job state, caches and model files are all multi-process safe (docs/architecture.md).
"""

from __future__ import annotations

import os

from fastapi import FastAPI

from adlens.api.app import create_app
from adlens.config import get_settings
from adlens.observability import configure_logging

LOG_LEVEL_ENV = "ADLENS_SERVE_LOG_LEVEL"


def worker_app() -> FastAPI:
    """A fresh application for this worker process (uvicorn ``factory=True``)."""
    configure_logging(os.environ.get(LOG_LEVEL_ENV, "INFO").upper())
    return create_app(get_settings())


__all__ = ["LOG_LEVEL_ENV", "worker_app"]
