"""``adlens images …``: search crawled images (``search``, ``similar``) and manage crawls (``crawls``);
``adlens crawl URL`` is contributed as a top-level command (see :mod:`adlens.images.cli_crawl`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from adlens.cli.output import console, emit
from adlens.config import get_settings
from adlens.errors import InvalidInput, NotFound
from adlens.images import cli_crawl
from adlens.images.api_crawls import check_crawl_id
from adlens.images.crawl import CrawlRegistry
from adlens.images.schema import ensure_collection
from adlens.images.search import MAX_K, ImageSearch
from adlens.runtime import Runtime

app = typer.Typer(help="Site image crawl and natural-language image search.", no_args_is_help=True)
app.add_typer(cli_crawl.crawls_app, name="crawls")
commands = {"crawl": cli_crawl.crawl}

CRAWL = typer.Option(None, "--crawl", help="Crawl id to search (all crawls when omitted).")
K = typer.Option(10, "--k", help=f"How many results (1-{MAX_K}).")
JSON = typer.Option(False, "--json", help="Print one JSON document.")


def _human(doc: dict[str, Any]) -> None:
    from rich.table import Table

    parsed = doc.get("parsed")
    if parsed:
        chips = ", ".join(parsed.get("chips", [])) or "none"
        console.print(f"[bold]semantic:[/] {parsed['semantic'] or '-'}   [bold]filters:[/] {chips}")
    if not doc["results"]:
        console.print("[dim]no image matches[/]")
        return
    table = Table("score", "image", "page", "alt", "why")
    for r in doc["results"]:
        why = r.get("why", {})
        reason = ", ".join(why.get("matched_terms", [])) or why.get("relevance") or why.get("field", "")
        table.add_row(
            f"{r['score']:.3f}", str(r["image_url"]), str(r.get("page_url") or ""), r.get("alt") or "", reason
        )
    console.print(table)


def _check(runtime: Runtime, crawl: str | None) -> str | None:
    if crawl is not None:
        CrawlRegistry(runtime).get(check_crawl_id(crawl))
    return crawl


def _public(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    keys = (
        "id",
        "crawl_id",
        "image_url",
        "page_url",
        "thumb_url",
        "alt",
        "score",
        "why",
        "format",
        "width",
        "height",
    )
    return [{k: r.get(k) for k in keys} for r in results]


@app.command("search")
def search(
    query: str = typer.Argument(..., help='What to find, e.g. "PNG images of Apple Watch without people".'),
    crawl: str | None = CRAWL,
    k: int = K,
    parser: str = typer.Option("rules", "--parser", help="rules (default) or llm."),
    as_json: bool = JSON,
) -> None:
    """Find images by describing them; prints results with why each matched."""
    if not 1 <= k <= MAX_K:
        raise InvalidInput(f"--k must be between 1 and {MAX_K}")
    runtime = Runtime(get_settings())
    try:
        crawl_id = _check(runtime, crawl)
        ensure_collection(runtime.store)
        resp = ImageSearch.from_runtime(runtime).search(query, crawl_id=crawl_id, k=k, parser=parser)
    finally:
        runtime.close()
    doc = resp.to_dict()
    emit({"parsed": doc["parsed"], "results": _public(doc["results"])}, as_json, _human)


@app.command("similar")
def similar(
    image_id: str | None = typer.Option(None, "--id", help="A result id (from search) in --crawl."),
    image: Path | None = typer.Option(None, "--image", help="An image file to match."),
    crawl: str | None = CRAWL,
    k: int = K,
    as_json: bool = JSON,
) -> None:
    """Images that look like a result (--id with --crawl) or like an image file (--image)."""
    if (image_id is None) == (image is None):
        raise InvalidInput("give exactly one of --id or --image")
    if not 1 <= k <= MAX_K:
        raise InvalidInput(f"--k must be between 1 and {MAX_K}")
    data: bytes | None = None
    if image is not None:
        if not image.is_file():
            raise NotFound(f"no such file: {image}")
        settings = get_settings()
        if image.stat().st_size > settings.max_upload_bytes:
            raise InvalidInput(f"{image} is larger than {settings.max_upload_bytes:,} bytes")
        data = image.read_bytes()
    runtime = Runtime(get_settings())
    try:
        crawl_id = _check(runtime, crawl)
        ensure_collection(runtime.store)
        results = ImageSearch.from_runtime(runtime).similar(crawl_id=crawl_id, id=image_id, image=data, k=k)
    finally:
        runtime.close()
    emit({"results": _public(results)}, as_json, _human)


__all__ = ["app", "commands"]
