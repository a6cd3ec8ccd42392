"""The images page in real Chromium against a real ``adlens serve``: crawl the fixture site, watch the
progress, search in the chat box (chips, score breakdown on hover), "more like this" and upload."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from live_server import running_server

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    home = tmp_path_factory.mktemp("images-e2e-home")
    with running_server(home, {"ADLENS_ALLOW_PRIVATE_NETWORKS": "true"}) as srv:
        yield srv


def _ask(page: Any, query: str) -> Any:
    before = page.locator(".im-msg-bot").count()
    page.fill("#im-query", query)
    page.click("#im-send")
    page.wait_for_function(
        f"document.querySelectorAll('.im-msg-bot').length > {before} && "
        "!document.querySelector('.im-msg-bot:last-child').textContent.includes('searching')",
        timeout=60_000,
    )
    return page.locator(".im-msg-bot").last


def test_images_page_crawl_watch_and_search(server: Any, browser: Any, images_site: Any) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(server.url + "/images", wait_until="networkidle")
        page.fill("#im-url", images_site.url)
        page.fill("#im-limit", "40")
        page.fill("#im-depth", "3")
        page.click("#im-start")
        page.wait_for_selector("#im-progress", timeout=10_000)
        try:
            page.wait_for_function(
                "(document.getElementById('im-state') || {textContent: ''}).textContent.startsWith('done')",
                timeout=240_000,
            )
        except Exception as exc:
            log = server.log.read_text()[-3000:]
            raise AssertionError(f"crawl did not finish: {page.inner_text('#im-crawl')}\n{log}") from exc
        assert int(page.inner_text("[data-counter=pages]")) >= 20
        assert int(page.inner_text("[data-counter=images_embedded]")) >= 15
        page.wait_for_selector("#im-crawls table")
        assert "done" in page.inner_text("#im-crawls")

        msg = _ask(page, "tabby cat")
        first = msg.locator(".im-card").first
        assert first.get_attribute("data-url").endswith("/img/chelsea-large.jpg")
        assert first.locator("img").evaluate("i => i.complete && i.naturalWidth > 0")  # thumbnail served
        first.hover()
        why = first.locator(".im-why")
        assert why.is_visible() and "final" in why.inner_text()

        msg = _ask(page, "PNG images of a sale banner")
        chips = msg.locator(".chip").all_inner_texts()
        assert "format: png" in chips
        assert msg.locator(".im-card").first.get_attribute("data-url").endswith("/img/banner-sale.png")

        msg = _ask(page, "zxqv blorft wimble")
        assert msg.locator(".im-empty").count() == 1 and msg.locator(".im-card").count() == 0

        page.locator(".im-msg-bot").nth(0).locator(".im-card").first.get_by_text("More like this").click()
        page.wait_for_function(
            "document.querySelector('.im-msg-bot:last-child').textContent.includes('Images that look alike')",
            timeout=60_000,
        )

        rocket = Path(__file__).parent / "site" / "img" / "rocket.jpg"
        page.set_input_files("#im-file", str(rocket))
        page.wait_for_function(
            "Array.from(document.querySelectorAll('.im-msg-bot:last-child .im-card')).some(c => c.dataset.url.endsWith('/img/rocket.jpg'))",
            timeout=60_000,
        )
        assert not errors, errors
    finally:
        page.close()
