"""REST endpoints of the analytics application (mounted under ``/api/v1``).

Causal endpoints ``POST /analytics/did|synth|sdid|geo-design`` take either a multipart upload
(``file`` = CSV/Parquet plus the options as form fields; list options may repeat or be
comma-separated — ``predictors`` semicolon-separated, since ``VAR@1961,1963`` uses commas) or a JSON body with ``rows`` (a list of records) plus the same options.
``charts`` = ``svg`` | ``png`` adds rendered charts to the answer. ``POST /analytics/inspect``
returns the columns of an upload with a guess of unit/time/outcome/treatment. The experiment
endpoints (``/abtest``, ``/power``, ``/campaign``) come from :mod:`adlens.analytics.api_experiments`.
"""

from __future__ import annotations

import json
from typing import Any, Literal

import pandas as pd
from fastapi import APIRouter, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from adlens.analytics.causal.service import run_did, run_geo_design, run_sdid, run_synth
from adlens.analytics.panel import guess_columns, load_table
from adlens.analytics.plots import render_charts
from adlens.api.deps import read_upload
from adlens.cli.output import to_jsonable
from adlens.config import get_settings
from adlens.errors import InvalidInput, PayloadTooLarge

__all__ = ["DidRequest", "GeoRequest", "SdidRequest", "SynthRequest", "router"]

router = APIRouter(prefix="/analytics", tags=["analytics"])

Scalar = str | int | float


class _Base(BaseModel):
    model_config = ConfigDict(extra="forbid")
    rows: list[dict[str, Any]] | None = Field(
        default=None, description="Long-format records (JSON bodies only)."
    )
    outcome: str
    charts: Literal["none", "svg", "png"] = "none"

    @field_validator("*", mode="before")
    @classmethod
    def _blank_is_none(cls, v: Any) -> Any:
        return None if v == "" else v


class _Panel(_Base):
    unit: str
    time: str


class DidRequest(_Base):
    unit: str | None = None
    time: str | None = None
    treatment: str | None = None
    treated: list[Scalar] | None = None
    start: Scalar | None = None
    group: str | None = None
    post: str | None = None
    cluster: str | None = None
    method: Literal["auto", "2x2", "twfe", "cs"] = "auto"
    control_group: Literal["never_treated", "not_yet_treated"] = "never_treated"
    se_method: Literal["analytic", "bootstrap"] = "analytic"
    leads: int = Field(5, ge=1, le=50)
    lags: int = Field(5, ge=0, le=50)


class SynthRequest(_Panel):
    treated: Scalar
    start: Scalar
    predictors: list[str] | None = None
    fit_periods: list[Scalar] | None = None
    end: Scalar | None = None
    v_start: Literal["equal", "ols"] = "equal"
    solver: Literal["synthdid", "exact"] = "synthdid"
    placebo: bool = True
    loo: bool = True
    max_pre_rmspe_ratio: float | None = Field(None, gt=0)


class SdidRequest(_Panel):
    treated: list[Scalar] | None = None
    start: Scalar | None = None
    treatment: str | None = None
    method: Literal["sdid", "sc", "did"] = "sdid"
    replications: int = Field(200, ge=0, le=2000)
    seed: int = 0


class GeoRequest(_Panel):
    treated: list[Scalar]
    test_length: int = Field(..., ge=1)
    effect: float | None = None
    candidates: list[Scalar] | None = None
    n_controls: int | None = Field(None, ge=1)
    alpha: float = Field(0.05, gt=0, lt=1)
    aggregate: Literal["sum", "mean"] = "sum"


def _validate(model: type[BaseModel], data: dict[str, Any]) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise RequestValidationError(exc.errors(include_url=False)) from None


async def _parse(request: Request, model: type[_Base]) -> tuple[Any, pd.DataFrame]:
    """Multipart (file + fields) or JSON (rows + fields) → (validated options, DataFrame)."""
    ctype = request.headers.get("content-type", "")
    limit = get_settings().max_upload_bytes
    if ctype.startswith("multipart/form-data"):
        form = await request.form(max_part_size=limit)
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise InvalidInput("multipart request needs a 'file' part (CSV or Parquet)")
        content = await read_upload(upload, limit)
        data: dict[str, Any] = {}
        for key in {k for k in form if k != "file"}:
            values = [str(v) for v in form.getlist(key) if not isinstance(v, UploadFile)]
            field = model.model_fields.get(key)
            if field is not None and "list[" in str(field.annotation):
                sep = ";" if key == "predictors" else ","  # predictor periods use commas themselves
                data[key] = [
                    p.strip() for v in values for p in v.replace("\n", sep).split(sep) if p.strip()
                ] or None
            elif values:
                data[key] = values[-1]
        opts = _validate(model, data)
        frame = await run_in_threadpool(load_table, content, upload.filename or "upload.csv")
        return opts, frame
    body = await request.body()
    if len(body) > limit:
        raise PayloadTooLarge(f"request body larger than {limit:,} bytes")
    try:
        payload = json.loads(body or b"null")
    except ValueError:
        raise InvalidInput(
            "request body is not valid JSON (or send multipart/form-data with a file)"
        ) from None
    if not isinstance(payload, dict):
        raise InvalidInput("JSON body must be an object with 'rows' and the options")
    opts = _validate(model, payload)
    if not opts.rows:
        raise InvalidInput("send the data as 'rows' (a list of records) or upload a file")
    return opts, pd.DataFrame.from_records(opts.rows)


def _options(opts: BaseModel) -> dict[str, Any]:
    return {k: v for k, v in opts.model_dump().items() if k not in {"rows", "charts"}}


async def _run(request: Request, model: type[_Base], fn: Any) -> dict[str, Any]:
    opts, frame = await _parse(request, model)
    result = await run_in_threadpool(lambda: fn(frame, **_options(opts)))
    result = to_jsonable(result)
    if opts.charts != "none":
        result["charts"] = await run_in_threadpool(render_charts, result, opts.charts)
    return result


def _doc(model: type[BaseModel]) -> dict[str, Any]:
    props = {k: v for k, v in model.model_json_schema().get("properties", {}).items() if k != "rows"}
    return {
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "properties": {"rows": {"type": "array", "items": {"type": "object"}}, **props},
                    }
                },
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["file"],
                        "properties": {"file": {"type": "string", "format": "binary"}, **props},
                    }
                },
            },
        }
    }


@router.post(
    "/did",
    summary="Difference-in-differences (2×2, TWFE + event study, Callaway–Sant'Anna)",
    openapi_extra=_doc(DidRequest),
)
async def did(request: Request) -> dict[str, Any]:
    return await _run(request, DidRequest, run_did)


@router.post("/synth", summary="Synthetic control with placebo inference", openapi_extra=_doc(SynthRequest))
async def synth(request: Request) -> dict[str, Any]:
    return await _run(request, SynthRequest, run_synth)


@router.post("/sdid", summary="Synthetic difference-in-differences", openapi_extra=_doc(SdidRequest))
async def sdid(request: Request) -> dict[str, Any]:
    return await _run(request, SdidRequest, run_sdid)


@router.post(
    "/geo-design", summary="Geo-test design: control markets, power, MDE", openapi_extra=_doc(GeoRequest)
)
async def geo_design(request: Request) -> dict[str, Any]:
    return await _run(request, GeoRequest, run_geo_design)


@router.post(
    "/inspect", summary="Columns of an uploaded table with a guessed unit/time/outcome/treatment mapping"
)
async def inspect(request: Request) -> dict[str, Any]:
    ctype = request.headers.get("content-type", "")
    if not ctype.startswith("multipart/form-data"):
        raise InvalidInput("upload the table as multipart/form-data with a 'file' part")
    limit = get_settings().max_upload_bytes
    form = await request.form(max_part_size=limit)
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise InvalidInput("multipart request needs a 'file' part (CSV or Parquet)")
    content = await read_upload(upload, limit)
    frame = await run_in_threadpool(load_table, content, upload.filename or "upload.csv")
    out = guess_columns(frame)
    unit = form.get("unit")
    if isinstance(unit, str) and unit:
        if unit not in frame.columns:
            raise InvalidInput(f"column {unit!r} not found")
        out["unit"] = unit
        out["units"] = sorted({str(u) for u in frame[unit].dropna().unique()}, key=str)[:500]
    out["n_rows"] = len(frame)
    out["preview"] = json.loads(frame.head(5).to_json(orient="records"))
    return to_jsonable(out)


def _include_subrouters() -> None:
    from adlens.analytics.api_demo import router as demo
    from adlens.analytics.api_experiments import router as experiments

    router.include_router(experiments)
    router.include_router(demo)


_include_subrouters()
