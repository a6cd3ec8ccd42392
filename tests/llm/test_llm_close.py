"""Regression: loading the LLM beside ONNX Runtime and closing it without a request must not hang.

Without the warm-up request in ``LlamaCppModel._start`` the llama.cpp server's destructor hung in
about one run out of three here, so the sequence is repeated in fresh processes.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    """
    from adlens.runtime import Runtime
    r = Runtime()
    r.text_embedder.embed(["loaded"])   # ONNX Runtime in the same process
    r.llm.load()                        # no request before close
    r.llm.close()                       # while ONNX Runtime is still loaded
    r.close()
    print("closed")
    """
)


def test_close_without_requests_next_to_onnxruntime_does_not_hang() -> None:
    for _ in range(4):
        out = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=90)
        assert out.returncode == 0, out.stderr[-2000:]
        assert out.stdout.strip().endswith("closed")
