"""``adlens doctor`` loads the real models and Chromium; it fails (exit 1) when a default is broken."""

from __future__ import annotations

import json
import os
import subprocess
import sys


def _doctor(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "adlens.cli", "doctor", "--json", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=600,
    )


def test_doctor_passes_on_embedded_defaults(tmp_path) -> None:
    r = _doctor(env={"ADLENS_HOME": str(tmp_path / "home")})
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-2000:]
    doc = json.loads(r.stdout)
    assert doc["ok"] is True
    names = {c["name"]: c for c in doc["checks"]}
    for required in ("text_embedder", "image_embedder", "store", "cache", "chromium", "llm"):
        assert names[required]["ok"], names[required]
    assert doc["versions"]["onnxruntime"]


def test_doctor_fails_without_chromium(tmp_path) -> None:
    r = _doctor(
        "--skip-llm", env={"ADLENS_HOME": str(tmp_path / "home"), "ADLENS_CHROMIUM_PATH": "/nonexistent"}
    )
    assert r.returncode == 1
    doc = json.loads(r.stdout)
    assert doc["ok"] is False
    assert not next(c for c in doc["checks"] if c["name"] == "chromium")["ok"]
