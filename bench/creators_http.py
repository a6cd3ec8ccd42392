"""HTTP phases of bench/creators.py: a real ``adlens serve`` (``--workers N``) on loopback, loaded
closed-loop and with think time by bench/http_load.py."""

from __future__ import annotations

import os
import random
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from creators_data import QUERIES, random_filters
from http_load import load, run_loop

__all__ = ["payloads", "serve_and_load"]


def payloads(n: int) -> list[dict[str, Any]]:
    rng = random.Random(3)
    out = []
    for _ in range(n):
        f = random_filters(rng)
        out.append({"query": rng.choice(QUERIES), "filters": f.model_dump(exclude_defaults=True), "k": 10})
    return out


def serve_and_load(
    home: Path, clients: int, requests: int, duration: float, extra_env: dict[str, str]
) -> list[tuple[str, dict[str, Any]]]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = (home / "bench-server.log").open("wb")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "adlens.cli",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        env={**os.environ, "ADLENS_HOME": str(home), **extra_env},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    import httpx

    try:
        deadline = time.time() + 300
        while True:
            try:
                if httpx.get(url + "/api/v1/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.time() > deadline:
                raise RuntimeError("server did not start: " + (home / "bench-server.log").read_text()[-2000:])
            time.sleep(0.5)
        body = payloads(max(requests, int(duration * clients)))
        workers = int(extra_env.get("ADLENS_WORKERS", "1"))
        t0 = time.perf_counter()
        ready: dict[int, float] = {}  # worker pid -> seconds its last health answer took
        while len(ready) < workers or max(ready.values()) > 1.0:
            t1 = time.perf_counter()  # health waits while a worker preloads the creators index
            pid = httpx.get(url + "/api/v1/health", timeout=900).json()["worker"]["pid"]
            ready[pid] = time.perf_counter() - t1
            if time.perf_counter() - t0 > 900:
                raise RuntimeError(f"workers not ready after 900 s: {ready}")
        print(f"  {workers} worker(s) loaded the index: {time.perf_counter() - t0:.1f} s", flush=True)
        t0 = time.perf_counter()
        first = httpx.post(url + "/api/v1/creators/search", json=body[0], timeout=900)
        print(
            f"  first search (opens the store, loads MiniLM): {time.perf_counter() - t0:.1f} s, status {first.status_code}",
            flush=True,
        )
        warm = [{"query": q, "filters": {}, "k": 10} for q in QUERIES]
        run_loop(load(url, 4, warm, requests=len(warm) * 2))  # every distinct query text embedded once
        out = []
        phases: list[tuple[str, int, dict[str, Any]]] = [
            ("search", 10, {"requests": requests}),
            ("search", clients, {"requests": requests}),
            ("static", clients, {"requests": requests}),
            ("search", clients, {"think": (0.5, 1.5), "duration": duration}),
        ]
        for label, c, kw in phases:
            r = run_loop(load(url, c, None if label == "static" else body, server_pid=proc.pid, **kw))
            r["loadavg"] = Path("/proc/loadavg").read_text().split()[:3]
            out.append((label, r))
            print(f"  {label} @ {c}: {r}", flush=True)
        return out
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
