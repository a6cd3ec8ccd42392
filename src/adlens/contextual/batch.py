"""Batch analysis as a job (kind ``contextual.batch``): many URLs, a concurrency limit, per-URL status.

A failing URL is recorded (``status: "error"`` with the reason and the error code) and the batch goes on.
Every successful analysis also fills the bid-time cache (:mod:`adlens.contextual.context_cache`), so a
batch over a site is how its pages are precomputed for ``GET /api/v1/context``. Progress messages name
the current step of each URL (fetching, images, scoring), which the web page shows live over SSE.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import TYPE_CHECKING, Any

from adlens.contextual.analyze import MAX_TOP_K, analyze_url, canonical_taxonomy
from adlens.contextual.context_cache import get_context_cache
from adlens.errors import AdlensError, InvalidInput
from adlens.jobs import JobCancelled

if TYPE_CHECKING:
    from adlens.runtime import Runtime

log = logging.getLogger(__name__)

JOB_KIND = "contextual.batch"
MAX_BATCH_URLS = 1000
MAX_CONCURRENCY = 16
DEFAULT_CONCURRENCY = 4

__all__ = [
    "DEFAULT_CONCURRENCY",
    "JOB_KIND",
    "MAX_BATCH_URLS",
    "MAX_CONCURRENCY",
    "batch_handler",
    "check_batch_params",
    "run_batch",
]


def check_batch_params(params: dict[str, Any]) -> dict[str, Any]:
    """Validated, normalised batch parameters (``InvalidInput`` on a bad shape; bad URLs are kept and
    reported per URL by the job)."""
    urls = params.get("urls")
    if not isinstance(urls, list) or not urls:
        raise InvalidInput("urls must be a non-empty list of URLs")
    if len(urls) > MAX_BATCH_URLS:
        raise InvalidInput(f"at most {MAX_BATCH_URLS} URLs per batch, got {len(urls)}")
    if not all(isinstance(u, str) for u in urls):
        raise InvalidInput("every url must be a string")
    concurrency = params.get("concurrency", DEFAULT_CONCURRENCY)
    if (
        isinstance(concurrency, bool)
        or not isinstance(concurrency, int)
        or not 1 <= concurrency <= MAX_CONCURRENCY
    ):
        raise InvalidInput(f"concurrency must be an integer from 1 to {MAX_CONCURRENCY}")
    top_k = params.get("top_k", 10)
    if isinstance(top_k, bool) or not isinstance(top_k, int) or not 1 <= top_k <= MAX_TOP_K:
        raise InvalidInput(f"top_k must be an integer from 1 to {MAX_TOP_K}")
    seen: dict[str, None] = {}
    for u in urls:
        seen.setdefault(u.strip(), None)
    return {
        "urls": list(seen),
        "render": bool(params.get("render", False)),
        "taxonomy": canonical_taxonomy(params.get("taxonomy") or "iab-3.1"),
        "top_k": top_k,
        "concurrency": concurrency,
        "use_cache": bool(params.get("use_cache", True)),
    }


def _summary(result: dict[str, Any]) -> dict[str, Any]:
    top = (result.get("categories") or [{}])[0]
    return {"top_category": top.get("name"), "confidence": top.get("confidence")}


def run_batch(runtime: Runtime, ctx: Any, params: dict[str, Any]) -> dict[str, Any]:
    """Analyse every URL of ``params`` (see :func:`check_batch_params`) with at most ``concurrency`` at once."""
    p = check_batch_params(params)
    urls: list[str] = p["urls"]
    total = len(urls)
    items: list[dict[str, Any]] = [{"url": u, "status": "queued"} for u in urls]
    context_cache = get_context_cache(runtime)
    counts = {"ok": 0, "failed": 0}
    lock = threading.Lock()

    def report(message: str) -> None:
        with lock:
            done = counts["ok"] + counts["failed"]
            ctx.progress(done=done, total=total, message=message, ok=counts["ok"], failed=counts["failed"])

    def step_reporter(url: str) -> Callable[[str], None]:
        return lambda step: report(f"{step}: {url}")

    def one(i: int) -> dict[str, Any]:
        url = urls[i]
        if ctx.cancelled:
            raise JobCancelled(url)
        return analyze_url(
            runtime,
            url,
            render=p["render"],
            taxonomy=p["taxonomy"],
            top_k=p["top_k"],
            use_cache=p["use_cache"],
            progress=step_reporter(url),
        )

    report(f"analysing {total} URL(s), {p['concurrency']} at a time")
    cancelled = False
    with ThreadPoolExecutor(max_workers=p["concurrency"], thread_name_prefix="adlens-ctx") as pool:
        futures: dict[Future[dict[str, Any]], int] = {pool.submit(one, i): i for i in range(total)}
        pending = set(futures)
        while pending:
            finished, pending = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
            for fut in finished:
                i = futures[fut]
                item = items[i]
                try:
                    result = fut.result()
                except JobCancelled:
                    item.update(status="cancelled")
                    continue
                except AdlensError as exc:
                    item.update(status="error", error=exc.message, code=exc.code, http_status=exc.status)
                    counts["failed"] += 1
                    with contextlib.suppress(AdlensError):  # an invalid URL has no cache key
                        context_cache.put_failure(item["url"], p["taxonomy"], exc.message)
                    report(f"failed: {item['url']}: {exc.message}")
                    continue
                except Exception as exc:  # a bug in one analysis must not lose the batch
                    log.exception("analysis of %s failed", item["url"])
                    item.update(
                        status="error", error=f"internal error ({type(exc).__name__})", code="internal-error"
                    )
                    counts["failed"] += 1
                    report(f"failed: {item['url']}")
                    continue
                item.update(status="ok", **_summary(result), result=result)
                counts["ok"] += 1
                context_cache.put(result)
                report(f"done: {item['url']}")
            if not cancelled and ctx.cancelled:
                cancelled = True
                for fut in pending:
                    fut.cancel()
    if cancelled:
        ctx.check_cancelled()
    report(f"{counts['ok']} analysed, {counts['failed']} failed")
    return {
        "taxonomy": p["taxonomy"],
        "total": total,
        "ok": counts["ok"],
        "failed": counts["failed"],
        "items": items,
    }


def batch_handler(runtime: Runtime) -> Callable[[Any, dict[str, Any]], dict[str, Any]]:
    """The job handler bound to ``runtime`` (registered by :func:`adlens.contextual.api.on_startup`)."""

    def handler(ctx: Any, params: dict[str, Any]) -> dict[str, Any]:
        return run_batch(runtime, ctx, params)

    return handler
