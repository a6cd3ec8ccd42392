"""``adlens analyze URL`` and ``adlens contextual analyze|batch …`` (plus ``adlens taxonomy …``)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import typer

from adlens.cli.output import console, emit
from adlens.errors import InvalidInput

__all__ = ["analyze", "app", "batch", "commands", "groups"]

app = typer.Typer(help="Contextual targeting: URL → categories, brand safety, OpenRTB", no_args_is_help=True)

JSON = typer.Option(False, "--json", help="Print one JSON document.")
RENDER = typer.Option(False, "--render", help="Render the page with Chromium (default: only when needed).")
TAXONOMY = typer.Option("iab-3.1", "--taxonomy", "-t", help="Taxonomy version (adlens taxonomy list).")
TOP_K = typer.Option(10, "--top-k", "-k", min=1, max=50, help="Number of categories.")
NO_CACHE = typer.Option(False, "--no-cache", help="Analyse again even if a cached result exists.")


def _human_analysis(result: dict[str, Any]) -> None:
    from rich.table import Table

    doc = result["document"]
    console.print(
        f"[bold]{doc.get('title') or result['final_url']}[/]  ({result['final_url']})", highlight=False
    )
    console.print(
        f"language {doc.get('language')} · {doc.get('text_chars')} characters"
        + (" (capped)" if doc.get("truncated") else "")
        + f" · {len(doc.get('images') or [])} image(s) · taxonomy {result['taxonomy']}",
        highlight=False,
    )
    table = Table("confidence", "id", "category", "evidence", title="categories")
    for cat in result["categories"]:
        phrases = ", ".join((cat.get("evidence") or {}).get("phrases", [])[:3])
        table.add_row(f"{cat['confidence']:.2f}", str(cat["id"]), " > ".join(cat["path"]), phrases)
    console.print(table)
    safety = result["brand_safety"]
    flags = [f for f in safety.get("flags", []) if f.get("risk") not in (None, "none")]
    console.print(
        f"brand safety: [bold]{safety.get('risk_level')}[/]"
        + (" — " + ", ".join(f"{f['category']} ({f['risk']})" for f in flags) if flags else ""),
    )
    if result.get("keywords"):
        console.print("keywords: " + ", ".join(result["keywords"][:12]), highlight=False)
    console.print(f"OpenRTB segments (segtax {result.get('segtax')}): {', '.join(result['segments']) or '—'}")
    for note in result.get("notes") or []:
        console.print(f"[yellow]note:[/] {note}", highlight=False)


def analyze(
    url: str = typer.Argument(..., help="http(s) URL of the page."),
    render: bool = RENDER,
    taxonomy: str = TAXONOMY,
    top_k: int = TOP_K,
    no_cache: bool = NO_CACHE,
    json_: bool = JSON,
) -> None:
    """Analyse one page: categories with calibrated confidence, keywords, brand safety, OpenRTB segments."""
    from adlens.config import get_settings
    from adlens.contextual.analyze import analyze_url
    from adlens.runtime import Runtime

    runtime = Runtime(get_settings())
    try:
        if json_:
            result = analyze_url(
                runtime, url, render=render, taxonomy=taxonomy, top_k=top_k, use_cache=not no_cache
            )
        else:
            with console.status("analysing…") as status:
                result = analyze_url(
                    runtime,
                    url,
                    render=render,
                    taxonomy=taxonomy,
                    top_k=top_k,
                    use_cache=not no_cache,
                    progress=lambda step: status.update(step),
                )
    finally:
        runtime.close()
    emit(result, json_, _human_analysis)


app.command("analyze")(analyze)


def _read_urls(urls: list[str], file: Path | None) -> list[str]:
    out = list(urls)
    if file is not None:
        try:
            text = sys.stdin.read() if str(file) == "-" else file.read_text(encoding="utf-8")
        except OSError as exc:
            raise InvalidInput(f"cannot read {file}: {exc.strerror}") from None
        out += [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]
    if not out:
        raise InvalidInput("give URLs as arguments or with --file (one per line)")
    return out


@app.command()
def batch(
    urls: list[str] = typer.Argument(None, help="URLs to analyse."),
    file: Path = typer.Option(None, "--file", "-f", help="File with one URL per line ('-' for stdin)."),
    render: bool = RENDER,
    taxonomy: str = TAXONOMY,
    top_k: int = TOP_K,
    concurrency: int = typer.Option(4, "--concurrency", "-c", min=1, max=16, help="Analyses at once."),
    no_cache: bool = NO_CACHE,
    json_: bool = JSON,
) -> None:
    """Analyse many pages (failures are reported per URL; the batch goes on). Fills the bid-time cache."""
    from adlens.cli.progress import cli_job
    from adlens.config import get_settings
    from adlens.contextual.batch import run_batch
    from adlens.runtime import Runtime

    params = {
        "urls": _read_urls(urls or [], file),
        "render": render,
        "taxonomy": taxonomy,
        "top_k": top_k,
        "concurrency": concurrency,
        "use_cache": not no_cache,
    }
    runtime = Runtime(get_settings())
    try:
        with cli_job("analysing", quiet=json_) as ctx:
            result = run_batch(runtime, ctx, params)
    finally:
        runtime.close()

    def human(data: dict[str, Any]) -> None:
        from rich.table import Table

        table = Table("status", "url", "top category", "confidence / error", title="batch")
        for item in data["items"]:
            if item["status"] == "ok":
                conf = item.get("confidence")
                table.add_row("[green]ok[/]", item["url"], str(item.get("top_category")), f"{conf or 0:.2f}")
            else:
                table.add_row(f"[red]{item['status']}[/]", item["url"], "", str(item.get("error", "")))
        console.print(table)
        console.print(f"{data['ok']} analysed, {data['failed']} failed")

    emit(result, json_, human)
    if result["failed"] and not result["ok"]:
        raise typer.Exit(1)


commands = {"analyze": analyze}

try:
    from adlens.contextual.cli_taxonomy import app as _taxonomy_app

    groups = {"taxonomy": _taxonomy_app}
except ImportError:  # pragma: no cover - only while the module is missing
    groups = {}
