"""Crawl throughput of the images app on the local fixture site, against naive baselines in the same run.

    .venv/bin/python bench/images_crawl.py [--latency-ms 20] [--repeat 3] [--skip-render] [--out FILE]

The fixture site (tests/images/site: 31 pages, 18 good images, broken ones) is served on 127.0.0.1;
``--latency-ms`` delays every response to mimic a real server. Rows:

* **pages/s, static**: our crawler walking and parsing pages without image downloads
  (``CrawlOptions(images=False)``, concurrency 4, 4 per host, no politeness delay, robots.txt on) vs
  **naive sequential**: one ``httpx.Client``, breadth-first, one request at a time, same link extraction;
  plus our crawler at its polite defaults (2 per host, 0.25 s between requests) for reference;
* **pages/s, rendered**: our crawler with ``render=True`` (Chromium, every request through the guarded
  fetcher, 2 pages at a time) vs **naive sequential Playwright** (one tab, ``page.goto`` one URL after
  another, Chromium fetching by itself);
* **images/s, whole pipeline** (download → decode → features/concepts/OCR → vectors → store upsert):
  our crawl with OCR off and with OCR forced on, vs **naive per-image** (sequential download,
  ``analyze()`` one image at a time, no content-hash cache, one upsert per image). Models are loaded
  before timing; the analysis cache is emptied before every run.

Medians over ``--repeat`` runs are printed as a table (and written to ``--out`` when given).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "images"))

from images_site import serve_site  # noqa: E402

from adlens.cli.progress import CliJobContext  # noqa: E402
from adlens.config import Settings  # noqa: E402
from adlens.images.crawl import CrawlOptions, run_crawl  # noqa: E402
from adlens.images.download import sniff_format  # noqa: E402
from adlens.images.extract import extract_page  # noqa: E402
from adlens.images.process import CACHE_NS, AnalysisCache, Candidate, ImageProcessor  # noqa: E402
from adlens.images.schema import COLLECTION, ensure_collection  # noqa: E402
from adlens.runtime import Runtime  # noqa: E402


def naive_static(start: str, limit: int, depth: int) -> int:
    """Sequential breadth-first crawl with one httpx client: returns pages fetched."""
    import httpx

    seen, queue, pages = {start}, deque([(start, 0)]), 0
    with httpx.Client(follow_redirects=True, timeout=10) as client:
        while queue and pages < limit:
            url, d = queue.popleft()
            try:
                r = client.get(url)
            except httpx.HTTPError:
                continue
            if r.status_code >= 400 or "html" not in r.headers.get("content-type", ""):
                continue
            pages += 1
            found = extract_page(r.text, str(r.url))
            if d < depth:
                for link in found.links:
                    if link.startswith(start) and link not in seen:
                        seen.add(link)
                        queue.append((link, d + 1))
    return pages


def naive_rendered(start: str, limit: int, depth: int, chromium: str) -> int:
    """Sequential breadth-first crawl in one Playwright tab (Chromium fetches by itself)."""
    from playwright.sync_api import sync_playwright

    seen, queue, pages = {start}, deque([(start, 0)]), 0
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--headless"])
        tab = browser.new_page()
        while queue and pages < limit:
            url, d = queue.popleft()
            try:
                resp = tab.goto(url, wait_until="load", timeout=15000)
            except Exception:
                continue
            if resp is None or resp.status >= 400 or "html" not in (resp.headers.get("content-type") or ""):
                continue
            pages += 1
            found = extract_page(tab.content(), tab.url)
            if d < depth:
                for link in found.links:
                    if link.startswith(start) and link not in seen:
                        seen.add(link)
                        queue.append((link, d + 1))
        browser.close()
    return pages


def naive_images(runtime: Runtime, start: str, urls: list[tuple[str, str]], namespace: str) -> int:
    """Per image: download, ``analyze()`` alone, vectors, one upsert. Returns images stored."""
    import httpx

    from adlens.images.download import Downloaded
    from adlens.images.extract import FoundImage

    processor = ImageProcessor.from_runtime(runtime, ocr=False)
    stored = 0
    with httpx.Client(follow_redirects=True, timeout=10) as client:
        for img_url, page_url in urls:
            r = client.get(img_url)
            fmt = sniff_format(r.content)
            if r.status_code >= 400 or fmt is None:
                continue
            processor.analyses = AnalysisCache(None, ocr=False)  # no content-hash reuse
            dl = Downloaded(img_url, str(r.url), r.content, fmt, r.headers.get("content-type", ""))
            out = processor.process([Candidate(FoundImage(img_url, "img"), page_url, "", dl)])
            if out[0].record is not None:
                runtime.store.upsert(COLLECTION, [out[0].record], namespace=namespace)
                stored += 1
    return stored


def image_urls(runtime: Runtime, crawl_id: str) -> list[tuple[str, str]]:
    return [
        (str(r.metadata["image_url"]), str(r.metadata["page_url"]))
        for _ns, r in runtime.store.iter_records(COLLECTION, crawl_id)
    ]


def timed(fn: Callable[[], int], repeat: int) -> tuple[float, int]:
    rates, count = [], 0
    for _ in range(repeat):
        t = time.perf_counter()
        count = fn()
        rates.append(count / (time.perf_counter() - t))
    return statistics.median(rates), count


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--latency-ms", type=float, default=20.0)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--skip-render", action="store_true")
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    home = Path(tempfile.mkdtemp(prefix="adlens-bench-images-"))
    runtime = Runtime(Settings(home=home, allow_private_networks=True))
    runtime.image_embedder.load()
    runtime.image_embedder.ocr_reader.load()
    ensure_collection(runtime.store)
    rows: list[tuple[str, str, float, int]] = []

    def ours(**kw: Any) -> Callable[[], int]:
        def run() -> int:
            runtime.cache.clear(CACHE_NS)
            s = run_crawl(
                runtime, CrawlOptions(url=site.url, limit=60, depth=5, **kw), CliJobContext(None, None)
            )
            return s.images if kw.get("images", True) else s.pages

        return run

    with serve_site(delay_s=args.latency_ms / 1000, slow_s=0.5) as site:
        fast = {"delay_s": 0.0, "per_domain": 4, "concurrency": 4, "image_timeout_s": 2.0}
        rate, n = timed(lambda: naive_static(site.url, 60, 5), args.repeat)
        rows.append(("pages/s static", "naive sequential httpx", rate, n))
        rate, n = timed(ours(images=False, **fast), args.repeat)
        rows.append(("pages/s static", "adlens crawl (4 in flight, no delay)", rate, n))
        rate, n = timed(ours(images=False), 1)
        rows.append(("pages/s static", "adlens crawl (polite defaults)", rate, n))
        if not args.skip_render:
            chromium = runtime.settings.chromium_path
            rate, n = timed(lambda: naive_rendered(site.url, 60, 5, chromium), 1)
            rows.append(("pages/s rendered", "naive sequential Playwright", rate, n))
            rate, n = timed(ours(images=False, render=True, **fast), 1)
            rows.append(("pages/s rendered", "adlens crawl --render (2 tabs)", rate, n))
        first = run_crawl(
            runtime,
            CrawlOptions(url=site.url, limit=60, depth=5, ocr=False, **fast),
            CliJobContext(None, None),
        )
        urls = image_urls(runtime, first.crawl_id)
        rate, n = timed(lambda: naive_images(runtime, site.url, urls, "bench-naive"), args.repeat)
        rows.append(("images/s pipeline, no OCR", "naive per-image analyze()", rate, n))
        rate, n = timed(ours(ocr=False, **fast), args.repeat)
        rows.append(("images/s pipeline, no OCR", "adlens crawl (batched, hash cache)", rate, n))
        rate, n = timed(ours(ocr=True, **fast), 1)
        rows.append(("images/s pipeline, OCR on", "adlens crawl (batched, hash cache)", rate, n))
    runtime.close()
    lines = [
        f"fixture site on 127.0.0.1, +{args.latency_ms:g} ms per response; median of {args.repeat} runs "
        "(rendered and OCR rows: 1 run)",
        "",
        "| measure | crawler | rate | items |",
        "|---|---|---:|---:|",
        *[f"| {m} | {who} | {rate:.2f} | {n} |" for m, who, rate, n in rows],
    ]
    text = "\n".join(lines)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
