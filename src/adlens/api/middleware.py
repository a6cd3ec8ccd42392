"""Request ids, access logs and API-key auth (pure ASGI middleware, streaming-safe)."""

from __future__ import annotations

import hmac
import logging
import time
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from adlens.api.problems import problem_response
from adlens.observability import request_id_var

log = logging.getLogger("adlens.access")

OPEN_PATHS = ("/api/v1/health",)


class RequestContextMiddleware:
    """Assigns ``X-Request-ID`` (or keeps a sane incoming one) and writes one access-log line."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        incoming = headers.get(b"x-request-id", b"").decode("latin-1")
        rid = incoming if incoming and len(incoming) <= 64 and incoming.isprintable() else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = rid
        token = request_id_var.set(rid)
        started = time.perf_counter()
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", rid.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            log.info(
                "request",
                extra={
                    "method": scope.get("method"),
                    "path": scope.get("path"),
                    "status": status,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                },
            )
            request_id_var.reset(token)


class ApiKeyMiddleware:
    """When an API key is configured, every ``/api/v1`` route except health requires it.

    Accepted as ``X-API-Key: KEY`` or ``Authorization: Bearer KEY``; compared in constant time.
    """

    def __init__(self, app: ASGIApp, api_key: str) -> None:
        self.app = app
        self.api_key = api_key.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not path.startswith("/api/") or path.startswith(OPEN_PATHS):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        supplied = headers.get(b"x-api-key", b"")
        auth = headers.get(b"authorization", b"")
        if not supplied and auth.lower().startswith(b"bearer "):
            supplied = auth[7:].strip()
        if not supplied and scope.get("query_string"):
            # EventSource cannot set headers: allow ?api_key= on SSE endpoints only.
            from urllib.parse import parse_qs

            qs = parse_qs(scope["query_string"].decode("latin-1"))
            if path.endswith("/events") and qs.get("api_key"):
                supplied = qs["api_key"][0].encode()
        if supplied and hmac.compare_digest(supplied, self.api_key):
            await self.app(scope, receive, send)
            return
        response = problem_response(
            401,
            "Unauthorized",
            "This server requires an API key: send it as X-API-Key or Authorization: Bearer.",
            instance=path,
            code="unauthorized",
        )
        response.headers["WWW-Authenticate"] = 'Bearer realm="adlens"'
        await response(scope, receive, send)


__all__ = ["ApiKeyMiddleware", "RequestContextMiddleware"]
