"""Demo content of the images app: crawl the site shipped in ``demo_site/`` into the crawl ``demo``.

The site (our pages; scikit-image sample photos in the public domain or CC0 and images drawn by
adlens, see ``demo_site/LICENSE.md``) is served by an ephemeral HTTP server on 127.0.0.1 inside the
seeder; loopback is allowed for this one crawl only (``CrawlOptions.allow_loopback``), never for
user crawls. Idempotent: a finished ``demo`` crawl with images is left alone.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path
from typing import Any

from adlens.errors import NotFound
from adlens.images.crawl import CrawlOptions, CrawlRegistry, run_crawl
from adlens.images.schema import COLLECTION, ensure_collection

DEMO_CRAWL_ID = "demo"
DEMO_SITE_ROUTE = "/api/v1/images/demo-site/"
_URL_KEYS = ("image_url", "page_url")


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass


def demo_site_dir() -> Path:
    return Path(str(resources.files("adlens.images").joinpath("demo_site")))


def demo_site_file(path: str) -> Path:
    """A file of the shipped demo site; NotFound for anything outside it."""
    root = demo_site_dir().resolve()
    target = (root / path).resolve()
    if not target.is_relative_to(root) or not target.is_file() or target.name.endswith(".md"):
        raise NotFound(f"no demo-site file {path!r}")
    return target


def _relink(runtime: Any, origin: str) -> int:
    """Point the stored demo URLs (ephemeral server) at the permanent route that serves the site."""

    def fix(value: Any) -> Any:
        if isinstance(value, str) and value.startswith(origin):
            return DEMO_SITE_ROUTE + value[len(origin) :]
        if isinstance(value, list):
            return [fix(v) for v in value]
        return value

    records = []
    for _ns, rec in runtime.store.iter_records(COLLECTION, namespace=DEMO_CRAWL_ID):
        meta = {k: fix(v) if k in (*_URL_KEYS, "also_on") else v for k, v in rec.metadata.items()}
        records.append(replace(rec, metadata=meta))
    if records:
        runtime.store.upsert(COLLECTION, records, namespace=DEMO_CRAWL_ID)
    return len(records)


@contextmanager
def serve_demo_site(root: Path | None = None) -> Iterator[str]:
    """Serve the demo site on an ephemeral 127.0.0.1 port; yields its start URL."""
    server = _QuietServer(("127.0.0.1", 0), partial(_QuietHandler, directory=str(root or demo_site_dir())))
    thread = threading.Thread(target=server.serve_forever, name="adlens-demo-site", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/index.html"
    finally:
        server.shutdown()
        server.server_close()


class _SeedContext:
    """A job context for the seeder (it runs inside the ``demo.seed`` job, which reports for it)."""

    job_id = "demo-seed"
    attempt = 1
    resume_state: dict[str, Any] | None = None
    cancelled = False

    def check_cancelled(self) -> None:
        return None

    def progress(self, *args: Any, **kwargs: Any) -> None:
        return None

    def log(self, msg: str) -> None:
        return None

    def checkpoint(self, state: dict[str, Any]) -> None:
        return None


def seed(runtime: Any) -> dict[str, Any]:
    """Crawl the demo site into the ``demo`` crawl unless it is already there."""
    registry = CrawlRegistry(runtime)
    ensure_collection(runtime.store)
    try:
        row = registry.store.row(DEMO_CRAWL_ID)
    except NotFound:
        row = None
    if row is not None:
        stored = runtime.store.count(COLLECTION, namespace=DEMO_CRAWL_ID)
        if row["status"] == "done" and stored > 0:
            return {"crawl_id": DEMO_CRAWL_ID, "images": stored, "seeded": False}
        registry.delete(DEMO_CRAWL_ID)  # a half-done demo crawl: start clean
    with serve_demo_site() as url:
        options = CrawlOptions(url=url, limit=30, depth=2, delay_s=0.0, allow_loopback=True)
        summary = run_crawl(runtime, options, _SeedContext(), crawl_id=DEMO_CRAWL_ID)
    _relink(runtime, url.rsplit("/", 1)[0] + "/")
    return {"crawl_id": DEMO_CRAWL_ID, "images": summary.images, "pages": summary.pages, "seeded": True}


__all__ = ["DEMO_CRAWL_ID", "DEMO_SITE_ROUTE", "demo_site_dir", "demo_site_file", "seed", "serve_demo_site"]
