"""Rendered fetching throughput: adlens' guarded Chromium fetcher vs a naive Playwright crawler.

A fixture site (``--pages`` pages, each with 2 stylesheets, 3 scripts — one inserting an image after
``load`` — and 4 images, one lazy-loaded below the fold) is served on 127.0.0.1 by this script. Rows:

* ``naive playwright`` — the baseline: one browser, a new tab per URL, ``goto(wait_until="load")``,
  ``content()``, sequential, **no** routing, guard, proxy or limits (Chromium talks to the site itself).
* ``committed`` — ``RenderedFetcher`` as committed in git ``HEAD`` (loaded from ``git show``), when
  available, so before/after are measured in the same run on the same machine load.
* ``current`` — the working-tree ``RenderedFetcher`` behind ``Fetcher.fetch(url, render=True)``.

``seq`` renders one page after another, ``conc`` submits all pages at once (the fetcher bounds
concurrency itself). ``imgs`` is the mean number of image URLs found in the rendered DOM (a fidelity
check: it must match the baseline, except for rows that skip images, which still list them).

Launching the browser is not timed (every variant launches once and warms up with one page).

    .venv/bin/python bench/fetch_rendered.py [--pages 24] [--rounds 2] [--skip-committed]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.util
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any

from playwright.async_api import async_playwright

from adlens.fetch import Fetcher, Page, StaticFetcher, UrlGuard
from adlens.fetch import rendered as current_rendered

CHROMIUM = "/usr/bin/chromium"
REPO = Path(__file__).resolve().parents[1]
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c6360f8cfc0f01f0005000201a5e1b3a50000000049454e44ae426082"
)


def _page_html(i: int) -> bytes:
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>Page {i}</title>
<link rel="stylesheet" href="/css/base.css"><link rel="stylesheet" href="/css/page{i % 4}.css">
<script src="/js/lib.js"></script><script src="/js/app{i % 3}.js" defer></script></head>
<body><h1>Product {i}</h1><p>{"Lightweight running shoes with a breathable upper. " * 8}</p>
<img src="/img/{i}-a.png" alt="a"><img src="/img/{i}-b.png" alt="b"><img src="/img/shared.png" alt="s">
<div id="slot"></div><div style="height: 2500px">spacer</div>
<div class="lazy" data-img="/img/{i}-lazy.png">below the fold</div>
<script src="/js/lazy.js"></script></body></html>""".encode()


_JS = {
    "/js/lib.js": "window.lib = {version: 1, sum: (a, b) => a + b};",
    "/js/lazy.js": """const io = new IntersectionObserver((entries) => entries.forEach((e) => {
  if (!e.isIntersecting) return; const img = document.createElement('img');
  img.src = e.target.dataset.img; e.target.appendChild(img); io.unobserve(e.target);
})); document.querySelectorAll('.lazy').forEach((el) => io.observe(el));""",
    **{
        f"/js/app{k}.js": """window.addEventListener('load', () => setTimeout(() => {
  const img = document.createElement('img'); img.src = '/img/js-' + document.title.length + '.png';
  document.getElementById('slot').appendChild(img); }, 50));"""
        for k in range(3)
    },
}


def _route(path: str) -> tuple[int, str, bytes]:
    if path.startswith("/p/"):
        return 200, "text/html; charset=utf-8", _page_html(int(path[3:] or 0))
    if path in _JS:
        return 200, "application/javascript", _JS[path].encode()
    if path.startswith("/css/"):
        return 200, "text/css", b"body{font-family:sans-serif;margin:1em} h1{color:#234} img{width:40px}"
    if path.startswith("/img/"):
        return 200, "image/png", PNG
    if path == "/robots.txt":
        return 200, "text/plain", b"User-agent: *\nAllow: /\n"
    return 404, "text/plain", b"not found"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # else headers and body in two writes cost a 40 ms delayed ACK

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        status, kind, body = _route(self.path.split("?", 1)[0])
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "max-age=3600")
        self.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(body)


@contextmanager
def serve() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def load_committed() -> ModuleType | None:
    """``src/adlens/fetch/rendered.py`` as in git HEAD, imported under another name (None without git)."""
    try:
        source = subprocess.run(
            ["git", "show", "HEAD:src/adlens/fetch/rendered.py"],
            cwd=REPO,
            capture_output=True,
            check=True,
            text=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    path = Path(tempfile.mkdtemp()) / "rendered_head.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("adlens_bench_rendered_head", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


Runner = Callable[[list[str]], Coroutine[Any, Any, tuple[float, list[int]]]]


async def naive(urls: list[str]) -> tuple[float, list[int]]:
    """The baseline: plain sequential Playwright, no routing (Chromium reaches the site directly)."""
    found = []
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            await (await browser.new_page()).close()  # warm-up, like the fetchers' first page
            started = time.perf_counter()
            for url in urls:
                tab = await browser.new_page()
                await tab.goto(url, wait_until="load")
                html = await tab.content()
                found.append(len(Page(url, url, 200, "text/html", "utf-8", html).image_urls()))
                await tab.close()
            elapsed = time.perf_counter() - started
        finally:
            await browser.close()
    return elapsed, found


def adlens_run(module: ModuleType, concurrent: bool, **kwargs: Any) -> Runner:
    """``Fetcher.fetch(url, render=True)`` over ``module.RenderedFetcher`` (launch and warm-up untimed)."""

    async def run(urls: list[str]) -> tuple[float, list[int]]:
        static = StaticFetcher(guard=UrlGuard(allowed_networks=["127.0.0.1/32"]))
        rendered = module.RenderedFetcher(static=static, chromium_path=CHROMIUM, **kwargs)
        async with Fetcher(static, rendered) as fetcher:
            await fetcher.fetch(urls[0].rsplit("/", 1)[0] + "/999", render=True)  # browser launch
            started = time.perf_counter()
            if concurrent:
                pages = await asyncio.gather(*(fetcher.fetch(u, render=True) for u in urls))
            else:
                pages = [await fetcher.fetch(u, render=True) for u in urls]
            elapsed = time.perf_counter() - started
        assert all(p.rendered for p in pages)
        return elapsed, [len(p.image_urls()) for p in pages]

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=24)
    parser.add_argument("--rounds", type=int, default=2, help="interleaved rounds per variant (mean)")
    parser.add_argument("--skip-committed", action="store_true", help="do not load git HEAD's version")
    args = parser.parse_args()
    committed = None if args.skip_committed else load_committed()
    light = getattr(current_rendered, "LIGHT_RESOURCE_TYPES", None)
    rows: list[tuple[str, Runner]] = [("naive playwright (seq, no guard)", naive)]
    if committed is not None:
        rows += [
            ("committed HEAD (seq)", adlens_run(committed, False)),
            ("committed HEAD (conc)", adlens_run(committed, True)),
        ]
    rows += [
        ("current (seq)", adlens_run(current_rendered, False)),
        ("current (conc)", adlens_run(current_rendered, True)),
    ]
    if light is not None:
        rows.append(
            (
                "current, images skipped (conc)",
                adlens_run(current_rendered, True, blocked_resource_types=light),
            )
        )
    times: dict[str, list[float]] = {name: [] for name, _ in rows}
    found: dict[str, list[int]] = {name: [] for name, _ in rows}
    with serve() as base:
        urls = [f"{base}/p/{i}" for i in range(args.pages)]
        for round_no in range(args.rounds):
            order = rows if round_no % 2 == 0 else rows[::-1]  # interleave: machine load drifts
            for name, run in order:
                elapsed, images = asyncio.run(run(urls))
                times[name].append(elapsed)
                found[name] += images
                print(f"  round {round_no + 1} {name}: {elapsed:.1f} s", file=sys.stderr)
    base_rate = args.pages / statistics.mean(times[rows[0][0]])
    print(
        f"\nrendered fetch, {args.pages} pages (2 css, 3 js, 4-5 images each), 127.0.0.1 fixture site, "
        f"mean of {args.rounds} interleaved rounds, browser launch excluded\n"
    )
    print(f"| {'variant':<34} | {'s/round':>7} | {'pages/s':>7} | {'vs naive':>8} | {'imgs':>4} |")
    print(f"|{'-' * 36}|{'-' * 9}|{'-' * 9}|{'-' * 10}|{'-' * 6}|")
    for name, _ in rows:
        elapsed = statistics.mean(times[name])
        rate = args.pages / elapsed
        imgs = statistics.mean(found[name])
        print(f"| {name:<34} | {elapsed:7.1f} | {rate:7.2f} | {rate / base_rate:7.2f}x | {imgs:4.1f} |")


if __name__ == "__main__":
    main()
