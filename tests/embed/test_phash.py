from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from adlens.embed import hamming, phash
from adlens.errors import InvalidInput


def _recompress(img: Image.Image, quality: int) -> Image.Image:
    buf = io.BytesIO()
    img.convert("RGB").save(buf, format="JPEG", quality=quality)
    return Image.open(io.BytesIO(buf.getvalue()))


def test_stable_under_resize_and_recompression(skimage_dir: Path) -> None:
    for name in ("chelsea.png", "coffee.png", "astronaut.png"):
        img = Image.open(skimage_dir / name).convert("RGB")
        h = phash(img)
        small = img.resize((img.width // 3, img.height // 3))
        assert hamming(h, phash(small)) <= 6
        assert hamming(h, phash(_recompress(img, 40))) <= 6


def test_different_images_differ(skimage_dir: Path) -> None:
    names = ["chelsea.png", "coffee.png", "astronaut.png", "rocket.jpg", "camera.png"]
    hashes = [phash(Image.open(skimage_dir / n)) for n in names]
    for i in range(len(hashes)):
        for j in range(i + 1, len(hashes)):
            assert hamming(hashes[i], hashes[j]) >= 16, (names[i], names[j])


def test_hamming_validates() -> None:
    assert hamming("0" * 16, "f" * 16) == 64
    with pytest.raises(InvalidInput):
        hamming("xyz", "0" * 16)
