"""A closed-loop / think-time HTTP load generator on raw asyncio streams (used by bench/creators.py).

One keep-alive HTTP/1.1 connection per simulated client, requests pre-serialised: it costs a few
percent of one core at 100 clients, so it disturbs a server on the same 2 cores far less than an HTTP
client library would. The server's CPU share is read from /proc.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import time
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["load", "pct", "run_loop"]


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q)) if values else float("nan")


class _Conn:
    """One keep-alive HTTP/1.1 connection on raw asyncio streams: a load generator that costs far
    less CPU per request than an HTTP client library (it shares the 2 cores with the server)."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.rw: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def request(self, raw: bytes) -> tuple[int, bytes]:
        if self.rw is None:
            self.rw = await asyncio.open_connection(self.host, self.port)
        reader, writer = self.rw
        try:
            writer.write(raw)
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            status = int(lines[0].split()[1])
            length = next(
                int(h.split(":", 1)[1]) for h in lines[1:] if h.lower().startswith("content-length:")
            )
            body = await reader.readexactly(length)
        except BaseException:
            self.close()
            raise
        return status, body

    def close(self) -> None:
        if self.rw is not None:
            self.rw[1].close()
            self.rw = None


def _raw(body: dict[str, Any] | None, host: str) -> bytes:
    if body is None:
        return f"GET /static/adlens.css HTTP/1.1\r\nHost: {host}\r\n\r\n".encode()
    data = json.dumps(body).encode()
    return (
        f"POST /api/v1/creators/search HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(data)}\r\n\r\n"
    ).encode() + data


def _children(pid: int) -> list[int]:
    out: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        out.extend(int(c) for c in task.read_text().split())
    return out


def _cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process and its live descendants (the server's workers)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    own = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return own + sum(_cpu_s(c) for c in _children(pid))


async def load(
    url: str,
    clients: int,
    bodies: list[dict[str, Any]] | None,
    *,
    requests: int = 0,
    think: tuple[float, float] | None = None,
    duration: float = 60.0,
    server_pid: int | None = None,
) -> dict[str, Any]:
    """``clients`` connections. Closed loop (``think=None``): ``requests`` requests in all, each client
    sending its next one as soon as the previous answers. With ``think=(lo, hi)``: each client waits a
    random lo..hi s between requests for ``duration`` s (open-ish load, ~clients / mean think req/s)."""
    host, port = url.split("//")[1].split(":")
    raws = [_raw(None, host)] if bodies is None else [_raw(b, host) for b in bodies]
    lat: list[float] = []
    kinds: dict[str, int] = {}
    counter = iter(range(requests if think is None else 10**12))
    rng = random.Random(4)
    stop = time.perf_counter() + duration

    async def worker(w: int) -> None:
        conn = _Conn(host, int(port))
        if think is not None:
            await asyncio.sleep(rng.uniform(0, think[1]))  # users arrive spread out
        for i in counter:
            if think is not None and time.perf_counter() >= stop:
                break
            t0 = time.perf_counter()
            try:
                status, body = await asyncio.wait_for(conn.request(raws[i % len(raws)]), 60)
                err = None if status == 200 and (bodies is None or b'"results"' in body) else f"HTTP {status}"
            except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError, StopIteration) as e:
                err = type(e).__name__
            lat.append((time.perf_counter() - t0) * 1000)
            if err:
                kinds[err] = kinds.get(err, 0) + 1
            if think is not None:
                await asyncio.sleep(rng.uniform(*think))
        conn.close()

    c0, s0 = time.process_time(), _cpu_s(server_pid) if server_pid else 0.0
    t0 = time.perf_counter()
    await asyncio.gather(*(worker(w) for w in range(clients)))
    wall = time.perf_counter() - t0
    client_cpu = time.process_time() - c0
    server_cpu = (_cpu_s(server_pid) - s0) if server_pid else float("nan")
    return {
        "mode": "closed-loop" if think is None else f"think {think[0]}-{think[1]} s",
        "clients": clients,
        "requests": len(lat),
        "errors": sum(kinds.values()),
        "p50": pct(lat, 50),
        "p90": pct(lat, 90),
        "p99": pct(lat, 99),
        "max": max(lat) if lat else float("nan"),
        "rps": len(lat) / wall,
        "client_cpu_pct": 100 * client_cpu / wall,
        "server_cpu_pct": 100 * server_cpu / wall,
        "error_kinds": kinds,
    }


def run_loop(coro: Any) -> Any:
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coro)
    return uvloop.run(coro)
