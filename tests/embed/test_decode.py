from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image

from adlens.embed import decode_image
from adlens.errors import InvalidInput, PayloadTooLarge, UnsupportedMedia


def _jpeg(path: Path) -> bytes:
    buf = io.BytesIO()
    Image.open(path).convert("RGB").save(buf, format="JPEG", quality=85)
    return buf.getvalue()


def _png_with_size(width: int, height: int) -> bytes:
    """A tiny valid PNG whose header claims ``width`` x ``height`` (a decompression bomb)."""
    buf = io.BytesIO()
    Image.new("L", (1, 1)).save(buf, format="PNG")
    data = bytearray(buf.getvalue())
    ihdr = struct.pack(">II", width, height) + bytes(data[24:29])
    data[16:29] = ihdr
    data[29:33] = struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    return bytes(data)


def test_non_image_bytes() -> None:
    with pytest.raises(UnsupportedMedia):
        decode_image(b"%PDF-1.7 this is not an image" * 10)
    with pytest.raises(UnsupportedMedia):
        decode_image(b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"></svg>')


def test_truncated_jpeg(skimage_dir: Path) -> None:
    data = _jpeg(skimage_dir / "coffee.png")
    with pytest.raises(InvalidInput) as err:
        decode_image(data[: len(data) // 2])
    assert "truncated" in err.value.message or "corrupt" in err.value.message


def test_huge_dimensions_are_refused() -> None:
    with pytest.raises(PayloadTooLarge):
        decode_image(_png_with_size(60_000, 60_000))
    with pytest.raises(PayloadTooLarge):
        decode_image(_png_with_size(3000, 3000), max_pixels=1_000_000)


def test_modes_become_rgb() -> None:
    for mode, colour in (("CMYK", (0, 0, 0, 0)), ("P", 3), ("L", 128), ("LA", (0, 0))):
        buf = io.BytesIO()
        fmt = "JPEG" if mode == "CMYK" else "PNG"
        Image.new(mode, (20, 10), colour).save(buf, format=fmt)
        decoded = decode_image(buf.getvalue())
        assert decoded.image.mode == "RGB" and (decoded.width, decoded.height) == (20, 10)
        assert decoded.format == fmt
    buf = io.BytesIO()
    Image.new("LA", (4, 4), (0, 0)).save(buf, format="PNG")
    assert decode_image(buf.getvalue()).image.getpixel((0, 0)) == (255, 255, 255)
