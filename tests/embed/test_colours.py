from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

from adlens.embed import dominant_colours


def test_product_shot_names_the_product_not_the_background() -> None:
    img = Image.new("RGB", (200, 200), "white")
    ImageDraw.Draw(img).rectangle((60, 40, 140, 160), fill=(20, 30, 140))
    assert dominant_colours(img) == ["blue"]
    assert dominant_colours(img, ignore_background=False)[0] == "white"


def test_plain_images_and_photos() -> None:
    assert dominant_colours(Image.new("RGB", (50, 50), (200, 0, 0))) == ["red"]
    assert dominant_colours(Image.new("RGB", (50, 50), "white")) == ["white"]


def test_real_photo(skimage_dir: Path) -> None:
    assert "brown" in dominant_colours(Image.open(skimage_dir / "coffee.png"))
