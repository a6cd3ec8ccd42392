"""REST endpoints of the contextual application (mounted under ``/api/v1``).

- ``POST /analyze`` ``{"url", "render", "taxonomy", "top_k"}`` → the analysis (categories, brand safety,
  OpenRTB, Prebid); problem+json for bad URLs (422), refused addresses (403), pages answering 4xx/5xx
  (502), non-HTML (415) and empty pages (422).
- ``POST /analyze/batch`` ``{"urls", "render", "taxonomy", "top_k", "concurrency"}`` → 202 and a job
  (``contextual.batch``): follow ``/jobs/{id}/events`` (SSE), read the per-URL results in the job result.
- ``GET /context?url=…[&taxonomy=]`` → the precomputed bid-time answer (200), or 202
  ``{"status": "pending", "segments": []}`` at once while an analysis is queued.
- the taxonomy endpoints of :mod:`adlens.contextual.api_taxonomy`.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from adlens.api.deps import get_runtime
from adlens.cli.output import to_jsonable
from adlens.contextual.analyze import MAX_TOP_K, analyze_url, canonical_taxonomy
from adlens.contextual.batch import (
    DEFAULT_CONCURRENCY,
    JOB_KIND,
    MAX_BATCH_URLS,
    MAX_CONCURRENCY,
    batch_handler,
    check_batch_params,
)
from adlens.contextual.context_cache import get_context_cache, pending_body
from adlens.contextual.demo import demo_file, demo_pages, demo_url
from adlens.contextual.taxonomy import TAXONOMIES
from adlens.errors import InvalidInput
from adlens.runtime import Runtime

log = logging.getLogger(__name__)

__all__ = ["AnalyzeRequest", "BatchRequest", "health", "on_startup", "router"]

router = APIRouter(tags=["contextual"])

try:  # the taxonomy endpoints live in their own module
    from adlens.contextual.api_taxonomy import router as _taxonomy_router

    router.include_router(_taxonomy_router)
except ImportError:  # pragma: no cover - only while the module is missing
    log.warning("adlens.contextual.api_taxonomy is missing: no taxonomy endpoints")

_JSON = "application/json"


class AnalyzeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: str = Field(..., min_length=1, max_length=2048, description="http(s) URL of the page.")
    render: bool = Field(False, description="Render with Chromium (otherwise only when the page needs it).")
    taxonomy: str = Field("iab-3.1", description="Taxonomy version, see GET /taxonomies.")
    top_k: int = Field(10, ge=1, le=MAX_TOP_K)
    use_cache: bool = Field(True, description="Reuse a cached analysis of the same URL.")


class BatchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    urls: list[str] = Field(..., min_length=1, max_length=MAX_BATCH_URLS)
    render: bool = False
    taxonomy: str = "iab-3.1"
    top_k: int = Field(10, ge=1, le=MAX_TOP_K)
    concurrency: int = Field(DEFAULT_CONCURRENCY, ge=1, le=MAX_CONCURRENCY)
    use_cache: bool = True


@router.post("/analyze")
async def analyze(body: AnalyzeRequest, runtime: Runtime = Depends(get_runtime)) -> Any:
    result = await run_in_threadpool(
        analyze_url,
        runtime,
        body.url,
        render=body.render,
        taxonomy=body.taxonomy,
        top_k=body.top_k,
        use_cache=body.use_cache,
    )
    get_context_cache(runtime).put(result)  # every analysis also answers bid-time lookups
    return result


@router.post("/analyze/batch", status_code=202)
def analyze_batch(body: BatchRequest, runtime: Runtime = Depends(get_runtime)) -> Any:
    params = check_batch_params(body.model_dump())
    job = runtime.jobs.submit(JOB_KIND, params)
    return {"job": to_jsonable(job), "events": f"/api/v1/jobs/{job.id}/events"}


def _queue_analysis(runtime: Runtime, url: str, taxonomy: str, key: str) -> None:
    try:
        dedupe = "ctx:" + hashlib.sha256(key.encode()).hexdigest()[:32]
        params = check_batch_params({"urls": [url], "taxonomy": taxonomy, "concurrency": 1})
        runtime.jobs.submit(JOB_KIND, params, dedupe_key=dedupe)
    except Exception:  # never let a background submit fail the (already answered) request
        log.exception("could not queue the analysis of %s", url)
        get_context_cache(runtime).forget_pending(key)


_CONTEXT_PARAMS = {
    "parameters": [
        {"name": "url", "in": "query", "required": True, "schema": {"type": "string", "maxLength": 2048}},
        {
            "name": "taxonomy",
            "in": "query",
            "required": False,
            "schema": {"type": "string", "default": "iab-3.1"},
        },
    ]
}


@router.get("/context", openapi_extra=_CONTEXT_PARAMS, status_code=200)
async def context(request: Request) -> Response:
    """Bid-time lookup: the cached answer (200), or 202 pending without segments; never waits for analysis.

    The query is read by hand (no validation model) to keep the hit path to a dict lookup."""
    runtime: Runtime = request.app.state.runtime
    query = request.query_params
    url = query.get("url")
    if not url:
        raise InvalidInput("the url query parameter is required")
    taxonomy = query.get("taxonomy") or "iab-3.1"
    if taxonomy not in TAXONOMIES:
        taxonomy = canonical_taxonomy(taxonomy)
    cache = get_context_cache(runtime)
    key = cache.key(url, taxonomy)
    body = cache.get(key)
    if body is not None:
        return Response(body, media_type=_JSON)
    if cache.mark_pending(key):
        asyncio.get_running_loop().run_in_executor(None, _queue_analysis, runtime, url, taxonomy, key)
    return Response(pending_body(key.split("|", 1)[1]), status_code=202, media_type=_JSON)


@router.get("/contextual/demo-pages")
def list_demo_pages(runtime: Runtime = Depends(get_runtime)) -> dict[str, Any]:
    """The demo pages this server ships; ``url`` is the address ``adlens serve --demo`` precomputed (it is
    read from the package, so it works whatever port the server runs on)."""
    return {"pages": [{**p, "url": demo_url(runtime.settings, p)} for p in demo_pages()]}


@router.get("/contextual/demo-pages/{name:path}", include_in_schema=False)
def get_demo_page(name: str) -> Response:
    data, kind = demo_file(name)
    return Response(data, media_type=kind, headers={"Cache-Control": "public, max-age=3600"})


def on_startup(runtime: Runtime) -> None:
    """Register the batch job kind (before the job runner starts, so resumed jobs find it) and build the
    bid-time cache now, so that no lookup ever waits on the runtime's build lock."""
    if JOB_KIND not in runtime.jobs.kinds:
        runtime.jobs.register(JOB_KIND, batch_handler(runtime))
    get_context_cache(runtime)


def health(runtime: Runtime) -> dict[str, Any]:
    out: dict[str, Any] = {"ok": True, "job_kinds": [JOB_KIND]}
    if runtime.is_loaded("contextual.context_cache"):
        out["context_cache"] = get_context_cache(runtime).stats()
    return out
