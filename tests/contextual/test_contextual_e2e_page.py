"""The contextual web page in real headless Chromium against a real ``adlens serve``."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from live_server import running_server
from test_contextual_api_site import FixtureSite, share_home, warm_home

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    home = warm_home(tmp_path_factory.mktemp("ctx-e2e"))
    try:
        with running_server(home, {"ADLENS_ALLOW_PRIVATE_NETWORKS": "true"}) as srv:
            yield srv.url
    finally:
        share_home(home)


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
