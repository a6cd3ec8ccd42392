from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from adlens.embed import TEXT_SPACE, VISUAL_SPACE, ImageContext, ImageEmbedder
from adlens.errors import AdlensError, InvalidInput


def _png(image: Image.Image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()


def sale_banner() -> Image.Image:
    img = Image.new("RGB", (640, 240), "white")
    ImageDraw.Draw(img).text((40, 70), "SALE 50% OFF", fill=(200, 0, 0), font=ImageFont.load_default(size=72))
    return img


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("chelsea.png", {"tabby", "tiger cat", "Egyptian cat"}),
        ("coffee.png", {"espresso", "cup", "coffee mug"}),
    ],
)
def test_real_photo_concepts(
    image_embedder: ImageEmbedder, skimage_dir: Path, name: str, expected: set[str]
) -> None:
    a = image_embedder.analyze((skimage_dir / name).read_bytes(), ocr=False)
    assert a.concepts[0][0] in expected, a.concepts
    assert a.format == "PNG" and a.width > 224 and a.height > 224
    assert a.visual.shape == (VISUAL_SPACE.dim,) and a.text_vector.shape == (TEXT_SPACE.dim,)
    assert (
        abs(float(np.linalg.norm(a.visual)) - 1) < 1e-4
        and abs(float(np.linalg.norm(a.text_vector)) - 1) < 1e-4
    )
    assert len(a.phash) == 16 and a.colours and a.ocr_text == "" and not a.ocr_ran
    summary = a.as_dict()
    assert summary["concepts"][0]["label"] == a.concepts[0][0] and "visual" not in summary
    assert len(a.as_dict(vectors=True)["text_vector"]) == TEXT_SPACE.dim


def test_text_vector_retrieves_the_right_photo(image_embedder: ImageEmbedder, skimage_dir: Path) -> None:
    names = ["chelsea.png", "coffee.png", "rocket.jpg"]
    results = image_embedder.analyze_many([(skimage_dir / n).read_bytes() for n in names], ocr=False)
    images = np.stack([r.text_vector for r in results])  # type: ignore[union-attr]
    queries = image_embedder.text.embed(["a cat lying down", "a cup of coffee", "a rocket launch"])
    assert list((queries @ images.T).argmax(axis=1)) == [0, 1, 2]


def test_ocr_reads_the_banner_and_reaches_the_text_space(image_embedder: ImageEmbedder) -> None:
    a = image_embedder.analyze(_png(sale_banner()))  # ocr=None: the heuristic must schedule it
    assert a.ocr_ran
    assert a.ocr_text.replace(" ", "") == "SALE50%OFF"
    assert "ocr" in a.weights and a.parts["ocr"] == a.ocr_text
    q = image_embedder.text.embed(["sale, fifty percent discount", "a photo of a dog in a park"])
    assert q[0] @ a.text_vector > q[1] @ a.text_vector


def test_context_moves_the_text_vector(image_embedder: ImageEmbedder, skimage_dir: Path) -> None:
    data = (skimage_dir / "coffee.png").read_bytes()
    plain = image_embedder.analyze(data, ocr=False)
    ctx = ImageContext(alt="Pikolo Espresso Bar, Berkeley", page_title="Best cafés in town")
    with_ctx = image_embedder.analyze(data, context=ctx, ocr=False)
    q = image_embedder.text.embed_one("Pikolo Espresso Bar café")
    assert with_ctx.text_vector @ q > plain.text_vector @ q
    assert with_ctx.parts["context"].startswith("Pikolo") and with_ctx.weights["context"] == 1.0
    np.testing.assert_allclose(with_ctx.visual, plain.visual, atol=1e-6)


def test_animated_gif_uses_first_frame(image_embedder: ImageEmbedder) -> None:
    frames = [Image.new("RGB", (120, 90), c) for c in ((220, 20, 30), (30, 80, 220))]
    buf = io.BytesIO()
    frames[0].save(buf, format="GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    a = image_embedder.analyze(buf.getvalue(), ocr=False)
    assert a.format == "GIF" and a.frames == 2 and a.colours == ["red"]


def test_transparent_png_is_flattened_on_white(image_embedder: ImageEmbedder) -> None:
    img = Image.new("RGBA", (100, 100), (0, 0, 0, 0))
    a = image_embedder.analyze(_png(img), ocr=False)
    assert a.colours == ["white"]


def test_analyze_many_returns_errors_in_place(image_embedder: ImageEmbedder, skimage_dir: Path) -> None:
    good = (skimage_dir / "coffee.png").read_bytes()
    out = image_embedder.analyze_many([good, b"not an image at all"], ocr=False, return_errors=True)
    assert out[0].concepts[0][0] == "espresso"  # type: ignore[union-attr]
    assert isinstance(out[1], AdlensError)
    with pytest.raises(AdlensError):
        image_embedder.analyze_many([good, b"nope"], ocr=False)
    assert image_embedder.analyze_many([]) == []
    with pytest.raises(InvalidInput):
        image_embedder.analyze(b"")


def test_concurrent_analyze_is_consistent(image_embedder: ImageEmbedder, skimage_dir: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    datas = [(skimage_dir / n).read_bytes() for n in ("chelsea.png", "coffee.png")] * 3
    expected = [image_embedder.analyze(d, ocr=False).text_vector for d in datas[:2]]
    with ThreadPoolExecutor(3) as pool:
        got = list(pool.map(lambda d: image_embedder.analyze(d, ocr=False).text_vector, datas))
    for i, vec in enumerate(got):
        np.testing.assert_allclose(vec, expected[i % 2], atol=1e-4)
