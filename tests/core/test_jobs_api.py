"""Jobs over the API: the demo seeding job runs, its state is readable and its events stream as SSE."""

from __future__ import annotations

import json
import time

from fastapi.testclient import TestClient

from adlens.api import create_app
from adlens.config import Settings


def _wait_done(client: TestClient, job_id: str, timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.get(f"/api/v1/jobs/{job_id}").json()
        if job["state"] in ("done", "failed", "cancelled"):
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} did not finish")


def test_demo_job_runs_and_streams_events(fresh_settings: Settings) -> None:
    fresh_settings.demo = True
    fresh_settings.demo_apps = "analytics"  # the other seeders are tested by their applications
    with TestClient(create_app(fresh_settings)) as client:
        jobs = client.get("/api/v1/jobs", params={"kind": "demo.seed"}).json()["jobs"]
        assert len(jobs) == 1
        job = _wait_done(client, jobs[0]["id"])
        assert job["state"] == "done", job
        assert job["result"]["analytics"]["ok"] is True
        assert (fresh_settings.home / "demo" / "analytics" / "geo_campaign.csv").is_file()

        with client.stream("GET", f"/api/v1/jobs/{job['id']}/events") as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            events = [
                json.loads(line[len("data: ") :])
                for line in response.iter_lines()
                if line.startswith("data: ")
            ]
        types = [e["type"] for e in events]
        assert types[0] == "state" and types[-1] == "state"
        assert "progress" in types and "result" in types
        assert [e["seq"] for e in events] == sorted(e["seq"] for e in events)

        # resuming the stream after the last event yields nothing new but still terminates
        with client.stream(
            "GET", f"/api/v1/jobs/{job['id']}/events", params={"after": events[-1]["seq"]}
        ) as r:
            assert [line for line in r.iter_lines() if line.startswith("data: ")] == []


def test_unknown_job_is_404_problem(fresh_settings: Settings) -> None:
    with TestClient(create_app(fresh_settings)) as client:
        r = client.get("/api/v1/jobs/nope")
        assert r.status_code == 404 and r.headers["content-type"].startswith("application/problem+json")
        r = client.get("/api/v1/jobs/nope/events")
        assert r.status_code == 404
        r = client.post("/api/v1/jobs/nope/cancel")
        assert r.status_code == 404
