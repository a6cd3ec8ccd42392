"""``adlens jobs``: list, show, cancel and watch background jobs of the server's runner."""

from __future__ import annotations

import asyncio
from typing import Any

import typer

from adlens.cli.output import console, emit, to_jsonable
from adlens.config import get_settings

app = typer.Typer(help="Background jobs (crawls, batch analyses, imports, training).", no_args_is_help=True)


def _runner() -> Any:
    from adlens.jobs import LocalJobRunner

    # Reading, cancelling and watching work across processes without starting workers.
    return LocalJobRunner.from_settings(get_settings())


def _table(jobs: list[dict[str, Any]]) -> None:
    from rich.table import Table

    table = Table("id", "kind", "state", "progress", "message")
    for j in jobs:
        progress = f"{j.get('done')}/{j.get('total')}" if j.get("total") else ""
        table.add_row(j["id"], j["kind"], j["state"], progress, j.get("message") or j.get("error") or "")
    console.print(table)


@app.command("list")
def list_jobs(
    kind: str | None = typer.Option(None, help="Only this kind."),
    state: str | None = typer.Option(None, help="Only this state."),
    limit: int = typer.Option(20, min=1, max=500),
    json_: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """List recent jobs."""
    jobs = to_jsonable(_runner().list(kind=kind, state=state, limit=limit))
    emit({"jobs": jobs}, json_, lambda d: _table(d["jobs"]))


@app.command()
def show(job_id: str, json_: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Show one job."""
    emit(_runner().get(job_id), json_)


@app.command()
def cancel(job_id: str, json_: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Ask a job to stop; what it stored stays stored."""
    emit(_runner().cancel(job_id), json_)


@app.command()
def watch(
    job_id: str, json_: bool = typer.Option(False, "--json", help="Print events as JSON lines.")
) -> None:
    """Follow a job's events until it ends."""
    runner = _runner()
    runner.get(job_id)

    async def follow() -> None:
        async for event in runner.stream(job_id):
            doc = to_jsonable(event)
            if json_:
                from adlens.cli.output import dumps

                print(dumps(doc).decode(), flush=True)
            else:
                console.print(f"[dim]{doc['seq']:>4}[/] {doc['type']:<8} {doc['data']}", highlight=False)

    asyncio.run(follow())
    final = runner.get(job_id)
    if str(final.state) != "done":
        raise typer.Exit(1)
