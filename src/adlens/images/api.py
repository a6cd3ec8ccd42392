"""REST endpoints of the images application (mounted under ``/api/v1``).

* crawls and thumbnails: :mod:`adlens.images.api_crawls` (included here; ``on_startup`` re-exported);
* ``POST /images/search`` ``{"query", "crawl_id", "k", "parser": "rules"|"llm"}`` →
  ``{"parsed": {...}, "results": [{"id", "crawl_id", "image_url", "page_url", "thumb_url", "alt",
  "score", "why", "format", "width", "height"}]}``;
* ``POST /images/similar``: JSON ``{"id", "crawl_id", "k"}`` or multipart (``file`` = an image, plus the
  form fields ``crawl_id`` and ``k``) → ``{"results": [...]}``.

Unknown crawl → 404; a bad query → 422; an unreadable upload → 415; too large → 413 (problem+json).
"""

from __future__ import annotations

import weakref
from typing import Any, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from adlens.api.deps import get_runtime, read_upload
from adlens.cli.output import to_jsonable
from adlens.errors import InvalidInput
from adlens.images.api_crawls import check_crawl_id, on_startup
from adlens.images.api_crawls import router as crawls_router
from adlens.images.crawl import CrawlRegistry
from adlens.images.query import MAX_QUERY_CHARS
from adlens.images.schema import COLLECTION, ensure_collection
from adlens.images.search import MAX_K, ImageSearch
from adlens.runtime import Runtime

router = APIRouter(tags=["images"])
router.include_router(crawls_router)

_ENGINES: weakref.WeakKeyDictionary[Runtime, ImageSearch] = weakref.WeakKeyDictionary()


def engine_for(runtime: Runtime) -> ImageSearch:
    """One :class:`ImageSearch` per runtime (the collection is created if it does not exist yet)."""
    engine = _ENGINES.get(runtime)
    if engine is None:
        ensure_collection(runtime.store)
        engine = ImageSearch.from_runtime(runtime)
        _ENGINES[runtime] = engine
    return engine


def check_crawl(runtime: Runtime, crawl_id: str | None) -> str | None:
    """``None`` (all crawls) or a crawl that exists (``NotFound`` otherwise)."""
    if crawl_id is None:
        return None
    CrawlRegistry(runtime).get(check_crawl_id(crawl_id))
    return crawl_id


class SearchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    query: str = Field(..., min_length=1, max_length=MAX_QUERY_CHARS, description="What to find, in words.")
    crawl_id: str | None = Field(None, description="The crawl to search (all crawls when omitted).")
    k: int = Field(10, ge=1, le=MAX_K)
    parser: Literal["rules", "llm"] = "rules"


class SimilarRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(..., min_length=1, max_length=64, description="A result id.")
    crawl_id: str = Field(..., min_length=1, max_length=64)
    k: int = Field(10, ge=1, le=MAX_K)


@router.post("/images/search")
def search_images(body: SearchRequest, runtime: Runtime = Depends(get_runtime)) -> dict[str, Any]:
    crawl_id = check_crawl(runtime, body.crawl_id)
    resp = engine_for(runtime).search(body.query, crawl_id=crawl_id, k=body.k, parser=body.parser)
    return to_jsonable(resp.to_dict())  # type: ignore[no-any-return]


def _int_field(value: Any, default: int) -> int:
    if value in (None, ""):
        return default
    try:
        k = int(str(value))
    except ValueError:
        raise InvalidInput(f"k must be an integer, got {value!r}") from None
    if not 1 <= k <= MAX_K:
        raise InvalidInput(f"k must be between 1 and {MAX_K}")
    return k


@router.post("/images/similar")
async def similar_images(request: Request, runtime: Runtime = Depends(get_runtime)) -> dict[str, Any]:
    ctype = request.headers.get("content-type", "")
    engine = engine_for(runtime)
    if ctype.startswith("multipart/form-data"):
        limit = runtime.settings.max_upload_bytes
        form = await request.form(max_part_size=limit)
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise InvalidInput("multipart request needs a 'file' part (an image)")
        data = await read_upload(upload, limit)
        if not data:
            raise InvalidInput("the uploaded file is empty")
        raw_crawl = form.get("crawl_id")
        crawl_id = check_crawl(runtime, str(raw_crawl) if isinstance(raw_crawl, str) and raw_crawl else None)
        k = _int_field(form.get("k"), 10)
        results = await run_in_threadpool(engine.similar, crawl_id=crawl_id, image=data, k=k)
    else:
        try:
            payload = await request.json()
        except ValueError:
            raise InvalidInput('send JSON {"id", "crawl_id"} or a multipart image upload') from None
        try:
            body = SimilarRequest.model_validate(payload)
        except ValidationError as exc:
            from fastapi.exceptions import RequestValidationError

            raise RequestValidationError(exc.errors(include_url=False)) from None
        check_crawl(runtime, body.crawl_id)
        results = await run_in_threadpool(engine.similar, crawl_id=body.crawl_id, id=body.id, k=body.k)
    return {"results": to_jsonable(results)}


def health(runtime: Runtime) -> dict[str, Any]:
    """Indexed images and crawls, for ``GET /api/v1/health``."""
    try:
        ensure_collection(runtime.store)
        return {
            "images_indexed": runtime.store.count(COLLECTION),
            "crawls": len(runtime.store.list_namespaces(COLLECTION)),
        }
    except Exception as exc:  # health must answer even when the store is down
        return {"error": str(exc)}


__all__ = ["SearchRequest", "SimilarRequest", "check_crawl", "engine_for", "health", "on_startup", "router"]
