"""The recommend page in real Chromium against a real ``adlens serve`` over the seeded demo data."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from live_server import running_server

pytestmark = pytest.mark.browser


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
    with running_server(home) as srv:
        yield srv.url


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
