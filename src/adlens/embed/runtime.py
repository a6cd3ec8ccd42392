"""ONNX Runtime session factory: provider ``cpu`` | ``cuda`` | ``auto`` and a thread count."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import onnxruntime as ort

from adlens.errors import InvalidInput, Unavailable

Provider = Literal["cpu", "cuda", "auto"]

_CPU = "CPUExecutionProvider"
_CUDA = "CUDAExecutionProvider"


def resolve_providers(provider: str) -> list[str]:
    """The ONNX Runtime execution providers for ``provider``; ``auto`` uses CUDA only if it is available."""
    available = ort.get_available_providers()
    if provider == "cpu":
        return [_CPU]
    if provider == "cuda":
        if _CUDA not in available:
            raise Unavailable(
                "ONNX Runtime has no CUDA provider here (install onnxruntime-gpu and a CUDA driver)"
            )
        return [_CUDA, _CPU]
    if provider == "auto":
        return [_CUDA, _CPU] if _CUDA in available else [_CPU]
    raise InvalidInput(f"unknown ONNX provider {provider!r}: use cpu, cuda or auto")


def make_session(path: str | Path, *, provider: str = "cpu", threads: int = 2) -> ort.InferenceSession:
    """An inference session over the ONNX file at ``path`` with ``threads`` intra-op threads."""
    if threads < 1:
        raise InvalidInput(f"threads must be >= 1, got {threads}")
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(str(path), sess_options=opts, providers=resolve_providers(provider))


__all__ = ["Provider", "make_session", "resolve_providers"]
