"""REST endpoints of the creators application (mounted under ``/api/v1``).

* ``POST /creators/search`` — JSON ``{"query", "image_id"?, "filters"?, "k", "cursor"?, "mode"}`` or
  multipart with an ``image`` file plus the same fields (``filters`` as a JSON string);
* ``POST /creators/upload`` — multipart ``file`` (CSV/XLSX/JSON/SQLite) + optional ``mapping`` (YAML
  file or text), ``platform``, ``table``: import and answer the report;
* ``GET /creators/{id}`` — one creator; ``GET /creators/photos/{file}`` — a stored thumbnail;
* ``GET /creators/stats`` — counts.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import threading
import weakref
from typing import Any

import anyio
import anyio.to_thread
import orjson
import yaml
from fastapi import APIRouter, Depends, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from adlens.api.deps import get_runtime, read_upload
from adlens.cli.output import to_jsonable
from adlens.creators.filters import CreatorFilters
from adlens.creators.ingest import import_table
from adlens.creators.mapping import mapping_from_dict
from adlens.creators.photos import photos_dir
from adlens.creators.schema import PHOTOS, PROFILES, ensure_collections
from adlens.creators.search import get_creator, search_creators
from adlens.creators.sources import read_bytes
from adlens.errors import InvalidInput, NotFound, PayloadTooLarge
from adlens.runtime import Runtime

__all__ = ["SearchRequest", "health", "on_startup", "router"]

router = APIRouter(tags=["creators"])
log = logging.getLogger("adlens.creators")
_FILE_RE = re.compile(r"^[0-9a-f]{32}\.jpg$")


class SearchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    query: str = Field("", max_length=1000)
    image_id: str | None = Field(None, max_length=600)
    filters: CreatorFilters = Field(default_factory=lambda: CreatorFilters())
    k: int = Field(10, ge=1, le=100)
    cursor: str | None = Field(None, max_length=500)
    mode: str = Field("auto", pattern="^(auto|text|text_image|image|hybrid)$")
    parse: bool = Field(True, description="Parse filters out of the query text.")


def _validate(data: dict[str, Any]) -> SearchRequest:
    try:
        return SearchRequest.model_validate(data)
    except ValidationError as exc:
        raise RequestValidationError(exc.errors(include_url=False)) from None


_slots: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, anyio.CapacityLimiter] = (
    weakref.WeakKeyDictionary()
)


def _search_slots() -> anyio.CapacityLimiter:
    """At most one search per core runs at once (the others wait in the event loop): searches are CPU
    and memory-bandwidth bound, and 40 threads (the default pool) contending for the GIL and the
    cores only add switching. Measured at 1M with 100 think-time users: p99 344 ms with 2 per core,
    108 ms with 1 per core (bench/creators.py). One limiter per event loop (asyncio primitives are
    loop-bound)."""
    loop = asyncio.get_running_loop()
    lim = _slots.get(loop)
    if lim is None:
        lim = _slots[loop] = anyio.CapacityLimiter(os.cpu_count() or 1)
    return lim


def _json(data: Any) -> Response:
    """A JSON response serialised by orjson (NaN/inf -> null, numpy values), skipping FastAPI's
    ``jsonable_encoder`` walk: ~10x cheaper for a page of results, which matters under load."""
    return Response(
        orjson.dumps(data, default=to_jsonable, option=orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS),
        media_type="application/json",
    )


@router.post(
    "/creators/search",
    summary="Search creators by text, photo or both, with filters",
    response_class=JSONResponse,
    response_model=None,
)
async def search(request: Request, runtime: Runtime = Depends(get_runtime)) -> Response:
    limit = runtime.settings.max_upload_bytes
    image: bytes | None = None
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        form = await request.form(max_part_size=limit)
        data: dict[str, Any] = {}
        for key, value in form.multi_items():
            if isinstance(value, UploadFile):
                if key == "image" and value.filename:
                    image = await read_upload(value, limit)
                    if not image:
                        image = None
                continue
            if value == "":
                continue
            if key == "filters":
                try:
                    data[key] = json.loads(value)
                except ValueError:
                    raise InvalidInput("'filters' must be a JSON object") from None
            else:
                data[key] = value
        req = _validate(data)
    else:
        body = await request.body()
        if len(body) > limit:
            raise PayloadTooLarge(f"request body larger than {limit:,} bytes")
        try:
            payload = json.loads(body or b"{}")
        except ValueError:
            raise InvalidInput("request body is not valid JSON") from None
        if not isinstance(payload, dict):
            raise InvalidInput("JSON body must be an object")
        req = _validate(payload)

    def run() -> Response:
        return _json(
            search_creators(
                runtime,
                req.query,
                filters=req.filters,
                image=image,
                image_id=req.image_id,
                k=req.k,
                cursor=req.cursor,
                mode=req.mode,
                parse=req.parse,
            )
        )

    return await anyio.to_thread.run_sync(run, limiter=_search_slots())


@router.post("/creators/upload", summary="Import creators from a CSV, XLSX, JSON or SQLite file")
async def upload(request: Request, runtime: Runtime = Depends(get_runtime)) -> dict[str, Any]:
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise InvalidInput("send multipart/form-data with a 'file' part")
    limit = runtime.settings.max_upload_bytes
    form = await request.form(max_part_size=limit)
    file = form.get("file")
    if not isinstance(file, UploadFile):
        raise InvalidInput("multipart request needs a 'file' part (CSV, XLSX, JSON or SQLite)")
    content = await read_upload(file, limit)
    mapping = None
    raw_map = form.get("mapping")
    if raw_map:
        text = (
            (await read_upload(raw_map, 1_000_000)).decode("utf-8", "replace")
            if isinstance(raw_map, UploadFile)
            else str(raw_map)
        )
        try:
            doc = yaml.safe_load(text) or {}
        except yaml.YAMLError:
            raise InvalidInput("mapping is not valid YAML") from None
        mapping = mapping_from_dict(doc)
    platform = str(form.get("platform") or "instagram")
    table_name = form.get("table")
    name = file.filename or "upload.csv"

    def run() -> dict[str, Any]:
        table = read_bytes(content, name, table=str(table_name) if table_name else None)
        return import_table(runtime, table, mapping, platform=platform, allow_local_images=False)

    return to_jsonable(await run_in_threadpool(run))  # type: ignore[no-any-return]


@router.get("/creators/stats", summary="How many creators and photos are stored")
def stats(runtime: Runtime = Depends(get_runtime)) -> dict[str, Any]:
    return _counts(runtime)


def _counts(runtime: Runtime) -> dict[str, Any]:
    ensure_collections(runtime.store)
    return {"creators": runtime.store.count(PROFILES), "photos": runtime.store.count(PHOTOS)}


@router.get("/creators/photos/{file}", summary="A stored creator photo (thumbnail)", response_model=None)
def photo(file: str, runtime: Runtime = Depends(get_runtime)) -> FileResponse:
    if not _FILE_RE.match(file):
        raise NotFound("no such photo")
    path = photos_dir(runtime.settings) / file
    if not path.is_file():
        raise NotFound("no such photo")
    return FileResponse(path, media_type="image/jpeg", headers={"Cache-Control": "max-age=86400"})


@router.get("/creators/{creator_id}", summary="One creator by id (platform:handle)")
def creator(creator_id: str, runtime: Runtime = Depends(get_runtime)) -> dict[str, Any]:
    return to_jsonable(get_creator(runtime, creator_id))  # type: ignore[no-any-return]


def on_startup(runtime: Runtime) -> None:
    """Load the creators' in-memory index in the background when the store already holds creators,
    so the first search of each server worker does not pay for it (a minute at 1M creators);
    a search that arrives meanwhile waits for the load instead of starting a second one."""

    def warm() -> None:
        try:
            store = runtime.store
            names = {c.name for c in store.list_collections()}
            if names & {PROFILES, "creators"}:  # "creators": the earlier layout, moved on first use
                ensure_collections(store)
                store.count(PROFILES)
                store.count(PHOTOS)
        except Exception:  # a failed warm-up only means the first search loads it
            log.warning("could not preload the creators index", exc_info=True)

    threading.Thread(target=warm, name="adlens-creators-warm", daemon=True).start()


def health(runtime: Runtime) -> dict[str, Any]:
    """Merged into ``GET /api/v1/health`` (counts only when the store is already open)."""
    if not runtime.is_loaded("store"):
        return {"store_loaded": False}
    try:
        return _counts(runtime)
    except Exception as e:  # health must answer even when the store is unwell
        return {"error": type(e).__name__}
