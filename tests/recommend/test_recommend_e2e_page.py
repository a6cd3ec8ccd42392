"""The recommend page in real Chromium against a real ``adlens serve`` over the seeded demo data."""

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

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Seed the recommend demo into a fresh home (in-process), then serve that home."""
    from adlens.config import Settings
    from adlens.recommend.demo import seed
    from adlens.runtime import Runtime

    home = tmp_path_factory.mktemp("rec-e2e-home")
    runtime = Runtime(Settings(home=home))
    try:
        seeded = seed(runtime)
    finally:
        runtime.close()
    assert seeded["trained"] is True
    port = _port()
    log = home / "server.log"
    proc = subprocess.Popen(
        [sys.executable, "-m", "adlens.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env={**os.environ, "ADLENS_HOME": str(home)},
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"server did not start: {log.read_text()[-3000:]}")
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


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield b
        finally:
            b.close()


def test_pick_user_see_reasons_similar_items_and_eval_chart(demo_server: str, browser) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(demo_server + "/recommend", wait_until="networkidle")
        page.wait_for_selector("#rc-recs li", timeout=30_000)
        assert page.inner_text("#rc-model-name") == "v0001"
        assert page.get_attribute("#rc-strategy", "data-strategy") == "user_tower"
        assert page.locator("#rc-recs li").count() == 10
        assert "because you liked" in page.inner_text("#rc-recs li >> nth=0")
        user = page.input_value("#rc-user")
        full = httpx.get(f"{demo_server}/api/v1/recommend/users/{user}", params={"limit": 1000}).json()
        history = {it["title"] for it in full["items"]}
        assert page.locator("#rc-history li").count() == min(30, full["n_interactions"])
        reasons = set(page.locator("#rc-recs .rc-why b").all_inner_texts())
        assert reasons and reasons <= history, reasons - history

        # another user, a genre filter: every recommendation carries that genre
        page.select_option("#rc-user", index=3)
        page.select_option("#rc-genre", "Comedy")
        page.click("#rc-run")
        page.wait_for_function(
            "[...document.querySelectorAll('#rc-recs li .rc-meta')].length > 0 && "
            "[...document.querySelectorAll('#rc-recs li .rc-meta')].every(m => m.textContent.includes('Comedy'))",
            timeout=30_000,
        )

        # similar items on click
        first = page.locator("#rc-recs li button").first
        title = first.inner_text()
        first.click()
        page.wait_for_selector("#rc-similar li", timeout=30_000)
        assert title in page.inner_text("#rc-similar-title")
        assert page.locator("#rc-similar li").count() == 8
        assert title not in page.locator("#rc-similar button").all_inner_texts()

        # evaluation: one table per protocol, one bar per model, published numbers marked
        stored = httpx.get(f"{demo_server}/api/v1/recommend/eval").json()
        protocols = stored["protocols"]
        page.wait_for_selector("#rc-chart-svg", timeout=30_000)
        assert page.locator("table.rc-eval").count() == len(protocols) >= 2
        ours = sum(len(p["rows"]) for p in protocols.values())
        published = sum(len(p["published"]) for p in protocols.values())
        assert page.locator("#rc-chart-svg rect.bar-ours").count() == ours
        assert page.locator("#rc-chart-svg rect.bar-published").count() == published >= 6
        assert page.locator("#rc-chart-svg rect[data-model='BPR (cornac) (published)']").count() == 1
        assert "0.4420" in page.inner_text("#rc-eval")
        assert not errors, errors
    finally:
        page.close()
