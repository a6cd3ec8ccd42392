"""Crawl a site's images into the store: options, the crawl list, and :func:`run_crawl`.

    summary = run_crawl(runtime, CrawlOptions(url="https://example.com/", limit=50, depth=2), ctx)

Each crawl writes into its own namespace (``crawl_id``, e.g. ``c-3f9a0c1d2e4b``) of the ``images``
collection. The same function runs as the ``images.crawl`` job (API, web UI), in the CLI (with a
progress bar) and in the demo seeder. How the crawl itself proceeds: :mod:`adlens.images.crawl_engine`.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
import uuid
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from adlens.errors import InvalidInput, RateLimited
from adlens.fetch import Fetcher, RenderedFetcher, StaticFetcher, UrlGuard
from adlens.fetch.rendered import BLOCKED_RESOURCE_TYPES
from adlens.images.crawl_engine import CrawlEngine
from adlens.images.crawl_state import ACTIVE, CrawlStore
from adlens.images.download import DEFAULT_MAX_IMAGE_BYTES
from adlens.images.process import AnalysisCache, ImageProcessor
from adlens.images.schema import COLLECTION, ensure_collection
from adlens.images.thumbs import delete_thumbnail
from adlens.jobs import JobCancelled

JOB_KIND = "images.crawl"
MAX_LIMIT = 10_000
MAX_DEPTH = 20


def new_crawl_id() -> str:
    return f"c-{uuid.uuid4().hex[:12]}"


@dataclass
class CrawlOptions:
    """What to crawl and how. ``allow_loopback`` is internal (the demo site); the API never sets it."""

    url: str
    limit: int = 50
    depth: int = 2
    render: bool = False
    same_domain: bool = True
    concurrency: int = 4
    per_domain: int = 2
    delay_s: float = 0.25
    max_image_bytes: int = DEFAULT_MAX_IMAGE_BYTES
    image_timeout_s: float = 15.0
    max_images_per_page: int = 200
    batch_size: int = 8
    ocr: bool | None = None
    images: bool = True
    """False: only walk and parse pages (count images, download none), e.g. to size a site."""
    allow_loopback: bool = False

    def validate(self) -> CrawlOptions:
        if not isinstance(self.url, str) or not self.url.strip():
            raise InvalidInput("url is required")
        self.url = self.url.strip()
        UrlGuard.split(self.url)  # scheme, host, credentials
        checks = (
            ("limit", self.limit, 1, MAX_LIMIT),
            ("depth", self.depth, 0, MAX_DEPTH),
            ("concurrency", self.concurrency, 1, 64),
            ("per_domain", self.per_domain, 1, 16),
            ("batch_size", self.batch_size, 1, 128),
            ("max_images_per_page", self.max_images_per_page, 1, 10_000),
            ("max_image_bytes", self.max_image_bytes, 1024, 200 * 1024 * 1024),
        )
        for name, value, lo, hi in checks:
            if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
                raise InvalidInput(f"{name} must be an integer in {lo}..{hi}, got {value!r}")
        for name, seconds in (("delay_s", self.delay_s), ("image_timeout_s", self.image_timeout_s)):
            if isinstance(seconds, bool) or not isinstance(seconds, int | float) or not 0 <= seconds <= 600:
                raise InvalidInput(f"{name} must be a number of seconds in 0..600, got {seconds!r}")
        return self

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CrawlOptions:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known}).validate()


@dataclass
class CrawlSummary:
    crawl_id: str
    status: str
    pages: int
    images: int
    embedded: int
    images_found: int
    error_count: int
    errors: list[dict[str, Any]] = field(default_factory=list)
    elapsed_s: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class CrawlRegistry:
    """The list of crawls (``get``/``list``/``delete``) and the server-wide crawl limit."""

    def __init__(self, runtime: Any) -> None:
        self.runtime = runtime
        self.store = CrawlStore.for_data_dir(runtime.settings.data_dir)

    def _reconcile(self, row: dict[str, Any]) -> dict[str, Any]:
        """A queued/running crawl whose job is over (server killed, job failed) gets the job's state."""
        job_id = row.get("job_id")
        if row["status"] not in ACTIVE or not job_id or str(job_id).startswith("cli-"):
            return row
        try:
            job = self.runtime.jobs.get(job_id)
        except Exception:
            return row
        state = str(getattr(job.state, "value", job.state))
        if state in ("done", "failed", "cancelled") and state != row["status"]:
            finished = row.get("finished_at") or time.time()
            self.store.update(row["crawl_id"], status=state, finished_at=finished, message=job.error or "")
            row = {**row, "status": state, "finished_at": finished}
        return row

    def get(self, crawl_id: str) -> dict[str, Any]:
        row = self._reconcile(self.store.row(crawl_id))
        return {
            "crawl_id": row["crawl_id"],
            "url": row["url"],
            "status": row["status"],
            "pages": row["pages"],
            "images": row["images"],
            "images_found": row["images_found"],
            "embedded": row["embedded"],
            "error_count": row["errors"],
            "errors": self.store.errors(crawl_id),
            "job_id": row["job_id"],
            "created_at": _iso(row["created_at"]),
            "finished_at": _iso(row["finished_at"]),
            "message": row["message"],
            "options": row["options"],
        }

    def list(self, limit: int = 100) -> list[dict[str, Any]]:
        out = []
        for row in self.store.rows(limit):
            row = self._reconcile(row)
            out.append(
                {
                    k: row[k]
                    for k in ("crawl_id", "url", "status", "pages", "images", "embedded", "job_id", "options")
                }
                | {"error_count": row["errors"], "created_at": _iso(row["created_at"])}
            )
        return out

    def active(self) -> int:
        return sum(1 for r in self.store.rows(1000, ACTIVE) if self._reconcile(r)["status"] in ACTIVE)

    def check_capacity(self, limit: int | None = None) -> None:
        """Raise :class:`RateLimited` (429) when ``limit`` crawls are already queued or running."""
        limit = limit or self.runtime.settings.images_max_crawls
        if self.active() >= limit:
            raise _full(limit)

    def reserve(self, crawl_id: str, options: CrawlOptions, limit: int | None = None) -> None:
        """Record ``crawl_id`` as ``queued``, or raise :class:`RateLimited` (429) when the limit is reached.

        Crawls whose job is over are reconciled first; the count and the insert are then one
        transaction, so the limit holds across server worker processes.
        """
        limit = limit or self.runtime.settings.images_max_crawls
        self.active()  # reconcile: a crawl whose job has ended no longer takes a slot
        if not self.store.create_if_capacity(crawl_id, options.url, options.to_dict(), None, limit):
            raise _full(limit)

    def _stop_job(self, job_id: str, timeout_s: float = 15.0) -> None:
        """Cancel a crawl's job and wait (bounded) until it has stopped writing."""
        with contextlib.suppress(Exception):
            self.runtime.jobs.cancel(job_id)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                state = str(getattr(self.runtime.jobs.get(job_id).state, "value", ""))
            except Exception:
                return
            if state in ("done", "failed", "cancelled"):
                return
            time.sleep(0.1)

    def delete(self, crawl_id: str) -> dict[str, Any]:
        """Remove the crawl's namespace, its state and the thumbnails/analyses no other crawl uses."""
        row = self.store.row(crawl_id)
        if row["status"] in ACTIVE and row.get("job_id") and not str(row["job_id"]).startswith("cli-"):
            self._stop_job(str(row["job_id"]))
        ensure_collection(self.runtime.store)
        removed = self.runtime.store.delete_namespace(COLLECTION, crawl_id)
        orphans = self.store.delete(crawl_id)
        analyses = AnalysisCache(self.runtime.cache)
        thumbs = 0
        for h in orphans:
            thumbs += delete_thumbnail(self.runtime.settings.data_dir, h)
            analyses.forget(h)
        return {"crawl_id": crawl_id, "deleted": True, "records": removed, "thumbnails": thumbs}


def _full(limit: int) -> RateLimited:
    return RateLimited(
        f"{limit} crawl(s) already running, the server-wide limit; retry when one finishes",
        detail={"max_active_crawls": limit},
    )


def _iso(ts: float | None) -> str | None:
    if ts is None:
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


def build_fetcher(settings: Any, options: CrawlOptions) -> Fetcher:
    """A fetcher for one crawl (its own HTTP client and browser, on the crawl's event loop)."""
    guard = UrlGuard(
        allow_private_networks=settings.allow_private_networks,
        allowed_networks=("127.0.0.1/32",) if options.allow_loopback else (),
    )
    static = StaticFetcher(
        guard=guard,
        user_agent=settings.user_agent,
        timeout_s=settings.fetch_timeout_s,
        max_bytes=settings.fetch_max_bytes,
        max_redirects=settings.fetch_max_redirects,
        respect_robots=settings.respect_robots,
    )
    rendered = None
    if options.render:
        rendered = RenderedFetcher(
            static=static,
            chromium_path=settings.chromium_path,
            timeout_s=2 * settings.fetch_timeout_s,
            navigation_timeout_s=settings.fetch_timeout_s,
            max_dom_chars=settings.fetch_max_bytes,
            max_concurrency=min(options.concurrency, 2),
            # Chromium need not download images: their URLs are read from the DOM and fetched once, here.
            blocked_resource_types=BLOCKED_RESOURCE_TYPES | {"image"},
        )
    return Fetcher(static, rendered, default_render=False)


def run_crawl(runtime: Any, options: CrawlOptions, ctx: Any, *, crawl_id: str | None = None) -> CrawlSummary:
    """Crawl (or resume crawl ``crawl_id``) and return its summary; raises ``JobCancelled`` on a cancel."""
    options.validate()
    registry = CrawlRegistry(runtime)
    crawl_id = crawl_id or (ctx.resume_state or {}).get("crawl_id") or new_crawl_id()
    registry.store.create(crawl_id, options.url, options.to_dict(), getattr(ctx, "job_id", None))
    registry.store.update(crawl_id, status="running", job_id=getattr(ctx, "job_id", None), finished_at=None)
    ensure_collection(runtime.store)
    processor = ImageProcessor.from_runtime(runtime, ocr=options.ocr)
    started = time.monotonic()

    async def go() -> str:
        fetcher = build_fetcher(runtime.settings, options)
        try:
            engine = CrawlEngine(crawl_id, options, ctx, registry.store, processor, runtime.store, fetcher)
            return await engine.run()
        finally:
            await fetcher.aclose()

    try:
        outcome = _run_async(go)
    except KeyboardInterrupt:  # Ctrl-C in the CLI: what was stored stays stored
        registry.store.update(crawl_id, status="cancelled", finished_at=time.time(), message="interrupted")
        raise
    except BaseException as exc:
        registry.store.update(crawl_id, status="failed", finished_at=time.time(), message=str(exc)[:300])
        raise
    if outcome == "cancelled":
        interrupted = bool(getattr(ctx, "interrupted_by_shutdown", False))
        registry.store.update(
            crawl_id,
            status="queued" if interrupted else "cancelled",
            finished_at=None if interrupted else time.time(),
        )
        raise JobCancelled(getattr(ctx, "job_id", crawl_id))
    registry.store.update(crawl_id, status="done", finished_at=time.time())
    row = registry.get(crawl_id)
    return CrawlSummary(
        crawl_id=crawl_id,
        status="done",
        pages=row["pages"],
        images=row["images"],
        embedded=row["embedded"],
        images_found=row["images_found"],
        error_count=row["error_count"],
        errors=row["errors"],
        elapsed_s=round(time.monotonic() - started, 3),
    )


def _run_async(factory: Any) -> Any:
    """``asyncio.run`` here, or in a helper thread when this thread already runs an event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(factory())
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = asyncio.run(factory())
        except BaseException as exc:
            box["error"] = exc

    thread = threading.Thread(target=target, name="adlens-crawl")
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box["value"]


__all__ = [
    "JOB_KIND",
    "CrawlOptions",
    "CrawlRegistry",
    "CrawlSummary",
    "build_fetcher",
    "new_crawl_id",
    "run_crawl",
]
