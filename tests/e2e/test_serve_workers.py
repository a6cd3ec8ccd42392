"""``adlens serve --workers 2``: two real worker processes on one ADLENS_HOME.

What one worker writes, the other serves (the store catches up across processes); exactly one
worker runs jobs (the other's runner is on standby); settings given to ``serve`` reach both."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from live_server import Server

CSV = (
    b"username,followers,engagement rate,country,bio,category\n"
    b"ana_fit,120k,3.2%,USA,Personal trainer and gym workouts,fitness\n"
    b"bo_bakes,45k,5.1%,Spain,Baking recipes,food\n"
)


def _creators_count(body: dict[str, Any]) -> int | None:
    for app in body["apps"]:
        if app["name"] == "creators":
            return app.get("health", {}).get("creators")
    return None


def _poll_workers(url: str, want: int, until: Any, timeout: float = 120) -> dict[int, dict[str, Any]]:
    """Health answers by worker pid (a fresh connection each time, so every worker gets some),
    until ``want`` workers answered and ``until(answers)`` holds."""
    seen: dict[int, dict[str, Any]] = {}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = httpx.get(url + "/api/v1/health", timeout=30).json()
        seen[body["worker"]["pid"]] = body
        if len(seen) >= want and until(seen):
            return seen
    raise AssertionError(f"workers never got there: { {p: b['worker'] for p, b in seen.items()} }")


def test_two_workers_share_the_home(tmp_path: Path) -> None:
    server = Server(tmp_path, env={"ADLENS_WORKERS": "2"})
    try:
        server.wait_ready()
        seen = _poll_workers(server.url, 2, lambda s: True)
        assert len(seen) == 2
        assert sorted(b["worker"]["jobs_active"] for b in seen.values()) == [False, True]

        r = httpx.post(
            server.url + "/api/v1/creators/upload", files={"file": ("c.csv", CSV, "text/csv")}, timeout=120
        )
        assert r.status_code == 200, r.text
        assert r.json()["imported"] == 2
        # both workers count what one of them imported
        _poll_workers(server.url, 2, lambda s: all(_creators_count(b) == 2 for b in s.values()), timeout=60)
        for _ in range(8):  # fresh connections: whichever worker answers finds the creator
            r = httpx.post(
                server.url + "/api/v1/creators/search",
                json={"query": "fitness creators in the US with over 50K followers", "k": 5},
                timeout=60,
            )
            assert r.status_code == 200, r.text
            assert [x["handle"] for x in r.json()["results"]] == ["ana_fit"]
    finally:
        server.stop()
    assert "Traceback" not in server.log.read_text()


def test_serve_rejects_a_bad_worker_count(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "adlens.cli", "serve", "--workers", "0"],
        capture_output=True,
        text=True,
        timeout=60,
        env={"ADLENS_HOME": str(tmp_path), "PATH": "/usr/bin:/bin"},
    )
    assert out.returncode != 0
    assert "Traceback" not in out.stderr and "workers" in out.stderr


def test_two_workers_seed_the_demo_once(tmp_path: Path) -> None:
    from adlens.creators.demo import N_DEMO

    env = {"ADLENS_WORKERS": "2", "ADLENS_DEMO": "true", "ADLENS_DEMO_APPS": "creators"}
    server = Server(tmp_path, env=env)
    try:
        server.wait_ready()
        deadline = time.monotonic() + 300
        jobs: list[dict[str, Any]] = []
        while time.monotonic() < deadline:
            jobs = httpx.get(server.url + "/api/v1/jobs", params={"kind": "demo.seed"}, timeout=30).json()[
                "jobs"
            ]
            if jobs and all(j["state"] in ("done", "failed", "cancelled") for j in jobs):
                break
            time.sleep(1)
        assert [j["state"] for j in jobs] == ["done"], jobs  # one seeding, not one per worker
        assert jobs[0]["result"]["creators"]["imported"] == N_DEMO
        # the worker that did not run the job serves the demo creators too
        _poll_workers(
            server.url, 2, lambda s: all(_creators_count(b) == N_DEMO for b in s.values()), timeout=60
        )
    finally:
        server.stop()
    assert "Traceback" not in server.log.read_text()
