"""REST endpoints of the recommend application (mounted under ``/api/v1``).

* ``POST /recommend`` ``{"user_id", "k", "exclude_seen", "filters", "context_items", "model"}``
* ``POST /recommend/similar`` ``{"item_id", "k", "filters", "model"}``
* ``POST /recommend/items`` a cold-start item ``{"item_id", "title", "description", "genres", "year"}``
* ``GET /recommend/users`` (ids with history sizes), ``GET /recommend/users/{id}`` (history)
* ``GET /recommend/models`` (versions, config, metrics), ``POST /recommend/train`` (a job),
  ``GET /recommend/eval`` (the last stored evaluation table)

Bad input answers RFC 9457 problem+json: unknown user/item/model 404, k outside 1..500 or a malformed
filter 422, a model from another embedding space 422 (``embedding-space-mismatch``).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from adlens.api.deps import get_runtime
from adlens.cli.output import to_jsonable
from adlens.recommend.service import service_for
from adlens.recommend.training import JOB_KIND, make_handler
from adlens.runtime import Runtime

router = APIRouter(tags=["recommend"])


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", protected_namespaces=())


class RecommendRequest(_Body):
    user_id: str | None = Field(None, description="A known user id; omit for an anonymous visitor.")
    k: int = Field(10, description="How many items, 1..500.")
    exclude_seen: bool = True
    filters: dict[str, Any] | None = Field(
        None, description='Metadata filter, e.g. {"year": {"$gte": 2000}}.'
    )
    context_items: list[str] | None = Field(None, description="Recent items (cold start, or extra context).")
    model: int | None = Field(None, description="Model version (latest when omitted).")


class SimilarRequest(_Body):
    item_id: str
    k: int = 10
    filters: dict[str, Any] | None = None
    model: int | None = None


class NewItemRequest(_Body):
    item_id: str
    title: str
    description: str = ""
    genres: list[str] = Field(default_factory=list)
    year: int | None = None
    model: int | None = None


class TrainRequest(_Body):
    dataset: str | None = Field(None, description="A catalogue under <data_dir>/recommend/datasets.")
    synthetic: dict[str, Any] | None = Field(None, description="SyntheticSpec fields (the default data).")
    overrides: dict[str, Any] | None = Field(None, description="Two-tower config keys to change.")


@router.post("/recommend")
def recommend(body: RecommendRequest, runtime: Runtime = Depends(get_runtime)) -> Any:
    doc = service_for(runtime).recommend_for(
        body.user_id,
        body.k,
        exclude_seen=body.exclude_seen,
        filters=body.filters,
        context_items=body.context_items,
        version=body.model,
    )
    return to_jsonable(doc)


@router.post("/recommend/similar")
def similar(body: SimilarRequest, runtime: Runtime = Depends(get_runtime)) -> Any:
    doc = service_for(runtime).similar_items(body.item_id, body.k, filters=body.filters, version=body.model)
    return to_jsonable(doc)


@router.post("/recommend/items", status_code=201)
def add_item(body: NewItemRequest, runtime: Runtime = Depends(get_runtime)) -> Any:
    doc = service_for(runtime).add_item(
        body.item_id,
        body.title,
        description=body.description,
        genres=body.genres,
        year=body.year,
        version=body.model,
    )
    return to_jsonable(doc)


@router.get("/recommend/users")
def users(
    limit: int = Query(50, ge=1, le=1000),
    offset: int = Query(0, ge=0),
    model: int | None = None,
    runtime: Runtime = Depends(get_runtime),
) -> Any:
    return to_jsonable(service_for(runtime).list_users(limit=limit, offset=offset, version=model))


@router.get("/recommend/users/{user_id}")
def user_history(
    user_id: str,
    limit: int = Query(50, ge=1, le=1000),
    model: int | None = None,
    runtime: Runtime = Depends(get_runtime),
) -> Any:
    return to_jsonable(service_for(runtime).user_history(user_id, limit=limit, version=model))


@router.get("/recommend/models")
def models(runtime: Runtime = Depends(get_runtime)) -> Any:
    return to_jsonable(service_for(runtime).models())


@router.post("/recommend/train", status_code=202)
def train(body: TrainRequest, runtime: Runtime = Depends(get_runtime)) -> Any:
    from adlens.recommend.training import resolve_catalogue, resolve_config, synthetic_spec

    params = body.model_dump(exclude_none=True)
    resolve_config(params)  # refuse bad input before queueing
    synthetic_spec(params.get("synthetic"))
    if "dataset" in params:
        resolve_catalogue(service_for(runtime), {"dataset": params["dataset"]})
    job = runtime.jobs.submit(JOB_KIND, params)
    return to_jsonable(job.to_dict())


@router.get("/recommend/eval")
def eval_table(runtime: Runtime = Depends(get_runtime)) -> Any:
    return to_jsonable(service_for(runtime).eval_table())


def on_startup(runtime: Runtime) -> None:
    """Register the ``recommend.train`` job kind."""
    if JOB_KIND not in runtime.jobs.kinds:
        runtime.jobs.register(JOB_KIND, make_handler(runtime))


def health(runtime: Runtime) -> dict[str, Any]:
    svc = service_for(runtime)
    versions = svc.versions()
    return {"models": len(versions), "latest_model": versions[-1] if versions else None}


__all__ = [
    "NewItemRequest",
    "RecommendRequest",
    "SimilarRequest",
    "TrainRequest",
    "health",
    "on_startup",
    "router",
]
