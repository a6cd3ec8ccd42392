from __future__ import annotations

import pytest

import adlens.embed as embed
from adlens.embed import ClipEmbedder, TextEmbedder, TextEncoder, make_session, resolve_providers
from adlens.errors import InvalidInput, Unavailable


def test_public_api_is_exactly_all() -> None:
    public = {
        n for n in dir(embed) if not n.startswith("_") and not isinstance(getattr(embed, n), type(embed))
    }
    assert public == set(embed.__all__)


def test_embedders_satisfy_the_protocol(tmp_path) -> None:
    assert isinstance(TextEmbedder(tmp_path), TextEncoder)
    assert callable(ClipEmbedder(tmp_path).embed)  # full isinstance check (loads the model) in test_clip


def test_providers() -> None:
    assert resolve_providers("cpu") == ["CPUExecutionProvider"]
    assert resolve_providers("auto")[-1] == "CPUExecutionProvider"
    import onnxruntime as ort

    if "CUDAExecutionProvider" not in ort.get_available_providers():
        with pytest.raises(Unavailable):
            resolve_providers("cuda")
    with pytest.raises(InvalidInput):
        resolve_providers("tpu")
    with pytest.raises(InvalidInput):
        make_session("nothing.onnx", threads=0)
