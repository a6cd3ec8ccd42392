"""Fixtures for the creators tests: one runtime per session (models load once), a local image server."""

from __future__ import annotations

import http.server
import io
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest


@pytest.fixture(scope="session")
def creators_runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    from adlens.config import Settings
    from adlens.runtime import Runtime

    settings = Settings(home=tmp_path_factory.mktemp("creators-home"), allow_private_networks=True)
    rt = Runtime(settings)
    try:
        yield rt
    finally:
        rt.close()


@pytest.fixture()
def fresh_runtime(tmp_path: Path, creators_runtime: object) -> Iterator[object]:
    """A runtime with its own empty store, sharing the session's loaded models."""
    from adlens.config import Settings
    from adlens.runtime import Runtime

    rt = Runtime(Settings(home=tmp_path / "home", allow_private_networks=True))
    for name in ("text_embedder", "image_embedder"):
        rt._objects[name] = getattr(creators_runtime, name)
    try:
        yield rt
    finally:
        rt._objects.pop("text_embedder", None)
        rt._objects.pop("image_embedder", None)
        rt.close()


def png_bytes(colour: tuple[int, int, int] = (200, 40, 40), size: int = 64) -> bytes:
    """A plain-colour PNG."""
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (size, size), colour).save(buf, "PNG")
    return buf.getvalue()


@pytest.fixture(scope="session")
def make_png() -> object:
    """``make_png(colour, size) -> bytes``."""
    return png_bytes


class _Handler(http.server.BaseHTTPRequestHandler):
    files: ClassVar[dict[str, tuple[str, bytes]]] = {}

    def do_GET(self) -> None:
        if self.path == "/robots.txt":
            self._send(200, "text/plain", b"User-agent: *\nAllow: /\n")
            return
        item = self.files.get(self.path)
        if item is None:
            self._send(404, "text/plain", b"not found")
            return
        self._send(200, *item)

    def _send(self, status: int, ctype: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="session")
def image_server() -> Iterator[str]:
    """``http://127.0.0.1:PORT`` serving /red.png, /blue.png, /notimage.png (HTML) and 404 elsewhere."""
    _Handler.files = {
        "/red.png": ("image/png", png_bytes((220, 30, 30))),
        "/blue.png": ("image/png", png_bytes((30, 30, 220))),
        "/notimage.png": ("text/html", b"<html><body>nope</body></html>"),
    }
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    try:
        yield f"http://127.0.0.1:{srv.server_address[1]}"
    finally:
        srv.shutdown()
        srv.server_close()
