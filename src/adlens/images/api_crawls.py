"""REST endpoints of crawls (included by :mod:`adlens.images.api`) and the ``images.crawl`` job kind.

* ``POST /crawls`` ``{"url", "limit", "depth", "render", "same_domain"}`` → 202 ``{"crawl_id", "job_id",
  "status"}``; 403 for a forbidden URL (private address, non-http scheme), 422 for a malformed one,
  429 when ``settings.images_max_crawls`` (``ADLENS_IMAGES_MAX_CRAWLS``) crawls are already queued or running.
  Progress: ``GET /jobs/{job_id}/events`` (counters ``pages``, ``images_found``, ``images_embedded``,
  ``errors``).
* ``GET /crawls``, ``GET /crawls/{crawl_id}``, ``DELETE /crawls/{crawl_id}``.
* ``GET /images/thumbs/{content_hash}``: the stored ≤ 320 px JPEG thumbnail.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field

from adlens.api.deps import get_runtime
from adlens.cli.output import to_jsonable
from adlens.errors import InvalidInput, NotFound
from adlens.fetch import UrlGuard
from adlens.images.crawl import (
    JOB_KIND,
    MAX_DEPTH,
    MAX_LIMIT,
    CrawlOptions,
    CrawlRegistry,
    new_crawl_id,
    run_crawl,
)
from adlens.images.thumbs import check_hash, thumb_path
from adlens.runtime import Runtime

router = APIRouter(tags=["images"])
_CRAWL_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


class CrawlRequest(BaseModel):
    url: str = Field(..., min_length=1, max_length=2048, description="Start page (http or https).")
    limit: int = Field(50, ge=1, le=MAX_LIMIT, description="At most this many pages are fetched.")
    depth: int = Field(2, ge=0, le=MAX_DEPTH, description="Link hops from the start page.")
    render: bool = Field(False, description="Render pages in Chromium (JavaScript-inserted images).")
    same_domain: bool = Field(True, description="Follow links to the start page's host only.")


def check_crawl_id(crawl_id: str) -> str:
    if not _CRAWL_ID.match(crawl_id):
        raise InvalidInput(f"invalid crawl id {crawl_id!r}")
    return crawl_id


def crawl_handler(runtime: Runtime) -> Any:
    """The ``images.crawl`` job handler: ``params = {"crawl_id", "options"}``."""

    def handler(ctx: Any, params: dict[str, Any]) -> dict[str, Any]:
        options = CrawlOptions.from_dict(dict(params["options"]))
        return run_crawl(runtime, options, ctx, crawl_id=str(params["crawl_id"])).to_dict()

    return handler


def on_startup(runtime: Runtime) -> None:
    """Register the crawl job kind (before the runner starts, so interrupted crawls resume)."""
    if JOB_KIND not in runtime.jobs.kinds:
        runtime.jobs.register(JOB_KIND, crawl_handler(runtime))


@router.post("/crawls", status_code=202)
async def start_crawl(body: CrawlRequest, runtime: Runtime = Depends(get_runtime)) -> dict[str, Any]:
    options = CrawlOptions(
        url=body.url, limit=body.limit, depth=body.depth, render=body.render, same_domain=body.same_domain
    ).validate()
    await UrlGuard(allow_private_networks=runtime.settings.allow_private_networks).vet(options.url)
    registry = CrawlRegistry(runtime)
    crawl_id = new_crawl_id()
    registry.reserve(crawl_id, options)  # atomic across server worker processes (429 when full)
    try:
        job = runtime.jobs.submit(JOB_KIND, {"crawl_id": crawl_id, "options": options.to_dict()})
    except BaseException:
        registry.store.delete(crawl_id)
        raise
    registry.store.update(crawl_id, job_id=job.id)
    return {"crawl_id": crawl_id, "job_id": job.id, "status": "queued", "options": options.to_dict()}


@router.get("/crawls")
def list_crawls(
    limit: int = Query(100, ge=1, le=1000), runtime: Runtime = Depends(get_runtime)
) -> dict[str, Any]:
    return {"crawls": to_jsonable(CrawlRegistry(runtime).list(limit))}


@router.get("/crawls/{crawl_id}")
def get_crawl(crawl_id: str, runtime: Runtime = Depends(get_runtime)) -> Any:
    return to_jsonable(CrawlRegistry(runtime).get(check_crawl_id(crawl_id)))


@router.delete("/crawls/{crawl_id}")
def delete_crawl(crawl_id: str, runtime: Runtime = Depends(get_runtime)) -> Any:
    return to_jsonable(CrawlRegistry(runtime).delete(check_crawl_id(crawl_id)))


@router.get("/images/thumbs/{content_hash}", response_class=FileResponse)
def get_thumbnail(content_hash: str, runtime: Runtime = Depends(get_runtime)) -> FileResponse:
    path = thumb_path(runtime.settings.data_dir, check_hash(content_hash.lower()))
    if not path.is_file():
        raise NotFound(f"no thumbnail for {content_hash}")
    return FileResponse(path, media_type="image/jpeg", headers={"Cache-Control": "public, max-age=86400"})


@router.get("/images/demo-site/{path:path}", response_class=FileResponse)
def get_demo_site_file(path: str) -> FileResponse:
    """The shipped demo site (package data), so links of the seeded ``demo`` crawl keep working."""
    from adlens.images.demo import demo_site_file

    return FileResponse(demo_site_file(path))


__all__ = ["CrawlRequest", "check_crawl_id", "crawl_handler", "on_startup", "router"]
