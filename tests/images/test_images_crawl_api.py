"""The crawl REST API on a real server app (job runner, store, models) and the demo seeder."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from adlens.api import create_app
from adlens.images.demo import DEMO_CRAWL_ID, seed
from adlens.images.schema import COLLECTION
from adlens.runtime import Runtime

PROBLEM = "application/problem+json"


@pytest.fixture()
def client(fresh_settings: Any) -> Iterator[TestClient]:
    fresh_settings.images_max_crawls = 1
    with TestClient(create_app(fresh_settings)) as c:
        yield c


def wait_job(client: TestClient, job_id: str, timeout: float = 120.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        job = client.get(f"/api/v1/jobs/{job_id}").json()
        if job["state"] in ("done", "failed", "cancelled"):
            return job
        assert time.monotonic() < deadline, job
        time.sleep(0.2)


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"url": "file:///etc/passwd"}, 403),
        ({"url": "ftp://example.com/"}, 403),
        ({"url": "http://user:pw@example.com/"}, 403),
        ({"url": "http://"}, 422),
        ({"url": ""}, 422),
        ({}, 422),
        ({"url": "http://example.com/", "limit": 0}, 422),
        ({"url": "http://example.com/", "depth": 99}, 422),
        ({"url": "http://example.com/", "render": "sometimes"}, 422),
    ],
)
def test_invalid_crawl_requests_are_problem_json(
    client: TestClient, body: dict[str, Any], status: int
) -> None:
    r = client.post("/api/v1/crawls", json=body)
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    assert r.json()["status"] == status


def test_private_addresses_are_forbidden_unless_allowed(fresh_settings: Any, images_site: Any) -> None:
    settings = fresh_settings.model_copy(update={"allow_private_networks": False})
    with TestClient(create_app(settings)) as c:
        for url in (
            images_site.url,
            "http://169.254.169.254/latest/meta-data/",
            "http://[::1]/",
            "http://10.0.0.1/",
        ):
            r = c.post("/api/v1/crawls", json={"url": url})
            assert r.status_code == 403, (url, r.text)
            assert r.headers["content-type"].startswith(PROBLEM)
            assert "refusing" in r.json()["detail"]
        assert c.get("/api/v1/crawls").json()["crawls"] == []


def test_crawl_lifecycle_limit_thumbnails_and_delete(client: TestClient, images_site: Any) -> None:
    r = client.post("/api/v1/crawls", json={"url": images_site.url, "limit": 4, "depth": 1})
    assert r.status_code == 202, r.text
    started = r.json()
    crawl_id, job_id = started["crawl_id"], started["job_id"]
    assert started["status"] == "queued" and crawl_id.startswith("c-")

    busy = client.post("/api/v1/crawls", json={"url": images_site.url, "limit": 1})
    assert busy.status_code == 429
    assert busy.headers["content-type"].startswith(PROBLEM)
    assert "limit" in busy.json()["detail"]

    job = wait_job(client, job_id)
    assert job["state"] == "done", job
    assert {"pages", "images_found", "images_embedded", "errors"} <= set(job["counters"])
    assert job["counters"]["pages"] == 4
    events = client.get(f"/api/v1/jobs/{job_id}/events")  # SSE: the stream ends with the finished job
    assert events.status_code == 200 and "text/event-stream" in events.headers["content-type"]
    assert '"images_embedded"' in events.text and '"images_found"' in events.text

    crawl = client.get(f"/api/v1/crawls/{crawl_id}").json()
    assert crawl["status"] == "done"
    assert crawl["pages"] == 4 and crawl["images"] >= 3
    assert crawl["options"]["limit"] == 4 and crawl["finished_at"]
    assert isinstance(crawl["errors"], list)
    assert crawl_id in {c["crawl_id"] for c in client.get("/api/v1/crawls").json()["crawls"]}

    runtime: Runtime = client.app.state.runtime  # type: ignore[attr-defined]
    records = [rec for _ns, rec in runtime.store.iter_records(COLLECTION, crawl_id)]
    assert len(records) == crawl["images"]
    thumb = client.get(str(records[0].metadata["thumb_url"]))
    assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/jpeg"
    assert thumb.content[:3] == b"\xff\xd8\xff"
    assert client.get("/api/v1/images/thumbs/not-a-hash").status_code == 422
    assert client.get("/api/v1/images/thumbs/" + "0" * 64).status_code == 404

    again = client.post("/api/v1/crawls", json={"url": images_site.url + "cats.html", "limit": 1, "depth": 0})
    assert again.status_code == 202  # the finished crawl no longer counts toward the limit
    wait_job(client, again.json()["job_id"])

    deleted = client.delete(f"/api/v1/crawls/{crawl_id}")
    assert deleted.status_code == 200 and deleted.json()["records"] == len(records)
    gone = client.get(f"/api/v1/crawls/{crawl_id}")
    assert gone.status_code == 404 and gone.headers["content-type"].startswith(PROBLEM)
    assert runtime.store.count(COLLECTION, namespace=crawl_id) == 0
    assert client.get(str(records[0].metadata["thumb_url"])).status_code == 404
    assert client.delete(f"/api/v1/crawls/{crawl_id}").status_code == 404
    assert client.get("/api/v1/crawls/bad id!").status_code in (404, 422)


def test_demo_seed_crawls_the_shipped_site_once(fresh_settings: Any) -> None:
    runtime = Runtime(fresh_settings.model_copy(update={"ocr_enabled": False}))  # OCR is tested elsewhere
    try:
        first = seed(runtime)
        assert first["seeded"] is True and first["crawl_id"] == DEMO_CRAWL_ID
        stored = runtime.store.count(COLLECTION, namespace=DEMO_CRAWL_ID)
        assert stored == first["images"] >= 10
        alts = {str(r.metadata["alt"]) for _ns, r in runtime.store.iter_records(COLLECTION, DEMO_CRAWL_ID)}
        assert "Chelsea the tabby cat" in alts
        second = seed(runtime)
        assert second == {"crawl_id": DEMO_CRAWL_ID, "images": stored, "seeded": False}
        # the links outlive the seeder's ephemeral server: they point at the site the API serves
        records = [r for _ns, r in runtime.store.iter_records(COLLECTION, DEMO_CRAWL_ID)]
        assert all(str(r.metadata["page_url"]).startswith("/api/v1/images/demo-site/") for r in records)
        assert runtime.store.count(COLLECTION, namespace=DEMO_CRAWL_ID) == stored
        with TestClient(create_app(fresh_settings)) as client:
            for r in records[:3]:
                for key in ("page_url", "image_url"):
                    assert client.get(str(r.metadata[key])).status_code == 200, r.metadata[key]
            assert client.get("/api/v1/images/demo-site/..%2F..%2Fpyproject.toml").status_code == 404
            assert client.get("/api/v1/images/demo-site/LICENSE.md").status_code == 404
    finally:
        runtime.close()
