"""The creators page in real Chromium against a real ``adlens serve``: import with a report, search, drop a photo."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest
from live_server import running_server

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    home = tmp_path_factory.mktemp("creators-e2e")
    with running_server(home, {"ADLENS_ALLOW_PRIVATE_NETWORKS": "true"}) as srv:
        yield srv.url


def test_import_search_and_drop_photo(
    server: str, browser: object, image_server: str, tmp_path: Path, make_png: object
) -> None:
    csv = (
        "handle,followers,engagement_rate,country,category,bio,photo\n"
        f"red_runner,80k,4.1%,USA,fitness,Marathon runner and gym coach,{image_server}/red.png\n"
        f"blue_chef,20k,2.5%,Spain,food,Chef sharing paella recipes,{image_server}/blue.png\n"
        f"blue_chef,21k,2.5%,Spain,food,duplicate row,{image_server}/blue.png\n"
        f"broken_pic,5k,1%,USA,travel,Backpacker,{image_server}/missing.png\n"
    )
    (tmp_path / "creators.csv").write_text(csv)
    page = browser.new_page()  # type: ignore[attr-defined]
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(server + "/creators")
    page.click("#cr-tab-import")
    page.set_input_files("#cr-file", str(tmp_path / "creators.csv"))
    page.click("#cr-import-go")
    page.wait_for_selector("#cr-import-summary", timeout=120_000)
    summary = page.inner_text("#cr-import-summary")
    assert "Imported 3" in summary and "rejected 1" in summary
    report = page.inner_text("#cr-report")
    assert "duplicate handle" in report and "missing.png" in report

    page.click("#cr-tab-search")
    page.fill("#cr-query", "fitness creators in the US with over 50K followers")
    page.click("#cr-go")
    page.wait_for_selector("#cr-results .cr-card", timeout=60_000)
    cards = page.locator("#cr-results .cr-card")
    assert cards.count() == 1 and cards.first.get_attribute("data-id") == "instagram:red_runner"
    text = cards.first.inner_text()
    assert "Audience quality" in text and "followers" in text and "80,000" in text
    assert "min_followers: 50000" in page.inner_text("#cr-chips")
    assert page.locator("#cr-results .cr-card img.cr-photo").first.evaluate("i => i.naturalWidth") > 0

    # drag and drop a blue photo: the blue creator comes first
    page.fill("#cr-query", "")
    data = base64.b64encode(make_png((35, 35, 215), 90)).decode()  # type: ignore[operator]
    page.evaluate(
        """(b64) => {
            const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
            const dt = new DataTransfer();
            dt.items.add(new File([bytes], "query.png", { type: "image/png" }));
            document.getElementById("cr-drop").dispatchEvent(new DragEvent("drop", { dataTransfer: dt, bubbles: true, cancelable: true }));
        }""",
        data,
    )
    page.wait_for_function(
        "document.querySelector('#cr-status').textContent.includes('mode')", timeout=60_000
    )
    page.wait_for_selector("#cr-results .cr-card", timeout=30_000)
    assert page.locator("#cr-results .cr-card").first.get_attribute("data-id") == "instagram:blue_chef"
    assert "photo looks like your image" in page.locator("#cr-results .cr-card").first.inner_text()
    assert not errors
    page.close()
