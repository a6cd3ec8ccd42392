"""The adclass page in real Chromium against a real ``adlens serve``: import, classify, filter, review, retrain."""

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

from adlens.adclass import demo

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]


@pytest.fixture(scope="module")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    home = tmp_path_factory.mktemp("adclass-e2e")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    log = (home / "server.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "adlens.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env={**os.environ, "ADLENS_HOME": str(home)},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None or time.monotonic() > deadline:
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
        log.close()


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


def test_import_classify_review_retrain(server_url: str, browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    rows = demo.library()["Fizzco"]
    data = demo.to_csv(rows) + b"demo-bad-1,Someone,broken,,not-a-date,facebook,News\n"
    upload = tmp_path / "fizzco.csv"
    upload.write_bytes(data)
    httpx.put(
        server_url + "/api/v1/adclass/keywords/Fizzco", json=demo.BRANDS["Fizzco"]["profile"], timeout=30
    )

    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(server_url + "/adclass", wait_until="networkidle")
        page.set_input_files("#ac-import-file", str(upload))
        page.fill("#ac-import-keyword", "Fizzco")
        page.click("#ac-import-run")
        page.wait_for_selector("#ac-import-summary", timeout=30_000)
        assert f"{len(rows)} imported" in page.inner_text("#ac-import-summary")
        assert "not a date" in page.inner_text("#ac-rejected")  # the rejected-rows report
        assert page.input_value("#ac-keyword") == "Fizzco"

        page.click("#ac-run")
        page.wait_for_function(
            "document.getElementById('ac-status').textContent.startsWith('done')", timeout=120_000
        )
        assert page.locator("#ac-progress span").get_attribute("style") == "width: 100%;"
        page.wait_for_function(
            f"document.getElementById('ac-stat-classified').textContent === '{len(rows)}'", timeout=30_000
        )
        bars = page.locator("#ac-chart svg rect")
        assert bars.count() >= 2  # the theme distribution chart: at least a brand theme and Unrelated
        assert page.locator("#ac-chart svg rect[data-theme='Unrelated']").count() == 1
        assert page.locator("#ac-table tbody tr").count() == len(rows)

        page.select_option("#ac-f-relevant", "false")
        page.click("#ac-apply")
        page.wait_for_function(
            f"document.querySelectorAll('#ac-table tbody tr').length < {len(rows)}", timeout=30_000
        )
        relevant_cells = page.locator("#ac-table tbody tr td:nth-child(4)").all_inner_texts()
        assert relevant_cells and set(relevant_cells) == {"no"}

        # review: correct the first row's theme and store the label
        page.fill("#ac-author", "e2e-reviewer")
        page.locator(".ac-review-btn").first.click()
        page.locator(".ac-review select[aria-label='theme']").first.select_option("News")
        page.locator(".ac-save").first.click()
        page.wait_for_selector(".ac-label", timeout=30_000)
        assert "e2e-reviewer" in page.locator(".ac-label").first.inner_text()
        labels = httpx.get(
            server_url + "/api/v1/adclass/labels", params={"keyword": "Fizzco"}, timeout=30
        ).json()
        assert labels["labels"][0]["theme"] == "News" and labels["labels"][0]["author"] == "e2e-reviewer"

        page.click("#ac-retrain")
        page.wait_for_selector("#ac-retrain-metrics", timeout=120_000)
        assert "new model head-" in page.inner_text("#ac-retrain-metrics")
        assert not errors, errors
    finally:
        page.close()
