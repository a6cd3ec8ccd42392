"""One exception hierarchy for all of adlens.

Every error a user can cause carries an HTTP status, a stable machine code and a one-line
human message. The API maps these to RFC 9457 problem+json; the CLI prints ``message`` and exits
non-zero. Anything that is *not* an :class:`AdlensError` is a bug and is reported as a 500
without leaking internals.
"""

from __future__ import annotations

from typing import Any


class AdlensError(Exception):
    """Base class. ``status`` is the HTTP status the API answers with."""

    status: int = 500
    code: str = "internal-error"
    title: str = "Internal error"

    def __init__(self, message: str, *, detail: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail or {}

    def to_problem(self, instance: str | None = None) -> dict[str, Any]:
        """RFC 9457 problem document."""
        doc: dict[str, Any] = {
            "type": f"https://adlens.dev/problems/{self.code}",
            "title": self.title,
            "status": self.status,
            "detail": self.message,
        }
        if instance:
            doc["instance"] = instance
        if self.detail:
            doc["errors"] = self.detail
        return doc


class InvalidInput(AdlensError):
    """The caller sent something malformed (bad filter, wrong dimension, bad file)."""

    status = 422
    code = "invalid-input"
    title = "Invalid input"


class BadRequest(InvalidInput):
    status = 400
    code = "bad-request"
    title = "Bad request"


class NotFound(AdlensError):
    status = 404
    code = "not-found"
    title = "Not found"


class Conflict(AdlensError):
    status = 409
    code = "conflict"
    title = "Conflict"


class PayloadTooLarge(AdlensError):
    status = 413
    code = "payload-too-large"
    title = "Payload too large"


class UnsupportedMedia(AdlensError):
    status = 415
    code = "unsupported-media-type"
    title = "Unsupported media type"


class Unauthorized(AdlensError):
    status = 401
    code = "unauthorized"
    title = "Unauthorized"


class Forbidden(AdlensError):
    """E.g. a URL that resolves to a private address while private networks are not allowed."""

    status = 403
    code = "forbidden"
    title = "Forbidden"


class RateLimited(AdlensError):
    status = 429
    code = "too-many-requests"
    title = "Too many requests"


class UpstreamError(AdlensError):
    """A remote resource (web page, image, LLM server) failed or answered badly."""

    status = 502
    code = "upstream-error"
    title = "Upstream error"


class UpstreamTimeout(UpstreamError):
    status = 504
    code = "upstream-timeout"
    title = "Upstream timeout"


class Unavailable(AdlensError):
    """A dependency (model, store, server) is not available right now."""

    status = 503
    code = "unavailable"
    title = "Service unavailable"


class SpaceMismatch(InvalidInput):
    """Vectors from different embedding spaces or model versions were mixed."""

    code = "embedding-space-mismatch"
    title = "Embedding space mismatch"


__all__ = [
    "AdlensError",
    "BadRequest",
    "Conflict",
    "Forbidden",
    "InvalidInput",
    "NotFound",
    "PayloadTooLarge",
    "RateLimited",
    "SpaceMismatch",
    "Unauthorized",
    "Unavailable",
    "UnsupportedMedia",
    "UpstreamError",
    "UpstreamTimeout",
]
