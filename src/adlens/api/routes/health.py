"""``GET /api/v1/health``: what is loaded, what is reachable, which versions run."""

from __future__ import annotations

import importlib.metadata
import os
import platform
from typing import Any

from fastapi import APIRouter, Depends

from adlens import __version__
from adlens.api.deps import get_runtime
from adlens.apps import APPS
from adlens.runtime import Runtime

router = APIRouter(tags=["system"])

_PACKAGES = ("onnxruntime", "torch", "fastapi", "faiss-cpu", "xllamacpp", "playwright", "pymilvus", "redis")


def _versions() -> dict[str, str | None]:
    out: dict[str, str | None] = {"adlens": __version__, "python": platform.python_version()}
    for name in _PACKAGES:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            out[name] = None
    return out


def _store_status(runtime: Runtime) -> dict[str, Any]:
    try:
        store = runtime.store
        collections = store.list_collections()
        return {"ok": True, "backend": runtime.settings.store_backend, "collections": len(collections)}
    except Exception as exc:
        return {"ok": False, "backend": runtime.settings.store_backend, "error": str(exc)[:200]}


def _cache_status(runtime: Runtime) -> dict[str, Any]:
    try:
        return {"ok": True, "backend": runtime.settings.cache_backend, "stats": runtime.cache.stats()}
    except Exception as exc:
        return {"ok": False, "backend": runtime.settings.cache_backend, "error": str(exc)[:200]}


def _app_health(info: Any, runtime: Runtime) -> dict[str, Any]:
    """An application may report its own state through ``adlens.<app>.api.health(runtime)``."""
    if not info.has_api:
        return {}
    try:
        hook = info.load("api", "health")
    except (AttributeError, ImportError):
        return {}
    try:
        return {"health": hook(runtime)}
    except Exception as exc:
        return {"health": {"ok": False, "error": str(exc)[:200]}}


@router.get("/health")
def health(runtime: Runtime = Depends(get_runtime)) -> dict[str, Any]:
    store = _store_status(runtime)
    cache = _cache_status(runtime)
    loaded = runtime.loaded()
    status = "ok" if store["ok"] and cache["ok"] else "degraded"
    return {
        "status": status,
        "version": __version__,
        "models": {k: v for k, v in loaded.items() if k in ("text_embedder", "image_embedder", "llm")},
        "model_loaded": loaded["text_embedder"],
        "database_connected": store["ok"],
        "store": store,
        "cache": cache,
        "auth": runtime.settings.api_key is not None,
        # which worker answered (``adlens serve --workers N``): models, caches and counters are per process
        "worker": {"pid": os.getpid(), "jobs_active": bool(getattr(runtime.jobs, "active", True))},
        "apps": [{**a.describe(), **_app_health(a, runtime)} for a in APPS],
        "versions": _versions(),
    }
