"""REST endpoints for experiments (mounted by ``adlens.analytics.api`` under ``/api/v1/analytics``).

``POST /abtest`` takes JSON (aggregated ``counts``/``sums`` or per-user ``rows``) or a multipart upload (``file`` plus
the same options as form fields); ``POST /power`` and ``POST /campaign`` take JSON.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from adlens.analytics.experiments import (
    CampaignArm,
    MeanStats,
    ProportionCounts,
    abtest_counts,
    abtest_rows,
    campaign_report,
    campaign_rows,
    parse_split,
    plan_means,
    plan_proportions,
    read_table,
)
from adlens.api.deps import read_upload
from adlens.config import get_settings
from adlens.errors import InvalidInput, PayloadTooLarge

router = APIRouter()

MAX_JSON_ROWS = 1_000_000


class CountsArm(BaseModel):
    arm: str
    users: float
    conversions: float


class SumsArm(BaseModel):
    arm: str
    n: float
    sum: float
    sum_sq: float


class ABTestRequest(BaseModel):
    """Exactly one of ``rows`` or ``counts``/``sums``."""

    rows: list[dict[str, Any]] | None = Field(default=None, description="Per-user records.")
    counts: list[CountsArm] | None = None
    sums: list[SumsArm] | None = None
    arm: str = "variant"
    metrics: list[str] = Field(default_factory=list)
    ratios: list[str] = Field(default_factory=list, description='e.g. "ctr=clicks/impressions"')
    covariate: str | dict[str, str] | None = None
    control: str | None = None
    metric_name: str = "conversion"
    value_metric_name: str = "value"
    alpha: float = 0.05
    correction: Literal["holm", "bh", "bonferroni", "none"] = "holm"
    sequential: bool = False
    order_by: str | None = None
    tau: float | None = None
    max_looks: int = Field(default=100, ge=1, le=2000)
    planned_split: dict[str, float] | None = None
    plots: bool = False


class PowerRequest(BaseModel):
    kind: Literal["proportion", "mean"] = "proportion"
    baseline: float | None = None
    sd: float | None = None
    mde: float | None = None
    relative: bool | None = None
    n: float | None = None
    alpha: float = 0.05
    power: float = 0.8
    ratio: float = 1.0


class CampaignRequest(BaseModel):
    test: dict[str, float] | None = None
    control: dict[str, float] | None = None
    rows: list[dict[str, Any]] | None = None
    arm: str = "group"
    test_group: str | None = None
    control_group: str | None = None
    columns: dict[str, str] | None = None
    alpha: float = 0.05


def _jsonable(obj: Any) -> Any:
    from adlens.cli.output import to_jsonable

    return to_jsonable(obj)


def _run_abtest(req: ABTestRequest, frame: Any = None) -> dict[str, Any]:
    import pandas as pd

    if frame is None and req.rows is not None:
        if req.counts or req.sums:
            raise InvalidInput("give either rows or counts/sums, not both")
        if len(req.rows) > MAX_JSON_ROWS:
            raise PayloadTooLarge(f"at most {MAX_JSON_ROWS:,} rows in a JSON body; upload a file instead")
        frame = pd.DataFrame.from_records(req.rows)
    common: dict[str, Any] = {"control": req.control, "alpha": req.alpha, "correction": req.correction,
              "sequential": req.sequential, "tau": req.tau, "planned_split": req.planned_split, "plots": req.plots}  # fmt: skip
    if frame is not None:
        report = abtest_rows(
            frame, arm=req.arm, metrics=req.metrics, ratios=req.ratios, covariate=req.covariate,
            order_by=req.order_by, max_looks=req.max_looks, **common,
        )  # fmt: skip
    else:
        counts = [ProportionCounts(c.arm, _whole(c.users), _whole(c.conversions)) for c in req.counts or []]
        sums = [MeanStats.from_sums(s.arm, s.n, s.sum, s.sum_sq) for s in req.sums or []]
        report = abtest_counts(
            counts, sums, metric=req.metric_name, value_metric=req.value_metric_name, **common
        )
    return _jsonable(report)


def _whole(x: float) -> Any:
    return int(x) if float(x).is_integer() else x


def _form_request(form: Any) -> ABTestRequest:
    """Multipart fields → request options (lists may repeat or be comma-separated)."""

    def many(key: str) -> list[str]:
        return [v.strip() for raw in form.getlist(key) for v in str(raw).split(",") if v.strip()]

    data: dict[str, Any] = {
        "metrics": many("metric") + many("metrics"),
        "ratios": many("ratio") + many("ratios"),
    }
    for key in ("arm", "covariate", "control", "alpha", "correction", "order_by", "tau", "max_looks"):
        value = form.get(key)
        if value not in (None, ""):
            data[key] = value
    for key in ("sequential", "plots"):
        if form.get(key) is not None:
            data[key] = str(form.get(key)).lower() in ("1", "true", "yes", "on")
    if form.get("planned_split"):
        data["planned_split"] = parse_split(str(form.get("planned_split")))
    return _validate(ABTestRequest, data)


def _validate(model: type[BaseModel], data: Any) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise RequestValidationError(exc.errors(include_url=False)) from None


def _inline_schema(model: type[BaseModel]) -> dict[str, Any]:
    """JSON schema with its ``$defs`` inlined (``#/$defs/...`` does not resolve inside an OpenAPI document)."""
    schema = model.model_json_schema()
    defs = schema.pop("$defs", {})

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref", "")
            if ref.startswith("#/$defs/"):
                return walk(defs[ref.rsplit("/", 1)[1]])
            return {k: walk(v) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    return walk(schema)


@router.post(
    "/abtest",
    summary="A/B test from counts, JSON rows or an uploaded CSV/Parquet file",
    openapi_extra={
        "requestBody": {
            "content": {
                "application/json": {"schema": _inline_schema(ABTestRequest)},
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["file"],
                        "properties": {
                            "file": {"type": "string", "format": "binary"},
                            "arm": {"type": "string"},
                            "metric": {"type": "array", "items": {"type": "string"}},
                            "ratio": {"type": "array", "items": {"type": "string"}},
                            "covariate": {"type": "string"},
                            "control": {"type": "string"},
                            "alpha": {"type": "number"},
                            "correction": {"type": "string"},
                            "sequential": {"type": "boolean"},
                            "order_by": {"type": "string"},
                            "planned_split": {"type": "string"},
                            "plots": {"type": "boolean"},
                        },
                    }
                },
            },
            "required": True,
        }
    },
)
async def abtest(request: Request) -> dict[str, Any]:
    ctype = request.headers.get("content-type", "")
    limit = get_settings().max_upload_bytes
    if ctype.startswith("multipart/form-data"):
        form = await request.form(max_part_size=limit)
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise InvalidInput("multipart request needs a 'file' part with the per-user rows")
        content = await read_upload(upload, limit)
        req = _form_request(form)
        frame = await run_in_threadpool(read_table, content, upload.filename or "upload.csv")
        return await run_in_threadpool(_run_abtest, req, frame)
    body = await request.body()
    if len(body) > limit:
        raise PayloadTooLarge(f"request body larger than {limit:,} bytes")
    try:
        data = json.loads(body or b"null")
    except ValueError:
        raise InvalidInput(
            "request body is not valid JSON (or send multipart/form-data with a file)"
        ) from None
    req = _validate(ABTestRequest, data)
    return await run_in_threadpool(_run_abtest, req)


@router.post("/power", summary="Sample size, minimum detectable effect or power")
def power(req: PowerRequest) -> dict[str, Any]:
    if req.kind == "proportion":
        if req.baseline is None:
            raise InvalidInput("baseline (conversion rate) is required for proportions")
        res = plan_proportions(
            req.baseline, mde=req.mde, relative=True if req.relative is None else req.relative, n=req.n,
            alpha=req.alpha, power=req.power, ratio=req.ratio,
        )  # fmt: skip
    else:
        if req.sd is None:
            raise InvalidInput("sd is required for means")
        res = plan_means(
            req.sd, mde=req.mde, baseline=req.baseline, relative=bool(req.relative), n=req.n, alpha=req.alpha,
            power=req.power, ratio=req.ratio,
        )  # fmt: skip
    return _jsonable(res)


@router.post("/campaign", summary="Campaign metrics and incrementality (test vs control)")
def campaign(req: CampaignRequest) -> dict[str, Any]:
    import pandas as pd

    if req.rows is not None:
        if not req.rows:
            raise InvalidInput("rows is empty")
        report = campaign_rows(
            pd.DataFrame.from_records(req.rows), arm=req.arm, test=req.test_group, control=req.control_group,
            columns=req.columns, alpha=req.alpha,
        )  # fmt: skip
    else:
        if req.test is None or req.control is None:
            raise InvalidInput("give test and control totals, or per-user rows")
        report = campaign_report(
            CampaignArm.parse(req.test_group or "test", req.test),
            CampaignArm.parse(req.control_group or "control", req.control),
            req.alpha,
        )
    return _jsonable(report)


__all__ = ["ABTestRequest", "CampaignRequest", "PowerRequest", "router"]
