"""Test-wide environment: an isolated ADLENS_HOME, a shared model cache, loopback fetching allowed."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

_SESSION_HOME = Path(tempfile.mkdtemp(prefix="adlens-test-home-"))
os.environ["ADLENS_HOME"] = str(_SESSION_HOME)
os.environ.setdefault("ADLENS_MODEL_DIR", str(Path.home() / ".adlens" / "models"))
os.environ["ADLENS_ALLOW_PRIVATE_NETWORKS"] = "true"
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
for _var in ("ADLENS_API_KEY", "ADLENS_STORE_BACKEND", "ADLENS_CACHE_BACKEND", "ADLENS_LLM_BACKEND"):
    os.environ.pop(_var, None)

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data`` beside the checkout (CI places it there)."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared data not found at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture()
def fresh_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Settings with a private home directory for one test."""
    from adlens.config import get_settings, reset_settings

    monkeypatch.setenv("ADLENS_HOME", str(tmp_path / "home"))
    reset_settings()
    settings = get_settings()
    settings.ensure_dirs()
    yield settings
    reset_settings()


@pytest.fixture(scope="session")
def postgres_url():
    """URL of a throwaway PostgreSQL server on 127.0.0.1 (started once per session)."""
    import sys

    sys.path.insert(0, str(Path(__file__).parent))
    from pg_server import PostgresServer

    server = PostgresServer().start()
    try:
        yield server.url
    finally:
        server.stop()
