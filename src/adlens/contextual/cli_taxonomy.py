"""``adlens taxonomy list|show|search|map|install``: browse the shipped ad taxonomies."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import typer

from adlens.cli.output import console, emit
from adlens.contextual.taxonomy import DEFAULT_VERSION, list_taxonomies, load_taxonomy, user_taxonomy_dir
from adlens.errors import InvalidInput

__all__ = ["app"]

app = typer.Typer(
    help="Ad taxonomies: IAB Content 3.1/3.0/2.2, Ad Product 2.0, Google, Meta.", no_args_is_help=True
)

JSON = typer.Option(False, "--json", help="Print one JSON document.")


@app.command("list")
def list_cmd(json_: bool = JSON) -> None:
    """List the known taxonomy versions."""
    rows = list_taxonomies()

    def human(data: list[dict[str, Any]]) -> None:
        from rich.table import Table

        table = Table("version", "name", "nodes", "tier-1", "segtax", "licence")
        for r in data:
            mark = " (default)" if r["default"] else ""
            nodes = str(r["nodes"]) if r["available"] else "[dim]not installed[/]"
            table.add_row(
                r["version"] + mark, r["name"], nodes, str(r["tier1"]), str(r["segtax"] or ""), r["licence"]
            )
        console.print(table)

    emit(rows, json_, human)


@app.command("show")
def show_cmd(
    version: str = typer.Argument(DEFAULT_VERSION, help="Taxonomy version (see `adlens taxonomy list`)."),
    node_id: str | None = typer.Argument(None, help="A node ID: show its path, ancestors and children."),
    json_: bool = JSON,
) -> None:
    """Show a taxonomy's tier-1 nodes, or one node."""
    tax = load_taxonomy(version)
    data = tax.detail(node_id) if node_id is not None else tax.summary()

    def human(d: dict[str, Any]) -> None:
        if node_id is None:
            console.print(f"[bold]{d['name']}[/] ({d['version']}): {d['nodes']} nodes, {d['tier1']} tier-1")
            for r in d["roots"]:
                console.print(
                    f"  {r['id']:>8}  {r['name']}  [dim]({r['children']} children)[/]", highlight=False
                )
        else:
            console.print(f"[bold]{d['full_path']}[/]  id {d['id']}, tier {d['tier']}", highlight=False)
            for c in d["children"]:
                console.print(f"  {c['id']:>8}  {c['name']}", highlight=False)

    emit(data, json_, human)


@app.command("search")
def search_cmd(
    version: str = typer.Argument(..., help="Taxonomy version."),
    query: str = typer.Argument(..., help="Words to look for (name, path or meaning)."),
    k: int = typer.Option(10, "--k", "-k", help="Number of results (1-200)."),
    lexical: bool = typer.Option(False, "--lexical", help="Name/path matches only (no embedding model)."),
    json_: bool = JSON,
) -> None:
    """Search a taxonomy by name and by meaning."""
    from adlens.contextual.nodes import search_nodes

    tax = load_taxonomy(version)
    if lexical:
        hits = search_nodes(tax, query, k=k)
    else:
        from adlens.config import get_settings
        from adlens.runtime import Runtime

        runtime = Runtime(get_settings())
        try:
            hits = search_nodes(
                tax, query, embedder=runtime.text_embedder, cache_dir=runtime.settings.cache_dir, k=k
            )
        finally:
            runtime.close()

    def human(rows: list[dict[str, Any]]) -> None:
        for h in rows:
            console.print(
                f"{h['score']:.3f}  {h['id']:>8}  {' > '.join(h['path'])}  [dim]{h['match']}[/]",
                highlight=False,
            )

    emit(hits, json_, human)


@app.command("map")
def map_cmd(
    node_id: str = typer.Argument(..., help="Node ID in the source version (IAB1-1 style for 1.0)."),
    source: str = typer.Option(..., "--from", help="iab-1.0, iab-2.2, iab-3.0 or iab-3.1."),
    target: str = typer.Option(DEFAULT_VERSION, "--to", help="iab-2.2, iab-3.0 or iab-3.1."),
    json_: bool = JSON,
) -> None:
    """Map a node between IAB Content Taxonomy versions."""
    from adlens.contextual.mappings import map_node

    ids = map_node(node_id, source, target)
    tax = load_taxonomy(target)
    data = {"source": source, "target": target, "id": node_id, "mapped": [tax.get(i).to_dict() for i in ids]}

    def human(d: dict[str, Any]) -> None:
        if not d["mapped"]:
            console.print(f"{node_id}: no equivalent in {target}")
        for m in d["mapped"]:
            console.print(f"{node_id} → {m['id']}  {' > '.join(m['path'])}", highlight=False)

    emit(data, json_, human)


@app.command("install")
def install_cmd(
    version: str = typer.Argument(..., help="Only google-product can be installed."),
    file: Path = typer.Argument(..., help="Google's taxonomy-with-ids.en-US.txt."),
    json_: bool = JSON,
) -> None:
    """Install a taxonomy that adlens does not redistribute (Google product taxonomy)."""
    from adlens.contextual.taxonomy_lists import GOOGLE_PRODUCT_FILE, parse_google_product

    if version != "google-product":
        raise InvalidInput(f"only google-product can be installed, not {version!r}")
    if not file.is_file():
        raise InvalidInput(f"no such file: {file}")
    try:
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InvalidInput(f"{file} is not UTF-8 text") from None
    nodes = parse_google_product(text)  # validates before anything is written
    dest_dir = user_taxonomy_dir()
    dest_dir.mkdir(parents=True, exist_ok=True)
    tmp = dest_dir / (GOOGLE_PRODUCT_FILE + ".tmp")
    shutil.copyfile(file, tmp)
    tmp.replace(dest_dir / GOOGLE_PRODUCT_FILE)
    emit(
        {"version": version, "nodes": len(nodes), "path": str(dest_dir / GOOGLE_PRODUCT_FILE)},
        json_,
        lambda d: console.print(f"installed {d['version']}: {d['nodes']} categories → {d['path']}"),
    )
