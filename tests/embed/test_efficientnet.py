from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from adlens.embed import ImageEmbedder, imagenet_classes, preprocess
from adlens.embed.efficientnet import EfficientNetLite0, load_pretrained, map_state_dict


def test_onnx_matches_pytorch(image_embedder: ImageEmbedder, skimage_dir: Path) -> None:
    images = [Image.open(skimage_dir / n).convert("RGB") for n in ("chelsea.png", "rocket.jpg")]
    pixels = np.stack([preprocess(im) for im in images])
    model = load_pretrained()
    with torch.no_grad():
        logits, features = model(torch.from_numpy(pixels))
    probs_onnx, feats_onnx = image_embedder.backbone.run_arrays(pixels)
    np.testing.assert_allclose(probs_onnx, torch.softmax(logits, 1).numpy(), atol=1e-4)
    ref = features.numpy() / np.linalg.norm(features.numpy(), axis=1, keepdims=True)
    np.testing.assert_allclose(feats_onnx, ref, atol=1e-4)
    assert imagenet_classes()[int(logits[0].argmax())].label in {"tabby", "tiger cat", "Egyptian cat"}


def test_state_dict_mapping_checks_shapes() -> None:
    model = EfficientNetLite0()
    source = {f"k{i}": t.clone() for i, t in enumerate(model.state_dict().values())}
    assert len(map_state_dict(source, model)) == 296
    first = next(iter(source))
    source[first] = torch.zeros(1, 2, 3)
    with pytest.raises(ValueError, match="shape mismatch"):
        map_state_dict(source, model)


def test_imagenet_classes() -> None:
    classes = imagenet_classes()
    assert len(classes) == 1000 and classes[0].label == "tench" and classes[281].label == "tabby"
