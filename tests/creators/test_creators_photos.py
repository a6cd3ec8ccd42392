"""Image → image: a different photo of the same subject finds its creator (real photos and drawn avatars)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from PIL import Image, ImageEnhance

from adlens.creators.avatars import draw_avatar
from adlens.creators.demo import demo_rows, seed
from adlens.creators.ingest import import_table
from adlens.creators.search import search_creators
from adlens.creators.sources import read_path

# scikit-image sample photos: CC0 / public domain (see shared data PROVENANCE and manifest)
SUBJECTS = {
    "eileen": "astronaut.png",
    "chelsea": "chelsea.png",
    "cup": "coffee.png",
    "rocket": "rocket.jpg",
    "cameraman": "camera.png",
    "moto": "motorcycle_left.png",
    "coins": "coins.png",
}


def _variant(
    path: Path, box: tuple[float, float, float, float], *, scale: float, colour: float, flip: bool = False
) -> bytes:
    img = Image.open(path).convert("RGB")
    w, h = img.size
    img = img.crop((int(box[0] * w), int(box[1] * h), int(box[2] * w), int(box[3] * h)))
    img = img.resize((max(32, int(img.width * scale)), max(32, int(img.height * scale))))
    img = ImageEnhance.Color(img).enhance(colour)
    if flip:
        img = img.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=80)
    return buf.getvalue()


def test_another_photo_of_the_same_subject(fresh_runtime: Any, shared_data: Path, tmp_path: Path) -> None:
    images = shared_data / "skimage-sample-images" / "images"
    lines = ["handle,followers,bio,photo_1,photo_2"]
    for handle, name in SUBJECTS.items():
        a = tmp_path / f"{handle}-a.jpg"
        b = tmp_path / f"{handle}-b.jpg"
        a.write_bytes(_variant(images / name, (0.0, 0.0, 0.85, 0.85), scale=0.6, colour=1.0))
        b.write_bytes(_variant(images / name, (0.1, 0.1, 1.0, 1.0), scale=0.5, colour=1.3))
        lines.append(f"{handle},10k,sample photo,{a.name},{b.name}")
    (tmp_path / "c.csv").write_text("\n".join(lines) + "\n")
    r = import_table(fresh_runtime, read_path(tmp_path / "c.csv"), allow_local_images=True, base_dir=tmp_path)
    assert r["photos"] == 2 * len(SUBJECTS) and not r["photo_errors"]
    for handle, name in SUBJECTS.items():
        # a third framing: another crop, rescaled, desaturated and mirrored
        query = _variant(images / name, (0.05, 0.15, 0.95, 0.9), scale=0.7, colour=0.5, flip=True)
        got = search_creators(fresh_runtime, "", image=query, k=3, mode="image")
        assert got["results"][0]["handle"] == handle, (handle, [x["handle"] for x in got["results"]])
        assert got["image_id"] and got["results"][0]["best_photo_id"].startswith(f"instagram:{handle}#photo")
    # the stereo partner photo (another camera position) of the motorcycle
    right = (images / "motorcycle_right.png").read_bytes()
    got = search_creators(fresh_runtime, "", image=right, k=1, mode="image")
    assert got["results"][0]["handle"] == "moto"
    # hybrid with text and an image, and re-use of the uploaded image by id
    again = search_creators(fresh_runtime, "cat", image_id=got["image_id"], k=2, mode="hybrid")
    assert (
        set(again["weights"]) == {"image", "text", "text_image"} and again["results"][0]["handle"] == "moto"
    )


def test_demo_avatars_find_the_same_person(fresh_runtime: Any) -> None:
    r = seed(fresh_runtime, n=24)
    assert r["imported"] == 24 and r["photos"] == 48
    assert "skipped" in seed(fresh_runtime, n=24)
    rows = demo_rows(24)
    hits = 0
    for i in range(0, 24, 3):
        query = draw_avatar(rows[i]["look"], variant=2, seed=i)  # a framing that was never imported
        got = search_creators(fresh_runtime, "", image=query, k=1, mode="image")
        hits += got["results"][0]["handle"] == rows[i]["handle"]
    assert hits >= 7  # of 8
    q = search_creators(fresh_runtime, "fitness creators", k=5)
    assert q["results"] and all(x["category"] == "fitness" for x in q["results"])
    assert all(x["photo"] and x["audience_quality"] for x in q["results"])
