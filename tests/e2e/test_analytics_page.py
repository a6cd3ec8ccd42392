"""The analytics page in real Chromium: demo data through SDID and a per-user A/B test."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def test_demo_panel_through_sdid_and_demo_abtest(server, browser) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(server.url + "/analytics", wait_until="networkidle")

        page.click("#an-demo")
        page.wait_for_function("!document.getElementById('an-run').disabled", timeout=30_000)
        assert page.input_value("#an-method") == "sdid"
        assert page.input_value("#an-start") == "40"
        page.click("#an-run")
        page.wait_for_selector("#an-summary:not(:empty)", timeout=120_000)
        summary = page.inner_text("#an-summary")
        assert "Synthetic difference-in-differences" in summary
        # the generated panel has a +6 % lift on sales of ~130: the estimate must land near 7.8
        att = float(summary.split("by ")[1].split(" ")[0])
        assert 6.0 < att < 9.5, summary

        page.click("#ab-demo")
        page.wait_for_function("!document.getElementById('ab-file-run').disabled", timeout=30_000)
        assert page.input_value("#ab-arm") == "arm"
        assert page.input_value("#ab-control") == "A"
        page.click("#ab-file-run")
        page.wait_for_selector("#ab-file-result img.plot", timeout=60_000)
        text = page.inner_text("#ab-file-result")
        assert "Variant B" in text and "converted" in text and "revenue" in text
        assert "null" not in text
        assert not errors, errors
    finally:
        page.close()
