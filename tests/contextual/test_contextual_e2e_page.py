"""The contextual web page in real headless Chromium against a real ``adlens serve``."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from test_contextual_api_site import FixtureSite, share_home, warm_home

CHROMIUM = "/usr/bin/chromium"
pytestmark = pytest.mark.browser


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    home = warm_home(tmp_path_factory.mktemp("ctx-e2e"))
    port = _free_port()
    log = (home / "server.log").open("wb")
    env = {**os.environ, "ADLENS_HOME": str(home), "ADLENS_ALLOW_PRIVATE_NETWORKS": "true"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "adlens.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError((home / "server.log").read_text()[-3000:])
            try:
                if httpx.get(url + "/api/v1/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        share_home(home)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"])
        try:
            yield b
        finally:
            b.close()


@pytest.fixture(scope="module")
def site() -> Iterator[FixtureSite]:
    s = FixtureSite()
    yield s
    s.close()


def test_contextual_page_analyses_a_demo_page(server: str, browser: object, site: FixtureSite) -> None:
    page = browser.new_page()  # type: ignore[attr-defined]
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(server + "/contextual")
    # validation: no request for a malformed URL
    page.fill("#cx-url", "ftp://example.com/file")
    page.click("#cx-run")
    assert "http" in page.inner_text("#cx-url-error")
    # a demo page shipped with adlens: live steps, tree, brand safety, export
    page.click('a[data-demo="cat-care"]')
    page.wait_for_selector("#cx-tree .cx-cat", timeout=120_000)
    assert page.locator("#cx-steps li").count() >= 2
    tree = page.inner_text("#cx-tree")
    assert "Pets" in tree and "%" in tree
    assert page.inner_text("#cx-risk") in {"none", "low", "medium", "high"}
    exported = json.loads(page.inner_text("#cx-json"))
    assert exported["site"]["content"]["data"][0]["ext"]["segtax"] == 7
    assert page.locator("#cx-images img").count() == 1
    page.check('input[name="cx-fmt"][value="prebid"]')
    assert "pbjs.setConfig" in page.inner_text("#cx-json")
    # an unreachable page shows the problem, not a broken page
    page.fill("#cx-url", site.url("/missing.html"))
    page.click("#cx-run")
    page.wait_for_selector("#cx-error .error", timeout=60_000)
    assert "404" in page.inner_text("#cx-error")
    assert not errors
    page.close()
