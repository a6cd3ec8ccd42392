"""CLI of crawls: ``adlens crawl URL`` (top-level, mounted by :mod:`adlens.images.cli`) and
``adlens images crawls list|show|delete``."""

from __future__ import annotations

import asyncio
from typing import Any

import typer
from rich.markup import escape

from adlens.cli.output import console, emit
from adlens.cli.progress import cli_job
from adlens.config import get_settings
from adlens.fetch import UrlGuard
from adlens.images.api_crawls import check_crawl_id
from adlens.images.crawl import CrawlOptions, CrawlRegistry, run_crawl
from adlens.runtime import Runtime

crawls_app = typer.Typer(help="List, show and delete image crawls.", no_args_is_help=True)


def crawl(
    url: str = typer.Argument(..., help="Start page (http or https)."),
    limit: int = typer.Option(50, "--limit", help="At most this many pages."),
    depth: int = typer.Option(2, "--depth", help="Link hops from the start page."),
    render: bool = typer.Option(False, "--render", help="Render pages in Chromium (JavaScript images)."),
    same_domain: bool = typer.Option(True, "--same-domain/--all-domains", help="Stay on the start host."),
    delay: float = typer.Option(0.25, "--delay", help="Seconds between requests to one host."),
    ocr: bool = typer.Option(
        True, "--ocr/--no-ocr", help="Read text in images (when they seem to have some)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """Crawl a site's images into a new crawl namespace, wait, and print the summary."""
    options = CrawlOptions(
        url=url,
        limit=limit,
        depth=depth,
        render=render,
        same_domain=same_domain,
        delay_s=delay,
        ocr=None if ocr else False,
    ).validate()
    runtime = Runtime(get_settings())
    try:
        asyncio.run(UrlGuard(allow_private_networks=runtime.settings.allow_private_networks).vet(options.url))
        with cli_job("crawling", quiet=as_json) as ctx:
            summary = run_crawl(runtime, options, ctx)
    finally:
        runtime.close()
    doc = {
        "crawl_id": summary.crawl_id,
        "pages": summary.pages,
        "images": summary.images,
        "errors": summary.errors,
        "error_count": summary.error_count,
        "images_found": summary.images_found,
        "elapsed_s": summary.elapsed_s,
    }

    def human(d: dict[str, Any]) -> None:
        console.print(
            f"crawl [bold]{escape(d['crawl_id'])}[/bold]: {d['pages']} pages, {d['images']} images stored, "
            f"{d['error_count']} errors in {d['elapsed_s']:.1f} s"
        )
        for e in d["errors"][:20]:
            console.print(f"  [dim]{e['stage']}[/dim] {e['kind']}: {escape(e['url'])}", highlight=False)
        console.print(f'search it: adlens images search "..." --crawl {d["crawl_id"]}', markup=False)

    emit(doc, as_json, human)


def _registry() -> tuple[Runtime, CrawlRegistry]:
    runtime = Runtime(get_settings())
    return runtime, CrawlRegistry(runtime)


@crawls_app.command("list")
def list_crawls(
    limit: int = typer.Option(50, "--limit", min=1, max=1000),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """The most recent crawls."""
    runtime, registry = _registry()
    try:
        rows = registry.list(limit)
    finally:
        runtime.close()

    def human(data: dict[str, Any]) -> None:
        for r in data["crawls"]:
            console.print(
                f"{r['crawl_id']}  {r['status']:<9} {r['pages']:>5} pages {r['images']:>6} images  {r['url']}",
                highlight=False,
            )

    emit({"crawls": rows}, as_json, human)


@crawls_app.command("show")
def show_crawl(crawl_id: str, as_json: bool = typer.Option(False, "--json")) -> None:
    """One crawl: status, counts and its recorded errors."""
    runtime, registry = _registry()
    try:
        row = registry.get(check_crawl_id(crawl_id))
    finally:
        runtime.close()

    def human(r: dict[str, Any]) -> None:
        console.print(
            f"{r['crawl_id']} {r['status']}: {r['pages']} pages, {r['images']} images, "
            f"{r['error_count']} errors - {r['url']}",
            highlight=False,
        )
        for e in r["errors"]:
            console.print(
                f"  {e['stage']} {e['kind']}: {e['url']} - {e['error']}", highlight=False, markup=False
            )

    emit(row, as_json, human)


@crawls_app.command("delete")
def delete_crawl(crawl_id: str, as_json: bool = typer.Option(False, "--json")) -> None:
    """Delete a crawl: its images in the store, its state and thumbnails no other crawl uses."""
    runtime, registry = _registry()
    try:
        result = registry.delete(check_crawl_id(crawl_id))
    finally:
        runtime.close()
    emit(result, as_json, lambda r: console.print(f"deleted {r['crawl_id']} ({r['records']} images)"))


__all__ = ["crawl", "crawls_app"]
