"""Bounded image download through the fetch seam: size, time, content type, then magic bytes decide.

The declared ``Content-Type`` only gates the download (``image/*`` or an octet stream); the stored
``format`` always comes from the bytes (:func:`sniff_format`), so an HTML error page served as
``image/jpeg`` is refused, and a PNG served as ``image/jpeg`` is a PNG.
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass

from adlens.errors import UnsupportedMedia, UpstreamTimeout
from adlens.fetch import Fetcher

DEFAULT_MAX_IMAGE_BYTES = 10 * 1024 * 1024
ACCEPTED_TYPES = ("image/", "application/octet-stream", "binary/octet-stream")
FORMATS = ("png", "jpeg", "gif", "webp", "avif", "bmp", "ico", "tiff", "svg")


def _looks_like_svg(data: bytes) -> bool:
    head = data[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith(b"<svg"):
        return True
    if head.startswith((b"<?xml", b"<!doctype svg", b"<!--")):
        return b"<svg" in data[:8192].lower()
    return False


def sniff_format(data: bytes) -> str | None:
    """The image format from magic bytes (one of :data:`FORMATS`), or ``None`` when it is not an image."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data[4:8] == b"ftyp" and data[8:12] in (b"avif", b"avis"):
        return "avif"
    if data.startswith(b"BM") and len(data) > 26:
        return "bmp"
    if data.startswith(b"\x00\x00\x01\x00") and len(data) > 22:
        return "ico"
    if data.startswith((b"II*\x00", b"MM\x00*")):
        return "tiff"
    if _looks_like_svg(data):
        return "svg"
    return None


def _what_it_is(data: bytes) -> str:
    head = data[:512].lstrip().lower()
    if head.startswith((b"<!doctype html", b"<html")) or b"<html" in head or b"<title" in head:
        return "an HTML document"
    if head.startswith(b"%pdf"):
        return "a PDF"
    if not data:
        return "empty"
    return "not a known image format"


@dataclass(frozen=True)
class Downloaded:
    """An image's bytes and what they are."""

    url: str
    final_url: str
    data: bytes
    format: str
    content_type: str

    @property
    def size(self) -> int:
        return len(self.data)

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def check_image_bytes(data: bytes, url: str) -> str:
    """The format of ``data``, or :class:`UnsupportedMedia` saying what the bytes are instead."""
    fmt = sniff_format(data)
    if fmt is None:
        raise UnsupportedMedia(f"{url} is {_what_it_is(data)}, not an image", detail={"url": url})
    return fmt


async def download_image(
    fetcher: Fetcher, url: str, *, max_bytes: int = DEFAULT_MAX_IMAGE_BYTES, timeout_s: float = 15.0
) -> Downloaded:
    """Download one image: at most ``max_bytes`` (:class:`PayloadTooLarge`), ``timeout_s`` in total
    (:class:`UpstreamTimeout`), an image content type, and bytes that are an image by their magic."""
    try:
        async with asyncio.timeout(timeout_s):
            resource = await fetcher.fetch_resource(url, max_bytes=max_bytes, accept=ACCEPTED_TYPES)
    except TimeoutError:
        raise UpstreamTimeout(
            f"downloading {url} took longer than {timeout_s:g} s", detail={"url": url}
        ) from None
    fmt = check_image_bytes(resource.data, resource.final_url)
    return Downloaded(url, resource.final_url, resource.data, fmt, resource.content_type)


__all__ = [
    "ACCEPTED_TYPES",
    "DEFAULT_MAX_IMAGE_BYTES",
    "FORMATS",
    "Downloaded",
    "check_image_bytes",
    "download_image",
    "sniff_format",
]
