"""Shared by every end-to-end test: a real ``adlens serve`` in a subprocess, and Debian's Chromium.

Importable from any test folder (``tests/`` is put on ``sys.path`` by the root ``conftest.py``); the
module-scoped ``browser`` fixture lives in the root ``conftest.py``.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """``adlens serve`` on a free loopback port with ``home`` as ADLENS_HOME."""

    def __init__(self, home: Path, env: dict[str, str] | None = None) -> None:
        self.home = home
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = home / "server.log"
        full_env = {**os.environ, "ADLENS_HOME": str(home), **(env or {})}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "adlens.cli", "serve", "--host", "127.0.0.1", "--port", str(self.port)],
            env=full_env,
            stdout=self.log.open("wb"),
            stderr=subprocess.STDOUT,
        )

    def wait_ready(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.log.read_text()[-3000:]}")
            try:
                if httpx.get(self.url + "/api/v1/health", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.3)
        raise TimeoutError(f"server not ready: {self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@contextmanager
def running_server(home: Path, env: dict[str, str] | None = None) -> Iterator[Server]:
    """Start, wait until healthy, yield, stop."""
    server = Server(home, env)
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


__all__ = ["CHROMIUM", "CHROMIUM_ARGS", "Server", "free_port", "running_server"]
