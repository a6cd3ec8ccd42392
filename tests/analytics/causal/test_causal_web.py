"""The /analytics page in real headless Chromium against the real server: upload, auto-mapping, run, charts."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

CHROMIUM = "/usr/bin/chromium"
pytestmark = pytest.mark.browser


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    home = tmp_path_factory.mktemp("analytics-web")
    port = _free_port()
    log = (home / "server.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "adlens.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env={**os.environ, "ADLENS_HOME": str(home)},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            if proc.poll() is not None:
                raise RuntimeError((home / "server.log").read_text()[-2000:])
            try:
                if httpx.get(url + "/api/v1/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError("server not ready")
            time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def test_synth_and_abtest_in_the_browser(server_url: str, prop99_path: Path) -> None:
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium not installed")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(server_url + "/analytics")
            page.set_input_files("#an-file", str(prop99_path))
            page.wait_for_function("!document.getElementById('an-run').disabled", timeout=30_000)
            assert page.input_value("#an-unit") == "State"
            assert page.input_value("#an-outcome") == "PacksPerCapita"
            assert page.input_value("#an-start") == "1989"
            page.click("#an-run")
            page.wait_for_selector("#an-charts svg", timeout=90_000)
            summary = page.text_content("#an-summary") or ""
            assert "Synthetic control for California" in summary and "-19.620" in summary
            assert page.locator("#an-charts svg").count() == 4
            assert page.input_value("#an-treatment") == "treated"
            page.select_option("#an-method", "did")
            page.click("#an-run")
            page.wait_for_function(
                "document.getElementById('an-summary').textContent.startsWith('Two-way')", timeout=90_000
            )
            assert "pre-trend" in (page.text_content("#an-summary") or "")
            assert page.locator("#an-charts svg").count() == 1
            page.select_option("#an-method", "synth")
            page.click("#ab-run")
            page.wait_for_function(
                "document.getElementById('ab-result').textContent.length > 0", timeout=30_000
            )
            assert "Variant B" in (page.text_content("#ab-result") or "")
            # bad input shows a readable error, not a stack trace
            page.fill("#an-start", "2050")
            page.click("#an-run")
            page.wait_for_selector("#an-error .error", timeout=30_000)
            assert "after the last period" in (page.text_content("#an-error") or "")
            assert errors == []
        finally:
            browser.close()
