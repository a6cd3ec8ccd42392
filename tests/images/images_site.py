"""Serve the images fixture site (``tests/images/site``) on 127.0.0.1 for crawl and search tests.

    with serve_site() as site:
        site.url            # "http://127.0.0.1:PORT/" (the main site; robots.txt disallows /private/)
        site.other_url      # a second origin (another port) serving the same files: "other domain"
        site.hits["/img/astronaut.jpg"]   # how many times each path (without query) was requested

Dynamic routes on top of the static files (see ``site/README.md``):

* ``/old-space.html`` 301 → ``/space.html``; ``/loop-a.html`` ⇄ ``/loop-b.html`` (a redirect loop);
  ``/img/redirected-cat.jpg`` 302 → ``/img/chelsea-large.jpg``;
* ``/server-error.html`` and ``/img/error.png`` answer 500; ``/img/notimage.jpg`` is HTML;
* ``/img/huge.jpg`` is a 12 MiB body with a JPEG header (more than the 10 MiB fetch cap);
* ``/img/slow.jpg`` waits ``slow_s`` (2 s) before answering; ``/download/report`` is a PDF without an
  extension; ``/svg-beacon`` only counts (an SVG script that ran would call it);
* ``__OTHER_ORIGIN__`` in HTML is replaced by the other origin's URL (no trailing slash).
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

SITE_DIR = Path(__file__).parent / "site"
HUGE_BYTES = 12 * 1024 * 1024

REDIRECTS = {
    "/old-space.html": (301, "/space.html"),
    "/loop-a.html": (302, "/loop-b.html"),
    "/loop-b.html": (302, "/loop-a.html"),
    "/img/redirected-cat.jpg": (302, "/img/chelsea-large.jpg"),
}


@dataclass
class SiteServer:
    """A running fixture site (two origins over the same files) and its request log."""

    url: str
    other_url: str
    hits: Counter[str] = field(default_factory=Counter)
    user_agents: list[str] = field(default_factory=list)
    other: SiteServer | None = None
    """The second origin's own request log."""
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def origin(self) -> str:
        return self.url.rstrip("/")

    @property
    def other_origin(self) -> str:
        return self.other_url.rstrip("/")

    def reset_hits(self) -> None:
        with self.lock:
            self.hits.clear()
            self.user_agents.clear()
        if self.other is not None:
            self.other.reset_hits()

    def record(self, path: str, user_agent: str) -> None:
        with self.lock:
            self.hits[path] += 1
            self.user_agents.append(user_agent)


class _Handler(SimpleHTTPRequestHandler):
    site: SiteServer
    slow_s: float
    delay_s: float

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _send(
        self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        self.site.record(path, self.headers.get("User-Agent", ""))
        if self.delay_s:
            time.sleep(self.delay_s)
        if path in REDIRECTS:
            status, target = REDIRECTS[path]
            self._send(status, b"", "text/html", {"Location": target})
        elif path in ("/server-error.html", "/img/error.png"):
            self._send(500, b"<h1>Internal error</h1>", "text/html")
        elif path == "/img/notimage.jpg":
            self._send(200, b"<!doctype html><title>not an image</title>", "image/jpeg")
        elif path == "/img/huge.jpg":
            self._send(200, b"\xff\xd8\xff\xe0" + bytes(HUGE_BYTES), "image/jpeg")
        elif path == "/img/slow.jpg":
            time.sleep(self.slow_s)
            self._send(200, (SITE_DIR / "img" / "clock.jpg").read_bytes(), "image/jpeg")
        elif path == "/download/report":
            self._send(200, (SITE_DIR / "files" / "report.pdf").read_bytes(), "application/pdf")
        elif path == "/svg-beacon":
            self._send(204, b"", "text/plain")
        elif path.endswith(".html") or path.endswith("/"):
            file = SITE_DIR / (path.lstrip("/") + ("index.html" if path.endswith("/") else ""))
            if not file.resolve().is_relative_to(SITE_DIR.resolve()) or not file.is_file():
                self._send(404, b"<h1>Not found</h1>", "text/html")
                return
            html = file.read_text("utf-8").replace("__OTHER_ORIGIN__", self.site.other_origin)
            self._send(200, html.encode("utf-8"), "text/html; charset=utf-8")
        else:
            super().do_GET()

    def do_HEAD(self) -> None:
        self.do_GET()


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients that hang up early (timeouts, size caps) are expected here


def _start(site: SiteServer | None, slow_s: float, delay_s: float) -> tuple[ThreadingHTTPServer, Any]:
    handler = type("SiteHandler", (_Handler,), {"slow_s": slow_s, "delay_s": delay_s})
    server = _QuietServer(("127.0.0.1", 0), partial(handler, directory=str(SITE_DIR)))
    thread = threading.Thread(target=server.serve_forever, name="images-site", daemon=True)
    return server, (handler, thread)


@contextmanager
def serve_site(*, slow_s: float = 2.0, delay_s: float = 0.0) -> Iterator[SiteServer]:
    """Serve the fixture site on two 127.0.0.1 ports; ``delay_s`` slows every request (for benchmarks)."""
    main, (main_handler, main_thread) = _start(None, slow_s, delay_s)
    other, (other_handler, other_thread) = _start(None, slow_s, delay_s)
    site = SiteServer(
        url=f"http://127.0.0.1:{main.server_address[1]}/",
        other_url=f"http://127.0.0.1:{other.server_address[1]}/",
    )
    main_handler.site = site
    site.other = SiteServer(url=site.other_url, other_url=site.url)
    other_handler.site = site.other
    main_thread.start()
    other_thread.start()
    try:
        yield site
    finally:
        for server in (main, other):
            server.shutdown()
            server.server_close()


__all__ = ["HUGE_BYTES", "REDIRECTS", "SITE_DIR", "SiteServer", "serve_site"]
