"""Perceptual hash (DCT pHash, 64 bits) and Hamming distance, for near-duplicate images.

The image is converted to greyscale, resized to 32x32, transformed with a 2-D DCT-II; the 8x8
lowest frequencies (DC included) are compared with their median to give 64 bits, written as 16 hex
digits. Resizing and recompression change few bits; different images differ in about half.
"""

from __future__ import annotations

import numpy as np
from PIL import Image
from scipy.fft import dctn

from adlens.errors import InvalidInput

HASH_BITS = 64


def phash_bits(image: Image.Image) -> np.ndarray:
    """The 64 hash bits of ``image`` as a boolean array (row-major over the 8x8 low frequencies)."""
    grey = image.convert("L").resize((32, 32), Image.Resampling.LANCZOS)
    pixels = np.asarray(grey, dtype=np.float64)
    low = dctn(pixels, type=2, norm="ortho")[:8, :8]
    return (low > np.median(low)).reshape(-1)


def phash(image: Image.Image) -> str:
    """The pHash of ``image`` as 16 lowercase hex digits."""
    bits = phash_bits(image)
    value = 0
    for bit in bits:
        value = (value << 1) | int(bit)
    return f"{value:016x}"


def _as_int(h: str) -> int:
    try:
        if len(h) != HASH_BITS // 4:
            raise ValueError
        return int(h, 16)
    except (TypeError, ValueError):
        raise InvalidInput(f"not a 64-bit hex pHash: {h!r}") from None


def hamming(a: str, b: str) -> int:
    """Number of differing bits between two hex pHashes (0 = same, 64 = opposite)."""
    return (_as_int(a) ^ _as_int(b)).bit_count()


__all__ = ["HASH_BITS", "hamming", "phash", "phash_bits"]
