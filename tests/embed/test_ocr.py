from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from adlens.embed import ImageEmbedder


def test_reads_rendered_sale_text(image_embedder: ImageEmbedder) -> None:
    img = Image.new("RGB", (640, 240), "white")
    ImageDraw.Draw(img).text((40, 70), "SALE 50% OFF", fill=(200, 0, 0), font=ImageFont.load_default(size=72))
    reader = image_embedder.ocr_reader
    lines = reader.read(img)
    assert len(lines) == 1
    assert lines[0].text.replace(" ", "") == "SALE50%OFF" and lines[0].confidence > 0.8
    assert reader.likely_has_text(img)


def test_hint_is_quiet_on_plain_photos(image_embedder: ImageEmbedder, skimage_dir: Path) -> None:
    reader = image_embedder.ocr_reader
    for name in ("chelsea.png", "coffee.png"):
        assert not reader.likely_has_text(Image.open(skimage_dir / name))
    assert not reader.likely_has_text(Image.new("RGB", (300, 200), "white"))
    assert reader.read(Image.new("RGB", (300, 200), "white")) == []
