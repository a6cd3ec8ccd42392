"""``adlens recommend``: train, serve (``for``, ``similar``, ``add-item``, ``history``), evaluate.

Every command takes ``--json`` (exactly one JSON document on stdout); bad input prints one
``error: ...`` line and exits 2.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer

from adlens.cli.output import console, emit
from adlens.cli.progress import cli_job
from adlens.config import get_settings
from adlens.errors import InvalidInput
from adlens.recommend.benchmark import COLUMNS, PROTOCOLS, run_benchmark

app = typer.Typer(help="Two-tower recommendation: train, recommend, evaluate.", no_args_is_help=True)


@contextmanager
def _service() -> Iterator[Any]:
    from adlens.recommend.service import RecommendService
    from adlens.runtime import Runtime

    runtime = Runtime(get_settings())
    try:
        yield RecommendService(runtime)
    finally:
        runtime.close()


def _filters(text: str | None) -> dict[str, Any] | None:
    if not text:
        return None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"--filter is not valid JSON: {exc.msg}") from None
    if not isinstance(value, dict):
        raise InvalidInput('--filter must be a JSON object, e.g. \'{"genres": {"$contains": "Drama"}}\'')
    return value


def _human_items(doc: dict[str, Any]) -> None:
    from rich.table import Table

    head = f"model {doc['model']}"
    if "strategy" in doc:
        head += f" · strategy {doc['strategy']}" + (f" ({doc['note']})" if doc.get("note") else "")
    table = Table("#", "item", "title", "genres", "year", "score", "because you liked", title=head)
    for n, it in enumerate(doc["items"], 1):
        because = ", ".join(b["title"] or b["item_id"] for b in it.get("because", []))
        table.add_row(
            str(n),
            it["item_id"],
            it["title"] or "",
            ", ".join(it["genres"]),
            str(it["year"] or ""),
            f"{it['score']:.3f}",
            because,
        )
    console.print(table)


@app.command("train")
def train_cmd(
    config: Path = typer.Option(None, "--config", help="Two-tower YAML config (default: the packaged one)."),
    data: Path = typer.Option(None, "--data", help="Catalogue folder (own format or MovieLens-100k format)."),
    synthetic_items: int = typer.Option(
        0, "--synthetic-items", help="Train on a generated catalogue of N items."
    ),
    max_epochs: int = typer.Option(0, "--max-epochs", help="Override the config's max_epochs."),
    json_: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Train a two-tower model, save it as a new version (config + metrics) and index its items."""
    from adlens.recommend.training import run_training

    params: dict[str, Any] = {}
    if config is not None:
        params["config"] = str(config)
    if data is not None:
        params["data"] = str(data)
    if synthetic_items:
        params["synthetic"] = {"n_items": synthetic_items}
    if max_epochs:
        params["overrides"] = {"max_epochs": max_epochs}
    with _service() as svc, cli_job("training two-tower model", quiet=json_) as ctx:
        result = run_training(svc, ctx, params)
    emit(
        result,
        json_,
        lambda d: console.print(
            f"model {d['model']} on {d['dataset']} ({d['n_users']} users, {d['n_items']} items): "
            f"valid nDCG@10 {d['metrics'].get('valid_ndcg@10', 0):.4f}, HR@10 {d['metrics'].get('valid_hit@10', 0):.4f}, "
            f"{d['epochs']} epochs in {d['fit_s']:.1f} s; indexed in {d['collection']}"
        ),
    )


@app.command("for")
def for_cmd(
    user: str = typer.Argument(..., help="User id."),
    k: int = typer.Option(10, "--k", help="How many items (1..500)."),
    include_seen: bool = typer.Option(
        False, "--include-seen", help="Also recommend items the user has seen."
    ),
    filter_: str = typer.Option(
        None, "--filter", help='Metadata filter as JSON, e.g. \'{"year": {"$gte": 2000}}\'.'
    ),
    context: list[str] = typer.Option(None, "--context", help="Recent context item ids (repeatable)."),
    model: int = typer.Option(None, "--model", help="Model version (default: latest)."),
    json_: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Recommend items for USER (with the nearest history items as the reason)."""
    with _service() as svc:
        doc = svc.recommend_for(
            user,
            k,
            exclude_seen=not include_seen,
            filters=_filters(filter_),
            context_items=context or None,
            version=model,
        )
    emit(doc, json_, _human_items)


@app.command("similar")
def similar_cmd(
    item: str = typer.Argument(..., help="Item id."),
    k: int = typer.Option(10, "--k", help="How many items (1..500)."),
    filter_: str = typer.Option(None, "--filter", help="Metadata filter as JSON."),
    model: int = typer.Option(None, "--model", help="Model version (default: latest)."),
    json_: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Items nearest to ITEM in the item-tower space."""
    with _service() as svc:
        doc = svc.similar_items(item, k, filters=_filters(filter_), version=model)
    emit(doc, json_, _human_items)


@app.command("add-item")
def add_item_cmd(
    item: str = typer.Argument(..., help="New item id."),
    title: str = typer.Option(..., "--title"),
    description: str = typer.Option("", "--description"),
    genre: list[str] = typer.Option(None, "--genre", help="Genre (repeatable)."),
    year: int = typer.Option(None, "--year"),
    model: int = typer.Option(None, "--model", help="Model version (default: latest)."),
    json_: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Add a cold-start item (content only) to the index through the content tower."""
    with _service() as svc:
        doc = svc.add_item(item, title, description=description, genres=genre or (), year=year, version=model)
    emit(doc, json_, lambda d: console.print(f"added {d['item_id']} to model {d['model']} (cold start)"))


@app.command("history")
def history_cmd(
    user: str = typer.Argument(..., help="User id."),
    limit: int = typer.Option(20, "--limit"),
    json_: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """A user's interactions, most recent first."""
    with _service() as svc:
        doc = svc.user_history(user, limit=limit)

    def human(d: dict[str, Any]) -> None:
        for it in d["items"]:
            console.print(f"{it['item_id']}  {it['title']}")

    emit(doc, json_, human)


@app.command("models")
def models_cmd(json_: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Trained model versions with their config and validation metrics."""
    with _service() as svc:
        doc = svc.models()

    def human(d: dict[str, Any]) -> None:
        for m in d["models"]:
            met = m.get("metrics", {})
            console.print(
                f"{m['name']}  {m.get('dataset')}  {m.get('n_items')} items  "
                f"valid nDCG@10 {met.get('valid_ndcg@10', float('nan')):.4f}  indexed={m['indexed']}"
            )

    emit(doc, json_, human)


def _human_eval(doc: dict[str, Any]) -> None:
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
    protocol: str = typer.Option(
        "both",
        help="msr (item-stratified, as published), msr_user (user-stratified), recbole, or both (all three).",
    ),
    quick: bool = typer.Option(False, "--quick", help="Tiny grids and few epochs (a smoke run)."),
    json_: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Tune on validation, then score popularity, ItemKNN, BPR-MF and the two-tower model on test.

    The table is also stored (``GET /api/v1/recommend/eval`` and the web page show it)."""
    protocols = PROTOCOLS if protocol == "both" else (protocol,)
    if protocol != "both" and protocol not in PROTOCOLS:
        raise InvalidInput(f"unknown protocol {protocol!r}: use {', '.join(PROTOCOLS)} or both")
    cache_dir = get_settings().cache_dir / "recommend"
    with cli_job("evaluating recommenders", quiet=json_) as ctx:
        results = run_benchmark(data, protocols, cache_dir=cache_dir, quick=quick, log=ctx.log)
    doc = {
        "dataset": Path(data).name,
        "source": "adlens recommend eval" + (" --quick" if quick else ""),
        "protocols": {
            r.protocol: {"rows": r.rows, "published": r.published, "validation_variants": r.variants}
            for r in results
        },
    }
    with _service() as svc:
        svc.save_eval(doc)
    emit(doc, json_, _human_eval)


__all__ = ["app"]
