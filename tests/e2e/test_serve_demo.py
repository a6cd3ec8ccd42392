"""``adlens serve --port P`` with the demo: URLs the demo builds point at the port the server binds."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
from live_server import running_server


def test_demo_links_use_the_bound_port(tmp_path: Path) -> None:
    env = {"ADLENS_DEMO": "true", "ADLENS_DEMO_APPS": "contextual", "ADLENS_PORT": "9"}  # 9: not bound
    with running_server(tmp_path, env) as srv:
        deadline = time.monotonic() + 240
        job: dict = {}
        while time.monotonic() < deadline:
            jobs = httpx.get(srv.url + "/api/v1/jobs", params={"kind": "demo.seed"}, timeout=10).json()[
                "jobs"
            ]
            job = jobs[0] if jobs else {}
            if job.get("state") in ("done", "failed", "cancelled"):
                break
            time.sleep(1)
        assert job.get("state") == "done", job
        pages = job["result"]["contextual"]["pages"]
        assert pages
        for page in pages:
            assert page["url"].startswith(srv.url + "/"), page["url"]
            assert httpx.get(page["url"], timeout=10).status_code == 200
