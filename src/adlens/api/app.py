"""The FastAPI application factory: core routes, every available application, the web UI."""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI
from fastapi.middleware.cors import CORSMiddleware

from adlens import __version__
from adlens.api.middleware import ApiKeyMiddleware, RequestContextMiddleware
from adlens.api.problems import install_problem_handlers
from adlens.api.routes import health, jobs
from adlens.api.web import install_web
from adlens.apps import APPS
from adlens.config import Settings, get_settings
from adlens.demo import JOB_KIND as DEMO_JOB
from adlens.demo import register_demo_job
from adlens.runtime import Runtime

log = logging.getLogger("adlens.api")
SERVE_STARTED_ENV = "ADLENS_SERVE_STARTED"  # set by ``adlens serve``: when the server (all workers) started


def create_app(settings: Settings | None = None, runtime: Runtime | None = None) -> FastAPI:
    settings = settings or get_settings()
    runtime = runtime or Runtime(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Handlers must be registered before the runner starts, so resumed jobs find them.
        register_demo_job(runtime)
        for hook in app.state.startup_hooks:
            hook(runtime)
        runtime.jobs.start()
        if settings.demo and not _demo_seeded(runtime):
            # queued or running already (another worker): the dedupe key makes this a no-op
            runtime.jobs.submit(DEMO_JOB, {}, dedupe_key="demo-seed")
        log.info("adlens %s ready", __version__)
        try:
            yield
        finally:
            fetcher = runtime._objects.get("fetcher")
            if fetcher is not None and hasattr(fetcher, "aclose"):
                await fetcher.aclose()
                runtime._objects.pop("fetcher", None)
            runtime.close()

    app = FastAPI(
        title="adlens",
        version=__version__,
        description="Self-hosted multimodal ad intelligence.",
        lifespan=lifespan,
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    app.state.runtime = runtime
    app.state.settings = settings
    app.state.startup_hooks = []

    install_problem_handlers(app)

    api = APIRouter(prefix="/api/v1")
    api.include_router(health.router)
    api.include_router(jobs.router)
    for info in APPS:
        if info.has_api:
            api.include_router(info.load("api", "router"))
            hook = _optional(info, "api", "on_startup")
            if hook is not None:
                app.state.startup_hooks.append(hook)
    app.include_router(api)
    install_web(app)

    # Middleware order: the last added runs first.
    if settings.api_key is not None and settings.api_key.get_secret_value():
        app.add_middleware(ApiKeyMiddleware, api_key=settings.api_key.get_secret_value())
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["*"],
            allow_headers=["*"],
            expose_headers=["X-Request-ID"],
        )
    app.add_middleware(RequestContextMiddleware)
    return app


def _demo_seeded(runtime: Runtime) -> bool:
    """A seeding job finished since this server started (several workers start at once; one that
    starts later must not queue it again). The seeders are idempotent, so a seed from an earlier
    server run is done again, cheaply."""
    started = float(os.environ.get(SERVE_STARTED_ENV, "inf"))
    return any(
        job.finished_at is not None and job.finished_at >= started
        for job in runtime.jobs.list(kind=DEMO_JOB, state="done", limit=5)
    )


def _optional(info: object, module: str, attr: str) -> object | None:
    try:
        return info.load(module, attr)  # type: ignore[attr-defined]
    except (AttributeError, ImportError):
        return None


__all__ = ["create_app"]
