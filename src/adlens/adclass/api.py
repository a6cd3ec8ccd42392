"""REST endpoints of the adclass application (mounted under ``/api/v1``).

The seed's API (``POST /classify``, ``GET /stats/{keyword}``) plus the ads table, CSV export, import,
labels, retraining, keyword profiles and themes. Long runs go through the ``adclass.classify`` job
(``"async": true``) whose progress streams at ``/api/v1/jobs/{id}/events``.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, File, Form, Query, UploadFile
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from adlens.adclass import labels as labelling
from adlens.adclass.db import SCHEMA_VERSION, get_db
from adlens.adclass.importer import import_ads, parse_mapping
from adlens.adclass.service import (
    JOB_KIND,
    classifier_loaded,
    classify_keyword,
    export_csv,
    register_jobs,
    repository,
    stats,
)
from adlens.api.deps import get_runtime, read_upload
from adlens.cli.output import to_jsonable
from adlens.runtime import Runtime

__all__ = [
    "ClassifyRequest",
    "LabelRequest",
    "ProfileRequest",
    "RetrainRequest",
    "health",
    "on_startup",
    "router",
]

router = APIRouter(tags=["adclass"])

Backend = Literal["fast", "llm", "ensemble"]


class ClassifyRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    keyword: str = Field(..., min_length=1, max_length=100)
    backend: Backend = "fast"
    run_async: bool = Field(False, alias="async", description="Return a job (202) instead of waiting.")
    limit: int | None = Field(None, ge=1, le=10_000_000, description="Classify at most this many new ads.")


class LabelRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    keyword: str = Field(..., min_length=1, max_length=100)
    is_relevant: bool | None = None
    theme: str | None = Field(None, max_length=120)
    author: str = Field(..., min_length=1, max_length=200)
    note: str | None = Field(None, max_length=2000)


class RetrainRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    keyword: str | None = Field(None, max_length=100)


class ProfileRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    aliases: list[str] | None = None
    handles: list[str] | None = None
    products: list[str] | None = None
    negatives: list[str] | None = None
    description: str | None = Field(None, max_length=2000)


def on_startup(runtime: Runtime) -> None:
    """Register the ``adclass.classify`` job kind before the runner starts."""
    register_jobs(runtime)


def health(runtime: Runtime) -> dict[str, Any]:
    """``model_loaded`` (a classifier is built) and ``database_connected`` (the ad database answers)."""
    db = get_db(runtime)
    connected = db.ping()
    return {
        "ok": connected,
        "model_loaded": classifier_loaded(runtime),
        "database_connected": connected,
        "database": db.dialect,
        "schema_version": SCHEMA_VERSION,
    }


@router.post("/classify", responses={202: {"description": "A job (with async: true)"}})
async def classify(body: ClassifyRequest, runtime: Runtime = Depends(get_runtime)) -> Any:
    """Relevance and theme of every stored ad of the keyword (already classified ads are not redone)."""
    if body.run_async:
        kw = await run_in_threadpool(lambda: repository(runtime).get_keyword(body.keyword))
        params = {"keyword": kw["keyword"], "backend": body.backend, "limit": body.limit}
        job = runtime.jobs.submit(JOB_KIND, params, dedupe_key=f"{kw['id']}:{body.backend}")
        doc = job.to_dict()
        doc["events"] = f"/api/v1/jobs/{job.id}/events"
        return JSONResponse(to_jsonable(doc), status_code=202)
    result = await run_in_threadpool(classify_keyword, runtime, body.keyword, body.backend, body.limit)
    return to_jsonable(result)


@router.get("/stats/{keyword}")
async def keyword_stats(keyword: str, runtime: Runtime = Depends(get_runtime)) -> Any:
    """Totals, relevance rate, theme distribution, and counts per backend and classifier version."""
    return to_jsonable(await run_in_threadpool(stats, runtime, keyword))


@router.get("/ads")
async def list_ads(
    keyword: str = Query(..., min_length=1, max_length=100),
    theme: str | None = Query(None, max_length=120),
    relevant: bool | None = None,
    min_confidence: float | None = Query(None, ge=0, le=1),
    max_confidence: float | None = Query(None, ge=0, le=1),
    version: str | None = Query(None, max_length=120),
    cursor: int = Query(0, ge=0, description="next_cursor of the previous page"),
    limit: int = Query(100, ge=1, le=1000),
    runtime: Runtime = Depends(get_runtime),
) -> Any:
    """The results table: ads with their latest classification and label, filtered, paged by cursor."""

    def run() -> dict[str, Any]:
        repo = repository(runtime)
        kw = repo.get_keyword(keyword)
        rows = repo.results(
            kw["id"],
            version=version,
            theme=theme,
            relevant=relevant,
            min_confidence=min_confidence,
            max_confidence=max_confidence,
            after_id=cursor,
            limit=limit + 1,
        )
        more = len(rows) > limit
        rows = rows[:limit]
        return {
            "keyword": kw["keyword"],
            "ads": rows,
            "next_cursor": rows[-1]["ad_id"] if more and rows else None,
        }

    return to_jsonable(await run_in_threadpool(run))


@router.get("/ads/export.csv")
async def export_ads(
    keyword: str = Query(..., min_length=1, max_length=100), runtime: Runtime = Depends(get_runtime)
) -> Response:
    text = await run_in_threadpool(export_csv, runtime, keyword)
    name = "".join(ch if ch.isalnum() else "-" for ch in keyword)[:60] or "ads"
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="adclass-{name}.csv"'},
    )


@router.post("/ads/import")
async def import_file(
    file: UploadFile = File(..., description="CSV, JSON (lines) or XLSX ad-library export"),
    keyword: str = Form(..., min_length=1, max_length=100),
    mapping: str | None = Form(None, description="YAML/JSON {field: column}"),
    encoding: str | None = Form(None, max_length=40),
    runtime: Runtime = Depends(get_runtime),
) -> Any:
    """Import ads for a keyword; the answer lists every rejected row with its reason."""
    data = await read_upload(file, runtime.settings.max_upload_bytes)
    parsed = parse_mapping(mapping)
    result = await run_in_threadpool(
        lambda: import_ads(
            repository(runtime),
            keyword,
            data,
            file.filename or "upload",
            mapping=parsed,
            encoding=encoding or None,
        )
    )
    return to_jsonable(result)


@router.post("/ads/{ad_id}/label")
async def label_ad(ad_id: int, body: LabelRequest, runtime: Runtime = Depends(get_runtime)) -> Any:
    """Store a reviewed verdict (relevance and/or theme) for one ad, with its author and time."""
    result = await run_in_threadpool(
        lambda: labelling.add_label(
            runtime,
            body.keyword,
            ad_id,
            is_relevant=body.is_relevant,
            theme=body.theme,
            author=body.author,
            note=body.note,
        )
    )
    return to_jsonable(result)


@router.get("/adclass/labels")
async def get_labels(
    keyword: str | None = Query(None, max_length=100),
    limit: int = Query(500, ge=1, le=5000),
    runtime: Runtime = Depends(get_runtime),
) -> Any:
    rows = await run_in_threadpool(labelling.list_labels, runtime, keyword, limit)
    return to_jsonable({"labels": rows})


@router.post("/adclass/retrain")
async def retrain(body: RetrainRequest | None = None, runtime: Runtime = Depends(get_runtime)) -> Any:
    """Retrain the theme head on stored labels; answers its metrics and new version."""
    keyword = body.keyword if body is not None else None
    return to_jsonable(await run_in_threadpool(labelling.retrain, runtime, keyword))


@router.get("/adclass/keywords")
async def keywords(runtime: Runtime = Depends(get_runtime)) -> Any:
    return to_jsonable({"keywords": await run_in_threadpool(lambda: repository(runtime).list_keywords())})


@router.put("/adclass/keywords/{keyword}")
async def put_keyword(keyword: str, body: ProfileRequest, runtime: Runtime = Depends(get_runtime)) -> Any:
    """Create a keyword or set its brand-profile overrides (aliases, handles, products, description)."""
    profile = body.model_dump(exclude_none=True)
    return to_jsonable(await run_in_threadpool(lambda: repository(runtime).ensure_keyword(keyword, profile)))


@router.get("/adclass/themes")
async def themes(runtime: Runtime = Depends(get_runtime)) -> Any:
    from adlens.adclass.deployment import configured_themes

    ts = configured_themes(runtime.settings)
    return {
        "version": ts.version,
        "themes": [{"name": t.name, "description": t.description} for t in ts.themes],
    }
