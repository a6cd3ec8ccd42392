"""Dominant colour names of an image (basic colour terms), by nearest named prototype in CIELAB."""

from __future__ import annotations

import numpy as np
from PIL import Image

# Several sRGB prototypes per basic colour term (Berlin & Kay's eleven, plus beige and navy-ish blues).
PROTOTYPES: dict[str, tuple[tuple[int, int, int], ...]] = {
    "black": ((0, 0, 0), (30, 30, 30)),
    "white": ((255, 255, 255), (240, 240, 235)),
    "grey": ((128, 128, 128), (90, 90, 90), (190, 190, 190)),
    "red": ((220, 20, 30), (160, 20, 25), (255, 60, 60)),
    "orange": ((255, 140, 0), (230, 110, 30)),
    "yellow": ((255, 220, 0), (240, 230, 90)),
    "green": ((30, 160, 50), (20, 90, 30), (120, 200, 90), (85, 107, 47)),
    "blue": ((30, 80, 220), (20, 30, 110), (100, 160, 230), (0, 150, 200)),
    "purple": ((128, 40, 160), (80, 30, 100), (180, 120, 210)),
    "pink": ((255, 150, 190), (230, 60, 140)),
    "brown": ((120, 70, 30), (80, 50, 30), (160, 110, 60)),
    "beige": ((225, 200, 160), (200, 180, 140)),
}


def rgb_to_lab(rgb: np.ndarray) -> np.ndarray:
    """sRGB uint8/float ``(..., 3)`` to CIELAB (D65)."""
    c = np.asarray(rgb, dtype=np.float64) / 255.0
    c = np.where(c > 0.04045, ((c + 0.055) / 1.055) ** 2.4, c / 12.92)
    m = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]])
    xyz = c @ m.T / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > 216 / 24389, np.cbrt(xyz), (24389 / 27 * xyz + 16) / 116)
    return np.stack(
        [116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]), 200 * (f[..., 1] - f[..., 2])], axis=-1
    )


_NAMES = [name for name, protos in PROTOTYPES.items() for _ in protos]
_LAB = rgb_to_lab(np.array([p for protos in PROTOTYPES.values() for p in protos]))


def _foreground(lab: np.ndarray, side: int) -> np.ndarray:
    """Drop a uniform background: when most of the 2-px border is one colour (product shots, banners),
    pixels close to it are not counted, unless that would leave almost nothing."""
    grid = lab.reshape(side, side, 3)
    border = np.concatenate(
        [
            grid[:2].reshape(-1, 3),
            grid[-2:].reshape(-1, 3),
            grid[:, :2].reshape(-1, 3),
            grid[:, -2:].reshape(-1, 3),
        ]
    )
    bg = np.median(border, axis=0)
    if (np.linalg.norm(border - bg, axis=1) < 10).mean() < 0.8:
        return lab
    keep = np.linalg.norm(lab - bg, axis=1) >= 12
    return lab[keep] if keep.mean() >= 0.05 else lab


def colour_shares(image: Image.Image, *, ignore_background: bool = True) -> dict[str, float]:
    """Share of pixels (0..1) nearest to each colour name, largest first (a uniform background is skipped)."""
    side = 48
    small = np.asarray(image.convert("RGB").resize((side, side), Image.Resampling.BILINEAR)).reshape(-1, 3)
    lab = rgb_to_lab(small)
    if ignore_background:
        lab = _foreground(lab, side)
    nearest = np.argmin(((lab[:, None, :] - _LAB[None, :, :]) ** 2).sum(-1), axis=1)
    shares: dict[str, float] = {}
    for idx, count in zip(*np.unique(nearest, return_counts=True), strict=True):
        name = _NAMES[int(idx)]
        shares[name] = shares.get(name, 0.0) + float(count) / len(nearest)
    return dict(sorted(shares.items(), key=lambda kv: -kv[1]))


def dominant_colours(
    image: Image.Image, *, top: int = 3, min_share: float = 0.1, ignore_background: bool = True
) -> list[str]:
    """Up to ``top`` colour names covering at least ``min_share`` of the (foreground of the) image each."""
    shares = colour_shares(image, ignore_background=ignore_background)
    return [name for name, share in shares.items() if share >= min_share][:top]


__all__ = ["PROTOTYPES", "colour_shares", "dominant_colours", "rgb_to_lab"]
