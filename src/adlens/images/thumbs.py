"""Thumbnails: one ≤ 320 px JPEG per content hash under ``data_dir/images/thumbs/<hash[:2]>/<hash>.jpg``.

The UI shows these instead of hotlinking the crawled site. Files are written atomically (temporary
file + rename) and shared by every crawl that saw the same bytes.
"""

from __future__ import annotations

import io
import os
import re
import tempfile
from pathlib import Path

from PIL import Image

from adlens.embed.decode import decode_image
from adlens.errors import InvalidInput

THUMB_SIDE = 320
THUMB_ROUTE = "/api/v1/images/thumbs/{content_hash}"
_HASH_RE = re.compile(r"^[0-9a-f]{64}$")


def check_hash(content_hash: str) -> str:
    """A SHA-256 hex digest (lower case), or :class:`InvalidInput`."""
    if not isinstance(content_hash, str) or not _HASH_RE.match(content_hash):
        raise InvalidInput("content_hash must be 64 lower-case hex digits (a SHA-256)")
    return content_hash


def thumbs_dir(data_dir: Path) -> Path:
    return Path(data_dir) / "images" / "thumbs"


def thumb_path(data_dir: Path, content_hash: str) -> Path:
    check_hash(content_hash)
    return thumbs_dir(data_dir) / content_hash[:2] / f"{content_hash}.jpg"


def thumb_url(content_hash: str) -> str:
    return THUMB_ROUTE.format(content_hash=content_hash)


def render_thumbnail(raster: bytes | Image.Image, side: int = THUMB_SIDE) -> bytes:
    """JPEG bytes of the image shrunk to fit ``side`` × ``side`` (decoded safely when given bytes)."""
    image = decode_image(raster).image if isinstance(raster, bytes | bytearray) else raster.convert("RGB")
    image = image.copy()
    image.thumbnail((side, side), Image.Resampling.LANCZOS)
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=80, optimize=True)
    return buf.getvalue()


def save_thumbnail(data_dir: Path, content_hash: str, raster: bytes | Image.Image) -> Path:
    """Write the thumbnail of ``raster`` unless it exists; return its path."""
    path = thumb_path(data_dir, content_hash)
    if path.exists():
        return path
    data = render_thumbnail(raster)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".thumb-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def delete_thumbnail(data_dir: Path, content_hash: str) -> bool:
    try:
        path = thumb_path(data_dir, content_hash)
    except InvalidInput:
        return False
    if path.exists():
        path.unlink()
        return True
    return False


__all__ = [
    "THUMB_ROUTE",
    "THUMB_SIDE",
    "check_hash",
    "delete_thumbnail",
    "render_thumbnail",
    "save_thumbnail",
    "thumb_path",
    "thumb_url",
    "thumbs_dir",
]
