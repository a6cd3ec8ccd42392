"""RFC 9457 problem+json for every error the API can answer with."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse

from adlens.errors import AdlensError

log = logging.getLogger("adlens.api")

PROBLEM_JSON = "application/problem+json"


def problem_response(
    status: int, title: str, detail: str, *, instance: str, code: str, **extra: Any
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": f"https://adlens.dev/problems/{code}",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": instance,
    }
    body.update({k: v for k, v in extra.items() if v is not None})
    headers = {"Retry-After": "5"} if status in (429, 503) else None
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _request_id(request: Request) -> str | None:
    return getattr(request.state, "request_id", None)


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(AdlensError)
    async def _adlens_error(request: Request, exc: AdlensError) -> JSONResponse:
        doc = exc.to_problem(instance=request.url.path)
        doc["request_id"] = _request_id(request)
        headers = {"Retry-After": "5"} if exc.status in (429, 503) else None
        return JSONResponse(doc, status_code=exc.status, media_type=PROBLEM_JSON, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"loc": [str(p) for p in e.get("loc", ())], "msg": e.get("msg", ""), "type": e.get("type", "")}
            for e in exc.errors()
        ]
        first = errors[0] if errors else {"loc": [], "msg": "invalid request"}
        where = ".".join(p for p in first["loc"] if p not in ("body", "query", "path"))
        detail = f"{where}: {first['msg']}" if where else str(first["msg"])
        return problem_response(
            422,
            "Invalid input",
            detail,
            instance=request.url.path,
            code="invalid-input",
            errors=errors,
            request_id=_request_id(request),
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        titles = {404: "Not found", 405: "Method not allowed", 401: "Unauthorized", 413: "Payload too large"}
        return problem_response(
            exc.status_code,
            titles.get(exc.status_code, "HTTP error"),
            str(exc.detail),
            instance=request.url.path,
            code=f"http-{exc.status_code}",
            request_id=_request_id(request),
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s", request.url.path)
        return problem_response(
            500,
            "Internal error",
            "An unexpected error occurred; it has been logged with this request id.",
            instance=request.url.path,
            code="internal-error",
            request_id=_request_id(request),
        )


__all__ = ["PROBLEM_JSON", "install_problem_handlers", "problem_response"]
