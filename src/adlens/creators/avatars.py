"""Drawn avatars for the demo creators (Pillow shapes; generated here, CC0).

An avatar is a simple cartoon portrait: background colour, shoulders in a shirt colour, a head in one
of several skin tones, a hair style (curly, straight, long, bun, bald), optional glasses and beard,
and a category prop (dumbbell, lipstick, camera, guitar…). ``variant`` re-draws the *same person*
with another background, zoom and small shift: "another photo of the same person".
"""

from __future__ import annotations

import io
import math
import random
from dataclasses import dataclass

from PIL import Image, ImageDraw

__all__ = ["Look", "draw_avatar", "random_look"]

SKIN = [(255, 224, 189), (241, 194, 125), (224, 172, 105), (198, 134, 66), (141, 85, 36), (92, 58, 33)]
HAIR = [(20, 20, 20), (90, 56, 37), (181, 130, 70), (230, 200, 120), (200, 60, 40), (150, 150, 150)]
STYLES = ("curly", "straight", "long", "bun", "bald")
BACKGROUNDS = [
    (120, 180, 240),
    (250, 210, 120),
    (170, 230, 170),
    (240, 160, 190),
    (200, 190, 240),
    (245, 245, 240),
]
PROPS = {
    "fitness": "dumbbell",
    "beauty": "lipstick",
    "photography": "camera",
    "music": "guitar",
    "food": "cup",
    "travel": "plane",
    "gaming": "gamepad",
    "pets": "paw",
    "sports": "ball",
    "tech": "laptop",
}


@dataclass(frozen=True)
class Look:
    skin: tuple[int, int, int]
    hair: tuple[int, int, int]
    style: str
    shirt: tuple[int, int, int]
    glasses: bool
    beard: bool
    prop: str | None


def random_look(rng: random.Random, category: str) -> Look:
    style = rng.choice(STYLES)
    return Look(
        rng.choice(SKIN),
        rng.choice(HAIR),
        style,
        tuple(rng.randrange(30, 230) for _ in range(3)),  # type: ignore[arg-type]
        rng.random() < 0.3,
        style in ("straight", "bald") and rng.random() < 0.4,
        PROPS.get(category),
    )


def _prop(d: ImageDraw.ImageDraw, prop: str, s: float) -> None:
    x, y = 205 * s, 200 * s
    if prop == "dumbbell":
        d.rectangle([x - 30 * s, y - 4 * s, x + 30 * s, y + 4 * s], fill=(60, 60, 60))
        for dx in (-34, 26):
            d.rectangle([x + dx * s, y - 16 * s, x + (dx + 8) * s, y + 16 * s], fill=(30, 30, 30))
    elif prop == "lipstick":
        d.rectangle([x - 7 * s, y - 5 * s, x + 7 * s, y + 30 * s], fill=(212, 175, 55))
        d.polygon(
            [(x - 7 * s, y - 5 * s), (x + 7 * s, y - 5 * s), (x + 7 * s, y - 25 * s)], fill=(200, 20, 60)
        )
    elif prop == "camera":
        d.rectangle([x - 28 * s, y - 18 * s, x + 28 * s, y + 18 * s], fill=(40, 40, 40))
        d.ellipse([x - 12 * s, y - 12 * s, x + 12 * s, y + 12 * s], fill=(120, 160, 200))
    elif prop == "guitar":
        d.ellipse([x - 20 * s, y - 5 * s, x + 20 * s, y + 35 * s], fill=(160, 82, 45))
        d.rectangle([x - 3 * s, y - 45 * s, x + 3 * s, y + 10 * s], fill=(90, 50, 20))
    elif prop == "ball":
        d.ellipse(
            [x - 20 * s, y - 20 * s, x + 20 * s, y + 20 * s],
            fill=(255, 255, 255),
            outline=(0, 0, 0),
            width=max(1, int(2 * s)),
        )
    elif prop == "cup":
        d.rectangle(
            [x - 14 * s, y - 14 * s, x + 14 * s, y + 20 * s],
            fill=(250, 250, 250),
            outline=(90, 60, 40),
            width=max(1, int(3 * s)),
        )
    else:
        d.rounded_rectangle(
            [x - 22 * s, y - 16 * s, x + 22 * s, y + 16 * s], radius=int(6 * s), fill=(70, 70, 90)
        )


def draw_avatar(look: Look, *, variant: int = 0, size: int = 256, seed: int = 0) -> bytes:
    """PNG bytes of the portrait; ``variant`` > 0 changes background, zoom and position only."""
    rng = random.Random(seed * 31 + variant)
    bg = BACKGROUNDS[(seed + variant * 2) % len(BACKGROUNDS)]
    canvas = 256
    img = Image.new("RGB", (canvas, canvas), bg)
    d = ImageDraw.Draw(img)
    s = 1.0
    cx, cy = 128, 110
    d.ellipse([cx - 90, 190, cx + 90, 330], fill=look.shirt)  # shoulders
    d.rectangle([cx - 18, 150, cx + 18, 200], fill=look.skin)  # neck
    if look.style == "long":
        d.rounded_rectangle([cx - 62, cy - 60, cx + 62, cy + 95], radius=40, fill=look.hair)
    d.ellipse([cx - 50, cy - 62, cx + 50, cy + 62], fill=look.skin)  # head
    if look.style == "curly":
        for i in range(22):
            ang = 3.1416 * (1.05 + 0.9 * i / 21)
            px, py = cx + 52 * math.cos(ang), cy - 5 + 58 * math.sin(ang)
            r = 16 + rng.randrange(0, 5)
            d.ellipse([px - r, py - r, px + r, py + r], fill=look.hair)
    elif look.style in ("straight", "long"):
        d.chord([cx - 54, cy - 70, cx + 54, cy + 20], 180, 360, fill=look.hair)
    elif look.style == "bun":
        d.chord([cx - 52, cy - 66, cx + 52, cy + 10], 180, 360, fill=look.hair)
        d.ellipse([cx - 24, cy - 100, cx + 24, cy - 54], fill=look.hair)
    for ex in (-20, 20):  # eyes
        d.ellipse([cx + ex - 6, cy - 8, cx + ex + 6, cy + 4], fill=(255, 255, 255))
        d.ellipse([cx + ex - 3, cy - 5, cx + ex + 3, cy + 1], fill=(40, 30, 20))
    if look.glasses:
        for ex in (-20, 20):
            d.ellipse([cx + ex - 14, cy - 14, cx + ex + 14, cy + 10], outline=(20, 20, 20), width=3)
        d.line([cx - 6, cy - 2, cx + 6, cy - 2], fill=(20, 20, 20), width=3)
    if look.beard:
        d.chord([cx - 44, cy, cx + 44, cy + 66], 0, 180, fill=look.hair)
    d.arc([cx - 18, cy + 14, cx + 18, cy + 38], 20, 160, fill=(150, 40, 40), width=4)  # smile
    if look.prop:
        _prop(d, look.prop, s)
    if variant:
        zoom = 0.8 + 0.1 * (variant % 3)
        box = int(canvas * zoom)
        ox, oy = rng.randrange(0, canvas - box + 1), rng.randrange(0, canvas - box + 1)
        img = img.crop((ox, oy, ox + box, oy + box))
    img = img.resize((size, size))
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()
