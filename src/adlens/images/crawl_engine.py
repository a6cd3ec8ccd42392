"""The asynchronous crawl loop behind :func:`adlens.images.crawl.run_crawl`.

Breadth-first over links, at most ``limit`` page fetches and ``depth`` link hops from the start URL.
``concurrency`` pages are in flight at once; per domain (``host:port``) at most ``per_domain`` requests
run at once and request starts are spaced by ``delay_s`` (politeness). Images are downloaded as their
page is parsed and handed to one batching consumer that analyses up to ``batch_size`` images per
``analyze_many`` call in a worker thread and upserts each batch at once (so a cancel or a crash keeps
everything stored before it). A page is marked ``done`` only after its images are stored, so a
resumed crawl re-fetches exactly the pages whose images might be missing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urldefrag, urlsplit

from adlens.errors import (
    AdlensError,
    Forbidden,
    InvalidInput,
    PayloadTooLarge,
    UnsupportedMedia,
    UpstreamError,
    UpstreamTimeout,
)
from adlens.fetch import Fetcher, UpstreamHTTPError
from adlens.images.crawl_state import CrawlStore
from adlens.images.download import download_image
from adlens.images.extract import FoundImage, extract_page
from adlens.images.process import Candidate, ImageProcessor, Processed, domain_of, richness
from adlens.images.schema import COLLECTION, record_id
from adlens.store import Record

if TYPE_CHECKING:
    from adlens.images.crawl import CrawlOptions

log = logging.getLogger(__name__)
FAILED = "!failed"
MAX_ALSO_ON = 20
REFRESH_S = 15.0


def classify(exc: BaseException) -> str:
    """A short machine-readable kind for an error (``http-404``, ``timeout``, ``redirect-loop``…)."""
    if isinstance(exc, UpstreamHTTPError):
        return f"http-{exc.upstream_status}"
    if isinstance(exc, UpstreamTimeout):
        return "timeout"
    if isinstance(exc, Forbidden):
        return "robots" if "robots.txt" in exc.message else "forbidden"
    if isinstance(exc, PayloadTooLarge):
        return "too-large"
    if isinstance(exc, UnsupportedMedia):
        return "unsupported-type"
    if isinstance(exc, UpstreamError):
        if "redirect loop" in exc.message:
            return "redirect-loop"
        if "too many redirects" in exc.message:
            return "too-many-redirects"
        return "upstream"
    if isinstance(exc, InvalidInput):
        return "undecodable"
    return "error"


@dataclass
class _Domain:
    sem: asyncio.Semaphore
    next_at: float = 0.0


class CrawlEngine:
    """One crawl run (first attempt or resume); see the module docstring."""

    def __init__(
        self,
        crawl_id: str,
        options: CrawlOptions,
        ctx: Any,
        state: CrawlStore,
        processor: ImageProcessor,
        store: Any,
        fetcher: Fetcher,
    ) -> None:
        self.crawl_id = crawl_id
        self.options = options
        self.ctx = ctx
        self.state = state
        self.processor = processor
        self.store = store
        self.fetcher = fetcher
        self.start_domain = domain_of(options.url)
        self.counters = {"pages": 0, "images_found": 0, "images_embedded": 0, "images": 0, "errors": 0}
        self.image_urls: dict[str, str | None] = {}  # found URL -> record id, None while pending, FAILED
        self.pending_pages: dict[str, list[tuple[str, FoundImage, str]]] = {}  # found URL -> other sightings
        self.best: dict[str, tuple[tuple[int, int], FoundImage, str, str]] = {}  # record id -> best sighting
        self.redescribe: set[str] = set()  # records a richer sighting should describe
        self.known_ids: set[str] = set()  # stored or being processed
        self.dirty: set[str] = set()  # records whose page list grew
        self.seen: set[str] = set()
        self._domains: dict[str, _Domain] = {}
        self._queue: asyncio.Queue[tuple[Candidate, asyncio.Future[None]] | None] = asyncio.Queue()
        self._last_checkpoint = 0.0
        self._last_refresh = time.monotonic()
        self._refreshing: asyncio.Task[None] | None = None

    # -- scope and politeness --------------------------------------------------------------------
    def in_scope(self, url: str) -> bool:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            return False
        if not self.options.same_domain:
            return True
        return parts.netloc.lower().removeprefix("www.") == self.start_domain.removeprefix("www.")

    @contextlib.asynccontextmanager
    async def polite(self, domain: str) -> AsyncIterator[None]:
        d = self._domains.get(domain)
        if d is None:
            d = self._domains[domain] = _Domain(asyncio.Semaphore(self.options.per_domain))
        async with d.sem:
            now = time.monotonic()
            wait = d.next_at - now
            d.next_at = max(now, d.next_at) + self.options.delay_s
            if wait > 0:
                await asyncio.sleep(wait)
            yield

    # -- reporting -------------------------------------------------------------------------------
    def error(self, url: str, stage: str, exc: BaseException) -> None:
        message = exc.message if isinstance(exc, AdlensError) else f"{type(exc).__name__}: {exc}"
        self.state.add_error(self.crawl_id, url, stage, classify(exc), message)
        self.counters["errors"] += 1
        self.report()

    def report(self, message: str | None = None) -> None:
        c = self.counters
        self.ctx.progress(
            done=min(c["pages"], self.options.limit),
            total=self.options.limit,
            message=message,
            pages=c["pages"],
            images_found=c["images_found"],
            images_embedded=c["images_embedded"],
            images=c["images"],
            errors=c["errors"],
        )

    def save_counters(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last_checkpoint < 1.0:
            return
        self._last_checkpoint = now
        c = self.counters
        self.state.update(
            self.crawl_id,
            pages=c["pages"],
            images=c["images"],
            images_found=c["images_found"],
            embedded=c["images_embedded"],
        )
        self.ctx.checkpoint({"crawl_id": self.crawl_id, **c})

    # -- resume ----------------------------------------------------------------------------------
    def load(self) -> list[tuple[str, int]]:
        self.seen = self.state.seen_pages(self.crawl_id)
        if not self.seen:
            self.state.add_pages(self.crawl_id, [(self.options.url, 0)])
            self.seen = {self.options.url}
        for url, (rid, _h, status) in self.state.images(self.crawl_id).items():
            self.image_urls[url] = rid if status == "stored" and rid else FAILED
            if status == "stored" and rid:
                self.known_ids.add(rid)
        row = self.state.row(self.crawl_id)
        counts = self.state.page_counts(self.crawl_id)
        self.counters.update(
            pages=counts.get("done", 0),
            images=self.state.stored_count(self.crawl_id),
            images_found=int(row["images_found"]),
            images_embedded=int(row["embedded"]),
            errors=int(row["errors"]),
        )
        return self.state.queued_pages(self.crawl_id)

    # -- the loop --------------------------------------------------------------------------------
    async def run(self) -> str:
        """Crawl until the frontier is empty, the limit is reached or a cancel; returns the outcome
        (``done`` or ``cancelled``)."""
        frontier = list(self.load())
        attempted = sum(v for k, v in self.state.page_counts(self.crawl_id).items() if k != "queued")
        batcher = asyncio.create_task(self._batcher())
        tasks: dict[asyncio.Task[list[str]], int] = {}
        cancelled = False
        self.report("crawling")
        try:
            while frontier or tasks:
                if self.ctx.cancelled:
                    cancelled = True
                    break
                while frontier and len(tasks) < self.options.concurrency and attempted < self.options.limit:
                    url, depth = frontier.pop(0)
                    attempted += 1
                    tasks[asyncio.create_task(self._page(url, depth))] = depth
                if not tasks:
                    break
                done, _ = await asyncio.wait(tasks, timeout=0.25, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    depth = tasks.pop(task)
                    links = [u for u in task.result() if u not in self.seen]
                    if links and depth < self.options.depth:
                        new = self.state.add_pages(self.crawl_id, [(u, depth + 1) for u in links])
                        self.seen.update(links)
                        frontier.extend((u, depth + 1) for u in new)
                self.save_counters()
                self._maybe_refresh()
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            while not self._queue.empty():  # not processed: their pages stay queued for a resume
                item = self._queue.get_nowait()
                if item is not None and not item[1].done():
                    item[1].cancel()
            await self._queue.put(None)
            await asyncio.gather(batcher, return_exceptions=True)
            if self._refreshing is not None:
                await asyncio.gather(self._refreshing, return_exceptions=True)
            await asyncio.to_thread(self._refresh_job())
            self.save_counters(force=True)
            self.report("cancelled" if cancelled else "done")
        return "cancelled" if cancelled else "done"

    async def _page(self, url: str, depth: int) -> list[str]:
        try:
            async with self.polite(domain_of(url)):
                page = await self.fetcher.fetch(url, render=self.options.render)
        except AdlensError as exc:
            self.error(url, "robots" if classify(exc) == "robots" else "page", exc)
            self.state.set_page(self.crawl_id, url, "failed", depth)
            return []
        final = urldefrag(page.final_url)[0]
        if final != url:
            if final in self.seen or not self.in_scope(final):
                self.state.set_page(self.crawl_id, url, "done", depth)
                return []
            self.seen.add(final)
            self.state.set_page(self.crawl_id, final, "fetching", depth)
        found = extract_page(page.html, final)
        self.counters["images_found"] += len(found.images)
        images = found.images[: self.options.max_images_per_page] if self.options.images else []
        futures = await asyncio.gather(*(self._image(img, final, found.title) for img in images))
        await asyncio.gather(*(f for f in futures if f is not None), return_exceptions=True)
        for u in {url, final}:
            self.state.set_page(self.crawl_id, u, "done", depth)
        self.counters["pages"] += 1
        self.report()
        return [u for u in found.links if self.in_scope(u)]

    def _add_page(self, rid: str, page_url: str, img: FoundImage, page_title: str) -> None:
        self.state.add_image_pages(self.crawl_id, [(rid, page_url)])
        self.dirty.add(rid)
        score = richness(img)
        best = self.best.get(rid)
        if best is not None and score > best[0]:
            self.best[rid] = (score, img, page_url, page_title)
            self.redescribe.add(rid)

    async def _image(self, img: FoundImage, page_url: str, page_title: str) -> asyncio.Future[None] | None:
        if img.url in self.image_urls:
            rid = self.image_urls[img.url]
            if rid is None:
                self.pending_pages.setdefault(img.url, []).append((page_url, img, page_title))
            elif rid != FAILED:
                self._add_page(rid, page_url, img, page_title)
            return None
        self.image_urls[img.url] = None
        try:
            async with self.polite(domain_of(img.url)):
                dl = await download_image(
                    self.fetcher,
                    img.url,
                    max_bytes=self.options.max_image_bytes,
                    timeout_s=self.options.image_timeout_s,
                )
        except AdlensError as exc:
            self.image_urls[img.url] = FAILED
            self.state.set_images(self.crawl_id, [(img.url, None, None, "failed")])
            self.error(img.url, "download", exc)
            return None
        rid = record_id(dl.final_url)
        if rid in self.known_ids:  # e.g. a redirect to an image already stored
            self.image_urls[img.url] = rid
            self.state.set_images(self.crawl_id, [(img.url, rid, dl.content_hash, "stored")])
            self._add_page(rid, page_url, img, page_title)
            return None
        self.known_ids.add(rid)
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        await self._queue.put((Candidate(img, page_url, page_title, dl), future))
        return future

    # -- processing ------------------------------------------------------------------------------
    async def _batcher(self) -> None:
        while True:
            item = await self._queue.get()
            if item is None:
                return
            batch = [item]
            deadline = time.monotonic() + 0.05
            while len(batch) < self.options.batch_size:
                try:
                    nxt = self._queue.get_nowait()
                except asyncio.QueueEmpty:
                    if time.monotonic() >= deadline:
                        break
                    await asyncio.sleep(0.01)
                    continue
                if nxt is None:
                    await self._queue.put(None)
                    break
                batch.append(nxt)
            live = [(c, f) for c, f in batch if not f.cancelled()]
            try:
                results = await asyncio.to_thread(self._process_and_store, [c for c, _ in live])
                self._after_batch(results)
            except Exception as exc:  # a failing batch must not stop the crawl
                log.warning("image batch failed in crawl %s", self.crawl_id, exc_info=True)
                for c, _ in live:
                    self.image_urls[c.found.url] = FAILED
                    self.known_ids.discard(record_id(c.download.final_url))
                    self.error(c.download.final_url, "store", exc)
            finally:
                for _, f in live:
                    if not f.done():
                        f.set_result(None)

    def _process_and_store(self, items: list[Candidate]) -> list[Processed]:
        results = self.processor.process(items)
        records = [p.record for p in results if p.record is not None]
        if records:
            self.store.upsert(COLLECTION, records, namespace=self.crawl_id)
        return results

    def _after_batch(self, results: list[Processed]) -> None:
        rows: list[tuple[str, str | None, str | None, str]] = []
        for p in results:
            url = p.candidate.found.url
            more = self.pending_pages.pop(url, [])
            if p.record is None:
                self.image_urls[url] = FAILED
                self.known_ids.discard(record_id(p.candidate.download.final_url))
                rows.append((url, None, p.content_hash, "skipped" if p.skipped else "failed"))
                if p.error is not None:
                    self.error(p.candidate.download.final_url, "image", p.error)
                continue
            rid = p.record.id
            self.image_urls[url] = rid
            rows.append((url, rid, p.content_hash, "stored"))
            c = p.candidate
            self.best[rid] = (richness(c.found), c.found, c.page_url, c.page_title)
            self.state.add_image_pages(self.crawl_id, [(rid, c.page_url)])
            for page_url, img, title in more:
                self._add_page(rid, page_url, img, title)
            self.counters["images"] += 1
            self.counters["images_embedded"] += 1
        self.state.set_images(self.crawl_id, rows)
        self.report()

    def _maybe_refresh(self) -> None:
        """Every :data:`REFRESH_S` seconds, rewrite the page lists in the background (long crawls)."""
        busy = self._refreshing is not None and not self._refreshing.done()
        if busy or not (self.dirty or self.redescribe) or time.monotonic() - self._last_refresh < REFRESH_S:
            return
        self._last_refresh = time.monotonic()
        self._refreshing = asyncio.create_task(asyncio.to_thread(self._refresh_job()))

    def _refresh_job(self) -> Any:
        """Take the pending page-list work (on the event loop) and return it as a thread callable."""
        ids = sorted(self.dirty | self.redescribe)
        best = {rid: self.best[rid][1:] for rid in self.redescribe if rid in self.best}
        self.dirty, self.redescribe = set(), set()
        return lambda: self._refresh_pages(ids, best)

    def _refresh_pages(self, ids: list[str], best: dict[str, tuple[FoundImage, str, str]]) -> None:
        """Rewrite ``page_count``/``also_on`` of ``ids``; describe those in ``best`` by that sighting."""
        for start in range(0, len(ids), 64):
            chunk = ids[start : start + 64]
            pages = self.state.pages_of(self.crawl_id, chunk)
            updated: list[Record] = []
            for rec in self.store.get(COLLECTION, chunk, namespace=self.crawl_id):
                if rec.id in best:
                    img, page_url, page_title = best[rec.id]
                    rec = self.processor.redescribe(rec, img, page_url, page_title) or rec
                urls = pages.get(rec.id, [])
                first = str(rec.metadata.get("page_url") or "")
                rec.metadata["page_count"] = max(1, len(urls))
                rec.metadata["also_on"] = [u for u in urls if u != first][:MAX_ALSO_ON]
                updated.append(rec)
            if updated:
                self.store.upsert(COLLECTION, updated, namespace=self.crawl_id)


__all__ = ["FAILED", "CrawlEngine", "classify"]
