"""Jobs: state, cancellation and a Server-Sent Events stream of progress."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Depends, Query
from sse_starlette.sse import EventSourceResponse

from adlens.api.deps import get_runtime
from adlens.cli.output import to_jsonable
from adlens.runtime import Runtime

router = APIRouter(prefix="/jobs", tags=["jobs"])


@router.get("")
def list_jobs(
    kind: str | None = None,
    state: str | None = None,
    limit: int = Query(50, ge=1, le=500),
    runtime: Runtime = Depends(get_runtime),
) -> dict[str, Any]:
    jobs = runtime.jobs.list(kind=kind, state=state, limit=limit)
    return {"jobs": to_jsonable(jobs)}


@router.get("/{job_id}")
def get_job(job_id: str, runtime: Runtime = Depends(get_runtime)) -> Any:
    return to_jsonable(runtime.jobs.get(job_id))


@router.post("/{job_id}/cancel", status_code=202)
def cancel_job(job_id: str, runtime: Runtime = Depends(get_runtime)) -> Any:
    return to_jsonable(runtime.jobs.cancel(job_id))


@router.get("/{job_id}/events")
async def job_events(
    job_id: str,
    after: int = Query(0, ge=0, description="Only events with a sequence number above this."),
    runtime: Runtime = Depends(get_runtime),
) -> EventSourceResponse:
    runtime.jobs.get(job_id)  # 404 before the stream starts

    async def gen() -> AsyncIterator[dict[str, str]]:
        async for event in runtime.jobs.stream(job_id, after_seq=after):
            doc = to_jsonable(event)
            yield {
                "event": str(doc.get("type", "message")),
                "id": str(doc.get("seq", "")),
                "data": json.dumps(doc),
            }

    return EventSourceResponse(gen(), ping=15)
