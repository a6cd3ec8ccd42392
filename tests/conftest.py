"""Test-wide environment: an isolated ADLENS_HOME, a shared model cache, loopback fetching allowed."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterator
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
sys.path.insert(0, str(Path(__file__).parent))  # shared test modules: live_server, pg_server


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
    from pg_server import PostgresServer

    server = PostgresServer().start()
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Real headless Chromium (Debian's). Module-scoped: Playwright's sync API runs an event loop in
    the main thread while it is open, which would break later tests that call ``asyncio.run``."""
    from live_server import CHROMIUM, CHROMIUM_ARGS

    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed (scripts/install.sh installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()
