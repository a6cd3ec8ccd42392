"""FastAPI dependencies: the shared runtime and upload helpers."""

from __future__ import annotations

from fastapi import Request
from starlette.datastructures import UploadFile

from adlens.errors import PayloadTooLarge
from adlens.runtime import Runtime


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


async def read_upload(upload: UploadFile, max_bytes: int) -> bytes:
    """Read an uploaded file, refusing (413) anything over ``max_bytes`` without reading it all."""
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = await upload.read(1024 * 1024)
        if not chunk:
            break
        size += len(chunk)
        if size > max_bytes:
            raise PayloadTooLarge(
                f"upload '{upload.filename}' is larger than the limit of {max_bytes:,} bytes"
            )
        chunks.append(chunk)
    return b"".join(chunks)


__all__ = ["get_runtime", "read_upload"]
