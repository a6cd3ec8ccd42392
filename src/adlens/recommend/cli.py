"""``adlens recommend``: evaluate the recommenders under published protocols.

Serving commands (``for``, ``similar``) and ``train --config`` come with the store-backed serving layer.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from adlens.cli.output import console, emit
from adlens.cli.progress import cli_job
from adlens.config import get_settings
from adlens.errors import InvalidInput
from adlens.recommend.benchmark import COLUMNS, PROTOCOLS, run_benchmark

app = typer.Typer(help="Two-tower recommendation: training and evaluation.", no_args_is_help=True)


def _human(doc: dict[str, Any]) -> None:
    from rich.table import Table

    for protocol, result in doc["protocols"].items():
        table = Table("model", *(label for label, _ in COLUMNS), "train s", title=f"protocol: {protocol}")
        for row in result["rows"]:
            cells = [f"{row[key]:.4f}" if row.get(key) is not None else "" for _, key in COLUMNS]
            table.add_row(row["model"], *cells, f"{row['train_s']:.1f}")
        for name, published in result["published"].items():
            cells = [f"{published[key]:.4f}" if key in published else "" for _, key in COLUMNS]
            table.add_row(f"[dim]published {name}[/]", *cells, "")
        console.print(table)


@app.command("eval")
def evaluate_cmd(
    data: Path = typer.Option(
        ..., "--data", help="Folder with MovieLens-100k-format files (u.data, u.item, u.user, u.genre)."
    ),
    protocol: str = typer.Option("both", help="msr, recbole or both."),
    quick: bool = typer.Option(False, "--quick", help="Tiny grids and few epochs (a smoke run)."),
    json_: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Tune on validation, then score popularity, ItemKNN, BPR-MF and the two-tower model on test."""
    protocols = PROTOCOLS if protocol == "both" else (protocol,)
    if protocol != "both" and protocol not in PROTOCOLS:
        raise InvalidInput(f"unknown protocol {protocol!r}: use msr, recbole or both")
    cache_dir = get_settings().cache_dir / "recommend"
    with cli_job("evaluating recommenders", quiet=json_) as ctx:
        results = run_benchmark(data, protocols, cache_dir=cache_dir, quick=quick, log=ctx.log)
    doc = {
        "protocols": {
            r.protocol: {"rows": r.rows, "published": r.published, "validation_variants": r.variants}
            for r in results
        }
    }
    emit(doc, json_, _human)
