"""Regenerate the binary assets of the images fixture site (``tests/images/site/img``).

Run once by hand (``.venv/bin/python tests/images/make_images_site.py /path/to/shared/data``); the
outputs are committed. Photos are scikit-image sample images (public domain / CC0, see
``site/README.md``), resized and re-encoded; the text images are drawn here with Pillow.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

SITE = Path(__file__).parent / "site"
IMG = SITE / "img"

PHOTOS = {  # output name -> (skimage file, max width, format)
    "astronaut.jpg": ("astronaut.png", 400, "JPEG"),
    "camera.jpg": ("camera.png", 360, "JPEG"),
    "rocket.jpg": ("rocket.jpg", 480, "JPEG"),
    "hubble.jpg": ("hubble_deep_field.jpg", 480, "JPEG"),
    "chelsea-large.jpg": ("chelsea.png", 451, "JPEG"),
    "chelsea-small.jpg": ("chelsea.png", 225, "JPEG"),
    "coffee.webp": ("coffee.png", 400, "WEBP"),
    "coffee.jpg": ("coffee.png", 400, "JPEG"),
    "coins.png": ("coins.png", 384, "PNG"),
    "horse.png": ("horse.png", 300, "PNG"),
    "clock.jpg": ("clock_motion.png", 400, "JPEG"),
    "retina.jpg": ("retina.jpg", 400, "JPEG"),
    "grass.jpg": ("grass.png", 320, "JPEG"),
    "brick.jpg": ("brick.png", 320, "JPEG"),
}


def _photo(src: Path, width: int, fmt: str, out: Path) -> None:
    im = Image.open(src)
    im = im.convert("RGBA" if fmt == "PNG" and im.mode == "RGBA" else "RGB")
    if im.width > width:
        im = im.resize((width, round(im.height * width / im.width)), Image.Resampling.LANCZOS)
    kwargs = {"quality": 82} if fmt in ("JPEG", "WEBP") else {"optimize": True}
    im.save(out, fmt, **kwargs)


def _text_image(
    out: Path, size: tuple[int, int], bg: str, fg: str, lines: list[str], fmt: str, font_size: int = 56
) -> None:
    im = Image.new("RGB", size, bg)
    draw = ImageDraw.Draw(im)
    font = ImageFont.load_default(size=font_size)
    heights = [draw.textbbox((0, 0), line, font=font) for line in lines]
    total = sum(b[3] - b[1] for b in heights) + 20 * (len(lines) - 1)
    y = (size[1] - total) // 2
    for line, box in zip(lines, heights, strict=True):
        w, h = box[2] - box[0], box[3] - box[1]
        draw.text(((size[0] - w) // 2 - box[0], y - box[1]), line, fill=fg, font=font)
        y += h + 20
    kwargs = {"quality": 90} if fmt in ("JPEG", "WEBP") else {}
    im.save(out, fmt, **kwargs)


def main(shared_data: Path) -> None:
    IMG.mkdir(parents=True, exist_ok=True)
    src_dir = shared_data / "skimage-sample-images" / "images"
    for name, (src, width, fmt) in PHOTOS.items():
        _photo(src_dir / src, width, fmt, IMG / name)
    (IMG / "astronaut-copy.jpg").write_bytes((IMG / "astronaut.jpg").read_bytes())
    _text_image(IMG / "banner-sale.png", (640, 220), "#c8102e", "#ffffff", ["SUMMER SALE", "50% OFF"], "PNG")
    _text_image(IMG / "sign-open.webp", (520, 240), "#0b2545", "#ffd166", ["OPEN", "24 HOURS"], "WEBP")
    _text_image(
        IMG / "label-beans.jpg", (520, 300), "#f3e9dc", "#4a2c1a", ["FRESH COFFEE", "BEANS $19.99"], "JPEG"
    )
    _text_image(IMG / "deep-sign.png", (400, 160), "#ffffff", "#222222", ["LEVEL FOUR"], "PNG", 48)
    Image.new("RGB", (1, 1), "white").save(IMG / "dot.gif", "GIF")
    Image.new("RGB", (1, 1), "white").save(IMG / "spacer.gif", "GIF")
    Image.new("1", (8000, 8000), 0).save(IMG / "bomb.png", "PNG")  # 64 Mpx: a decompression bomb
    (IMG / "corrupt.png").write_bytes((IMG / "coins.png").read_bytes()[:300])


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[3] / "shared" / "data")
