"""Creator photos: load (local path or URL through the SSRF-guarded fetch seam), analyse, keep a thumbnail.

Policy for a photo that cannot be loaded or decoded (broken URL, 404, not an image, too large, a
private address): the row is **kept without that photo** and the problem is listed in the import
report under ``photo_errors`` (row number, handle, source, reason).

Thumbnails (JPEG, at most 256 px, re-encoded from the decoded pixels) are stored under
``DATA_DIR/creators/photos/<sha256>.jpg`` and served by ``GET /api/v1/creators/photos/{file}``.
"""

from __future__ import annotations

import hashlib
import io
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from adlens.embed import decode_image
from adlens.errors import AdlensError, InvalidInput, PayloadTooLarge

__all__ = ["PhotoLoader", "PhotoResult", "photos_dir", "save_thumbnail"]

MAX_PHOTO_BYTES = 10 * 1024 * 1024
THUMB_PX = 256


def photos_dir(settings: Any) -> Path:
    d = Path(settings.data_dir) / "creators" / "photos"
    d.mkdir(parents=True, exist_ok=True)
    return d


def save_thumbnail(data: bytes, directory: Path) -> str:
    """Decode (safely), shrink, write atomically; returns the file name (content-addressed)."""
    decoded = decode_image(data)
    name = hashlib.sha256(data).hexdigest()[:32] + ".jpg"
    path = directory / name
    if not path.exists():
        img = decoded.image.copy()
        img.thumbnail((THUMB_PX, THUMB_PX))
        buf = io.BytesIO()
        img.save(buf, "JPEG", quality=85)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(buf.getvalue())
        os.replace(tmp, path)
    return name


@dataclass
class PhotoResult:
    source: str
    data: bytes | None = None
    error: str | None = None


class PhotoLoader:
    """Loads photo bytes. URLs go through ``SyncFetcher`` (SSRF guard, size/time limits); local paths only
    when ``allow_local`` (the CLI; never for API uploads) and resolved against ``base_dir``."""

    def __init__(self, settings: Any, *, allow_local: bool, base_dir: Path | None = None) -> None:
        self.settings = settings
        self.allow_local = allow_local
        self.base_dir = base_dir
        self._fetcher: Any = None
        self.max_bytes = min(MAX_PHOTO_BYTES, int(getattr(settings, "fetch_max_bytes", MAX_PHOTO_BYTES)))

    def _sync_fetcher(self) -> Any:
        if self._fetcher is None:
            from adlens.fetch import SyncFetcher

            self._fetcher = SyncFetcher.from_settings(self.settings, rendering=False)
        return self._fetcher

    def load(self, source: str) -> PhotoResult:
        try:
            if source.lower().startswith(("http://", "https://")):
                res = self._sync_fetcher().fetch_resource(source, max_bytes=self.max_bytes)
                data = bytes(res.data)
            elif "://" in source or source.lower().startswith("data:"):
                raise InvalidInput("only http(s) URLs and local paths are supported")
            else:
                data = self._local(source)
            decode_image(data)  # reject non-images early, with the decoder's message
            return PhotoResult(source, data=data)
        except AdlensError as e:
            return PhotoResult(source, error=e.message)
        except OSError as e:
            return PhotoResult(source, error=f"cannot read: {e.strerror or e}")

    def _local(self, source: str) -> bytes:
        if not self.allow_local:
            raise InvalidInput("local image paths are not allowed for uploads; use http(s) URLs")
        p = Path(source).expanduser()
        if not p.is_absolute() and self.base_dir is not None:
            p = self.base_dir / p
        if not p.is_file():
            raise InvalidInput("file not found")
        if p.stat().st_size > self.max_bytes:
            raise PayloadTooLarge(f"larger than {self.max_bytes:,} bytes")
        return p.read_bytes()

    def close(self) -> None:
        if self._fetcher is not None:
            self._fetcher.close()
            self._fetcher = None
