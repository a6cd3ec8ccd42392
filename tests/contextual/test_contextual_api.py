"""REST API of the contextual app: analyze, problem+json errors, batch job, bid-time context lookup."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from test_contextual_api_site import FixtureSite, share_home, warm_home

from adlens.api import create_app
from adlens.config import Settings


@pytest.fixture(scope="module")
def site() -> Iterator[FixtureSite]:
    s = FixtureSite()
    yield s
    s.close()


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    home = warm_home(tmp_path_factory.mktemp("ctx-api-home"))
    settings = Settings(home=home, allow_private_networks=True)
    with TestClient(create_app(settings)) as c:
        yield c
    share_home(home)


def _wait_job(client: TestClient, job_id: str, timeout: float = 90) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job: dict[str, Any] = client.get(f"/api/v1/jobs/{job_id}").json()
        if job["state"] in ("done", "failed", "cancelled"):
            return job
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} did not finish")


def test_analyze_returns_categories_and_ad_tech_output(client: TestClient, site: FixtureSite) -> None:
    r = client.post("/api/v1/analyze", json={"url": site.url("/text-only.html"), "top_k": 5})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["categories"][0]["path"][0] == "Sports"
    assert body["openrtb"]["site"]["content"]["data"][0]["ext"]["segtax"] == 7
    assert body["prebid"]["ortb2"]["site"]["content"]["data"]
    # an analysis through the API also answers bid-time lookups at once
    ctx = client.get("/api/v1/context", params={"url": site.url("/text-only.html?utm_campaign=z")})
    assert ctx.status_code == 200 and ctx.json()["status"] == "ok"
    assert ctx.json()["segments"] == body["segments"]


@pytest.mark.parametrize(
    ("payload", "status"),
    [
        ({"url": "/data.json"}, 415),
        ({"url": "/empty.html"}, 422),
        ({"url": "/missing.html"}, 502),
        ({"url": "not-a-url"}, 422),
        ({"url": "/text-only.html", "taxonomy": "iab-9.9"}, 422),
        ({"url": "/text-only.html", "top_k": 0}, 422),
    ],
)
def test_bad_input_is_problem_json(
    client: TestClient, site: FixtureSite, payload: dict[str, Any], status: int
) -> None:
    if payload["url"].startswith("/"):
        payload = {**payload, "url": site.url(payload["url"])}
    r = client.post("/api/v1/analyze", json=payload)
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["detail"]


def test_forbidden_address_is_403(tmp_path_factory: pytest.TempPathFactory, site: FixtureSite) -> None:
    settings = Settings(home=warm_home(tmp_path_factory.mktemp("ctx-forbid")), allow_private_networks=False)
    with TestClient(create_app(settings)) as c:
        r = c.post("/api/v1/analyze", json={"url": site.url("/text-only.html")})
    assert r.status_code == 403
    assert r.headers["content-type"].startswith("application/problem+json")


def test_batch_job_records_failures_and_continues(client: TestClient, site: FixtureSite) -> None:
    urls = [site.url("/missing.html"), site.url("/article.html"), "not a url", site.url("/german.html")]
    r = client.post("/api/v1/analyze/batch", json={"urls": urls, "concurrency": 2, "top_k": 3})
    assert r.status_code == 202, r.text
    job_id = r.json()["job"]["id"]
    job = _wait_job(client, job_id)
    assert job["state"] == "done", job
    result = job["result"]
    assert (result["ok"], result["failed"], result["total"]) == (2, 2, 4)
    by_url = {item["url"]: item for item in result["items"]}
    assert by_url[site.url("/missing.html")]["status"] == "error"
    assert "404" in by_url[site.url("/missing.html")]["error"]
    assert by_url["not a url"]["status"] == "error"
    ok = by_url[site.url("/article.html")]
    assert ok["status"] == "ok" and ok["result"]["categories"][0]["path"][0] == "Sports"
    # SSE stream of the finished job: progress events and the terminal state
    with client.stream("GET", f"/api/v1/jobs/{job_id}/events") as stream:
        text = "".join(stream.iter_text())
    events = [json.loads(line[5:]) for line in text.splitlines() if line.startswith("data:")]
    assert any(e["type"] == "progress" for e in events) and events[-1]["type"] in ("state", "result")


def test_batch_validation(client: TestClient) -> None:
    assert client.post("/api/v1/analyze/batch", json={"urls": []}).status_code == 422
    assert (
        client.post("/api/v1/analyze/batch", json={"urls": ["http://x"], "concurrency": 99}).status_code
        == 422
    )


def test_context_miss_is_pending_then_hit(client: TestClient, site: FixtureSite) -> None:
    url = site.url("/giant.html")
    started = time.perf_counter()
    miss = client.get("/api/v1/context", params={"url": url})
    assert time.perf_counter() - started < 1.0  # answers at once, never waits for the analysis
    assert miss.status_code == 202
    assert miss.json() == {"status": "pending", "url": url, "segments": []}
    again = client.get("/api/v1/context", params={"url": url})
    assert again.status_code == 202
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        hit = client.get("/api/v1/context", params={"url": url})
        if hit.status_code == 200:
            break
        time.sleep(0.3)
    assert hit.status_code == 200, hit.text
    body = hit.json()
    assert body["status"] == "ok" and body["segments"] and body["data"][0]["segment"]
    jobs = client.get("/api/v1/jobs", params={"kind": "contextual.batch"}).json()["jobs"]
    assert sum(1 for j in jobs if j["params"]["urls"] == [url]) == 1  # queued once despite two misses


def test_context_bad_url_and_failure(client: TestClient, site: FixtureSite) -> None:
    assert client.get("/api/v1/context", params={"url": "nope"}).status_code == 422
    url = site.url("/broken.html")
    assert client.get("/api/v1/context", params={"url": url}).status_code == 202
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        r = client.get("/api/v1/context", params={"url": url})
        if r.status_code == 200:
            break
        time.sleep(0.3)
    assert r.json()["status"] == "failed" and r.json()["segments"] == []


def test_demo_pages_and_taxonomies(client: TestClient) -> None:
    pages = client.get("/api/v1/contextual/demo-pages").json()["pages"]
    assert len(pages) >= 5
    r = client.get(pages[0]["path"])
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert client.get("/api/v1/contextual/demo-pages/../api.py").status_code == 404
    assert client.get("/api/v1/taxonomies").status_code == 200
    apps = {a["name"]: a for a in client.get("/api/v1/health").json()["apps"]}
    assert apps["contextual"]["available"] is True
    health = apps["contextual"]["health"]
    assert (
        health["ok"]
        and health["job_kinds"] == ["contextual.batch"]
        and "hits_front" in health["context_cache"]
    )
