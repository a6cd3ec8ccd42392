"""The adclass page in real Chromium against a real ``adlens serve``: import, classify, filter, review, retrain."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from live_server import running_server

from adlens.adclass import demo

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_server(tmp_path_factory.mktemp("adclass-e2e")) as srv:
        yield srv.url


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
