"""The ``adlens`` command line. Thin: parse, call one service, print (``--json`` for scripts)."""

from __future__ import annotations

import importlib
import os
import sys
import time
from typing import Any

import typer
import typer.main
from typer.core import TyperGroup

from adlens import __version__
from adlens.apps import APPS
from adlens.cli.output import console, emit, err_console
from adlens.config import get_settings, reset_settings
from adlens.errors import AdlensError


class _AppsGroup(TyperGroup):
    """The root group: applications' commands are imported only when used (``adlens version`` stays
    fast although some applications import PyTorch). ``adlens --help`` imports them all to list them."""

    def list_commands(self, ctx: Any) -> list[str]:
        names = list(super().list_commands(ctx))
        return names + [n for n in _lazy_commands() if n not in names]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        command = super().get_command(ctx, cmd_name)
        if command is None and cmd_name in _lazy_commands():
            command = _load_app_command(cmd_name)
        return command


def _lazy_commands() -> dict[str, Any]:
    """Command name → the application that provides it (its sub-app or a declared extra)."""
    names: dict[str, Any] = {}
    for info in APPS:
        if info.has_cli:
            for name in (info.name, *info.cli_extra):
                names[name] = info
    return names


def _load_app_command(name: str) -> Any:
    info = _lazy_commands()[name]
    try:
        module = importlib.import_module(f"adlens.{info.name}.cli")
    except ImportError as exc:  # an application that fails to import must not break the CLI
        err_console.print(f"warning: {info.name} commands unavailable: {exc}")
        return None
    if name == info.name:
        command = typer.main.get_command(module.app)
        command.help = command.help or info.summary
    elif name in getattr(module, "groups", {}):
        command = typer.main.get_command(module.groups[name])
    elif name in getattr(module, "commands", {}):
        single = typer.Typer()
        single.command(name)(module.commands[name])
        command = typer.main.get_command(single)
    else:
        return None
    command.name = name
    return command


app = typer.Typer(
    cls=_AppsGroup,
    name="adlens",
    help="Self-hosted multimodal ad intelligence.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.command()
def version(json_: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Print the adlens version."""
    emit({"version": __version__}, json_, lambda d: console.print(f"adlens {d['version']}"))


@app.command()
def config(json_: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Print the effective settings (secrets masked)."""
    settings = get_settings()

    def human(data: dict[str, Any]) -> None:
        from rich.table import Table

        table = Table("setting", "value", "env var", title="adlens settings")
        for key, value in data.items():
            table.add_row(key, "" if value is None else str(value), f"ADLENS_{key.upper()}")
        console.print(table)

    emit(settings.masked(), json_, human)


@app.command()
def doctor(
    json_: bool = typer.Option(False, "--json", help="Print JSON."),
    skip_llm: bool = typer.Option(False, "--skip-llm", help="Do not load the language model."),
) -> None:
    """Load every model, open the store and cache, drive Chromium; exit 0 only if the defaults work."""
    from adlens.api.routes.health import _versions
    from adlens.doctor import run_checks
    from adlens.runtime import Runtime

    runtime = Runtime(get_settings())
    try:
        if json_:
            checks = run_checks(runtime, include_llm=not skip_llm)
        else:
            with console.status("running checks…"):
                checks = run_checks(runtime, include_llm=not skip_llm)
    finally:
        runtime.close()
    ok = all(c["ok"] for c in checks if c["required"])
    result = {"ok": ok, "checks": checks, "versions": _versions()}

    def human(data: dict[str, Any]) -> None:
        from rich.table import Table

        table = Table("check", "result", "seconds", "detail", title="adlens doctor")
        for c in data["checks"]:
            mark = "[green]ok[/]" if c["ok"] else ("[red]FAIL[/]" if c["required"] else "[yellow]absent[/]")
            table.add_row(c["name"], mark, f"{c['seconds']:.2f}", str(c["detail"]))
        console.print(table)
        console.print(
            "[green]all required checks passed[/]" if data["ok"] else "[red]required checks failed[/]"
        )

    emit(result, json_, human)
    if not ok:
        raise typer.Exit(1)


@app.command()
def serve(
    host: str = typer.Option(None, help="Bind address (default: ADLENS_HOST, 127.0.0.1)."),
    port: int = typer.Option(None, help="Port (default: ADLENS_PORT, 8765)."),
    workers: int = typer.Option(
        None,
        min=1,
        max=64,
        help="Worker processes sharing ADLENS_HOME (default: ADLENS_WORKERS, 1); see docs/deploy.md.",
    ),
    demo: bool = typer.Option(False, "--demo", help="Seed demo data on start."),
    log_level: str = typer.Option("info", help="Log level."),
) -> None:
    """Run the API server with the web UI."""
    import uvicorn

    from adlens.api.app import SERVE_STARTED_ENV
    from adlens.api.worker import LOG_LEVEL_ENV
    from adlens.observability import configure_logging

    settings = get_settings()
    # what the server binds is what it is: URLs built from settings (demo pages, links) use these;
    # worker processes are spawned and rebuild their settings from the environment, so it carries them
    overrides = {
        "ADLENS_HOST": host or settings.host,
        "ADLENS_PORT": str(port or settings.port),
        "ADLENS_WORKERS": str(workers or settings.workers),
        LOG_LEVEL_ENV: log_level,
        SERVE_STARTED_ENV: str(time.time()),
    }
    if demo:
        overrides["ADLENS_DEMO"] = "1"
    os.environ.update(overrides)
    reset_settings()
    settings = get_settings()
    configure_logging(log_level.upper())
    err_console.print(
        f"adlens {__version__} on http://{settings.host}:{settings.port}/  (API docs: /api/docs)"
        + (f", {settings.workers} workers" if settings.workers > 1 else "")
    )
    common: dict[str, Any] = {
        "host": settings.host,
        "port": settings.port,
        "log_level": log_level,
        "access_log": False,
    }
    if settings.workers == 1:
        from adlens.api import create_app

        uvicorn.run(create_app(settings), **common)
    else:
        uvicorn.run("adlens.api.worker:worker_app", factory=True, workers=settings.workers, **common)


def _mount_apps() -> None:
    from adlens.cli import jobs, models

    app.add_typer(models.app, name="models", help="Prepare and list the local models.")
    app.add_typer(jobs.app, name="jobs", help="Background jobs: list, show, cancel, watch.")
    # Applications (``adlens <app> …`` and their top-level extras such as ``adlens crawl``, declared
    # in ``AppInfo.cli_extra`` and provided by ``cli.commands`` / ``cli.groups``) load lazily: _AppsGroup.


_mount_apps()


def main() -> None:
    """Entry point: domain errors become one line on stderr and a non-zero exit code."""
    try:
        rc = app(standalone_mode=False)
        if isinstance(rc, int) and not isinstance(rc, bool) and rc != 0:
            sys.exit(rc)
    except AdlensError as exc:
        err_console.print(f"error: {exc.message}", markup=False, highlight=False)
        sys.exit(2 if 400 <= exc.status < 500 else 1)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        err_console.print("aborted")
        sys.exit(130)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:  # usage errors (Typer vendors click) and the like
        show = getattr(exc, "show", None)
        exit_code = getattr(exc, "exit_code", None)
        if callable(show) and isinstance(exit_code, int):
            show()
            sys.exit(exit_code)
        err_console.print(f"error: unexpected {type(exc).__name__}: {exc}", markup=False, highlight=False)
        sys.exit(1)


__all__ = ["app", "main"]
