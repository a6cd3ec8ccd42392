"""Safe image decoding: format from magic bytes, pixel limits, first frame, RGB on white.

Errors: not an image -> :class:`UnsupportedMedia` (SVG included: index its text instead);
too many pixels (decompression bombs) -> :class:`PayloadTooLarge`; truncated or corrupt ->
:class:`InvalidInput`.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from adlens.errors import InvalidInput, PayloadTooLarge, UnsupportedMedia

MAX_PIXELS = 40_000_000
SUPPORTED_FORMATS = frozenset({"JPEG", "PNG", "GIF", "WEBP", "BMP", "TIFF", "ICO"})


@dataclass(frozen=True)
class DecodedImage:
    """An RGB image (EXIF orientation applied; ``width``/``height`` as displayed) plus what the file said."""

    image: Image.Image
    width: int
    height: int
    format: str
    frames: int


def _looks_like_svg(data: bytes) -> bool:
    head = data[:1024].lstrip().lower()
    return head.startswith(b"<svg") or (head.startswith(b"<?xml") and b"<svg" in data[:4096].lower())


def to_rgb(image: Image.Image, background: tuple[int, int, int] = (255, 255, 255)) -> Image.Image:
    """Flatten any mode (CMYK, palette, alpha, 16-bit, greyscale) to RGB, transparency over ``background``."""
    if image.mode == "RGB":
        return image
    if image.mode == "P" and "transparency" in image.info:
        image = image.convert("RGBA")
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = image.convert("RGBA")
        canvas = Image.new("RGB", rgba.size, background)
        canvas.paste(rgba, mask=rgba.getchannel("A"))
        return canvas
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        image = image.point(lambda v: v / 256).convert("L")
    return image.convert("RGB")


def decode_image(data: bytes, *, max_pixels: int = MAX_PIXELS) -> DecodedImage:
    """Decode ``data`` into an RGB image (first frame of animations, EXIF orientation applied)."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise InvalidInput(f"image data must be bytes, not {type(data).__name__}")
    data = bytes(data)
    if not data:
        raise InvalidInput("empty image data")
    if _looks_like_svg(data):
        raise UnsupportedMedia("SVG images are not rasterised; index their text instead")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data), formats=sorted(SUPPORTED_FORMATS))
    except UnidentifiedImageError:
        raise UnsupportedMedia("not a supported image (JPEG, PNG, GIF, WebP, BMP, TIFF, ICO)") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise PayloadTooLarge(f"image has more than {max_pixels:,} pixels") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise InvalidInput(f"corrupt image: {exc}") from None
    width, height = img.size
    if width * height > max_pixels:
        raise PayloadTooLarge(f"image is {width}x{height}: more than {max_pixels:,} pixels")
    if width < 1 or height < 1:
        raise InvalidInput("image has no pixels")
    fmt = img.format or "UNKNOWN"
    frames = int(getattr(img, "n_frames", 1) or 1)
    try:
        img.seek(0)
        img.load()
        oriented = ImageOps.exif_transpose(img) or img
        rgb = to_rgb(oriented)
    except (OSError, SyntaxError, ValueError, EOFError, Image.DecompressionBombError) as exc:
        raise InvalidInput(f"truncated or corrupt {fmt} image: {exc}") from None
    return DecodedImage(image=rgb, width=rgb.width, height=rgb.height, format=fmt, frames=frames)


__all__ = ["MAX_PIXELS", "SUPPORTED_FORMATS", "DecodedImage", "decode_image", "to_rgb"]
