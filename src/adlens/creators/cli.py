"""``adlens creators …``: import profiles, search them, show one, seed the demo."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from adlens.cli.output import console, emit
from adlens.config import get_settings
from adlens.errors import InvalidInput

__all__ = ["app"]

app = typer.Typer(
    help="Creator discovery: import profiles, search by text, photo or both", no_args_is_help=True
)
JSON = typer.Option(False, "--json", help="Print one JSON document.")


def _runtime() -> Any:
    from adlens.runtime import Runtime

    return Runtime(get_settings())


def _import_human(r: dict[str, Any]) -> None:
    console.print(
        f"imported {r['imported']}, updated {r['updated']}, rejected {r['rejected']} (of {r['rows']} rows; {r['photos']} photos)"
    )
    for rej in r["rejected_rows"][:20]:
        console.print(f"  row {rej['row']} ({rej['handle']}): {'; '.join(rej['reasons'])}")
    if len(r["rejected_rows"]) > 20:
        console.print(f"  … {len(r['rejected_rows']) - 20} more rejected rows (use --json)")
    for pe in r["photo_errors"][:10]:
        console.print(f"  photo of {pe['handle']} ({pe['source']}): {pe['reason']}")


@app.command("import")
def import_(
    source: str = typer.Argument(
        ..., help="CSV/XLSX/JSON/SQLite file, or a SQL URL (postgresql://…, sqlite:///…)."
    ),
    table: str | None = typer.Option(None, "--table", help="Table to read from a database."),
    mapping: Path | None = typer.Option(
        None, "--mapping", help="YAML column mapping (see docs/creators.md)."
    ),
    platform: str = typer.Option("instagram", "--platform", help="Platform for rows without one."),
    json_: bool = JSON,
) -> None:
    """Import creator profiles (upsert by platform + handle) and print the report."""
    from adlens.cli.progress import cli_job
    from adlens.creators.ingest import import_table
    from adlens.creators.mapping import load_mapping_file
    from adlens.creators.sources import is_sql_url, read_path

    cols = load_mapping_file(mapping) if mapping is not None else None
    rt = _runtime()
    try:
        tbl = read_path(source, table=table, max_bytes=None if is_sql_url(source) else 2 * 1024**3)
        base = None if is_sql_url(source) else Path(source).resolve().parent
        with cli_job("importing creators", quiet=json_) as ctx:
            result = import_table(
                rt,
                tbl,
                cols,
                platform=platform,
                allow_local_images=True,
                base_dir=base,
                progress=ctx.progress,
            )
    finally:
        rt.close()
    emit(result, json_, human=_import_human)


def _search_human(r: dict[str, Any]) -> None:
    from rich.table import Table

    console.print(
        f"{r['matches']} creators match {r['filters'] or 'no filters'}; semantic part: “{r['semantic']}”"
    )
    t = Table("#", "creator", "followers", "eng.", "quality", "score", "why")
    for x in r["results"]:
        q = x.get("audience_quality") or {}
        er = x.get("engagement_rate")
        t.add_row(
            str(x["rank"]),
            f"{x['platform']}:{x['handle']}",
            f"{x['followers']:,}",
            f"{er:.2%}" if er is not None else "",
            f"{q.get('score', '')}",
            f"{x['score']:.3f}",
            "; ".join(x["reasons"])[:90],
        )
    console.print(t)
    if r.get("next_cursor"):
        console.print(f"more: --cursor {r['next_cursor']}")


@app.command("search")
def search(
    query: str = typer.Argument("", help='e.g. "fitness creators in the US with over 50K followers"'),
    image: Path | None = typer.Option(None, "--image", help="Reference photo (image → image / hybrid)."),
    min_followers: int | None = typer.Option(None, "--min-followers", min=0),
    max_followers: int | None = typer.Option(None, "--max-followers", min=0),
    min_engagement: float | None = typer.Option(None, "--min-engagement", help="Fraction, e.g. 0.03 = 3 %."),
    country: list[str] = typer.Option([], "--country"),
    category: list[str] = typer.Option([], "--category"),
    platform: list[str] = typer.Option([], "--platform"),
    language: list[str] = typer.Option([], "--language"),
    location: str | None = typer.Option(None, "--location"),
    mode: str = typer.Option("auto", "--mode", help="auto | text | text_image | image | hybrid"),
    k: int = typer.Option(10, "--k", min=1, max=100),
    cursor: str | None = typer.Option(None, "--cursor"),
    json_: bool = JSON,
) -> None:
    """Search stored creators; filters in the query text are understood too."""
    from pydantic import ValidationError

    from adlens.creators.filters import CreatorFilters
    from adlens.creators.search import search_creators

    try:
        filters = CreatorFilters(
            min_followers=min_followers,
            max_followers=max_followers,
            min_engagement=min_engagement,
            country=country,
            category=category,
            platform=platform,
            language=language,
            location=location,
        )
    except ValidationError as e:
        raise InvalidInput(f"bad filter: {e.errors()[0]['loc'][0]}: {e.errors()[0]['msg']}") from None
    data = None
    if image is not None:
        if not image.is_file():
            raise InvalidInput(f"image not found: {image}")
        if image.stat().st_size > get_settings().max_upload_bytes:
            raise InvalidInput(f"image larger than {get_settings().max_upload_bytes:,} bytes")
        data = image.read_bytes()
    rt = _runtime()
    try:
        result = search_creators(rt, query, filters=filters, image=data, k=k, cursor=cursor, mode=mode)
    finally:
        rt.close()
    emit(result, json_, human=_search_human)


@app.command("show")
def show(creator_id: str = typer.Argument(..., help="platform:handle"), json_: bool = JSON) -> None:
    """Show one stored creator."""
    from adlens.creators.search import get_creator

    rt = _runtime()
    try:
        result = get_creator(rt, creator_id)
    finally:
        rt.close()
    emit(result, json_)


@app.command("demo")
def demo(json_: bool = JSON) -> None:
    """Generate and import the demo creators (synthetic profiles with drawn avatars)."""
    from adlens.creators.demo import seed

    rt = _runtime()
    try:
        result = seed(rt)
    finally:
        rt.close()
    emit(result, json_)
