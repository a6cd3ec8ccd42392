"""The real server over HTTP, and the web shell in real headless Chromium."""

from __future__ import annotations

import httpx
import pytest

pytestmark = pytest.mark.browser


def test_health_over_http(server) -> None:
    r = httpx.get(server.url + "/api/v1/health", timeout=10)
    assert r.status_code == 200
    body = r.json()
    assert body["store"]["ok"], body["store"]
    assert r.headers["x-request-id"]


def test_problem_json_over_http(server) -> None:
    r = httpx.get(server.url + "/api/v1/jobs/does-not-exist", timeout=10)
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("application/problem+json")


def test_status_page_in_chromium(server, browser) -> None:
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(server.url + "/", wait_until="networkidle")
        page.wait_for_selector("#server-status")
        assert page.inner_text("#server-status") in ("ok", "degraded")
        nav = page.locator("header#adlens-nav a.navlink")
        labels = [nav.nth(i).inner_text() for i in range(nav.count())]
        for label in ("Status", "Contextual", "Images", "Ad classes", "Creators", "Recommend", "Analytics"):
            assert label in labels
        assert page.locator(".app-card").count() == 6
        page.click("text=Analytics")
        page.wait_for_load_state("networkidle")
        assert page.url.endswith("/analytics")
        assert not errors, errors
    finally:
        page.close()
