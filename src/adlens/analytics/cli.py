"""``adlens analytics …``: causal commands (did, synth, sdid, geo-design) plus the experiment commands."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from adlens.analytics.causal.service import run_did, run_geo_design, run_sdid, run_synth
from adlens.analytics.panel import load_table
from adlens.analytics.plots import chart_specs, report_html, to_png
from adlens.cli.output import console, emit
from adlens.errors import InvalidInput

__all__ = ["app"]

app = typer.Typer(help="Advertiser analytics", no_args_is_help=True)

DATA = typer.Option(
    ..., "--data", "-d", help="CSV or Parquet file (long format: one row per unit and period)."
)
UNIT = typer.Option(..., "--unit", help="Column naming the unit (state, market, store…).")
TIME = typer.Option(..., "--time", help="Column naming the period (year, week, date…).")
OUTCOME = typer.Option(..., "--outcome", help="Numeric outcome column.")
JSON = typer.Option(False, "--json", help="Print one JSON document.")
PNG = typer.Option(None, "--png", help="Write PNG charts into this folder.")
HTML = typer.Option(None, "--html", help="Write a self-contained interactive HTML report to this file.")


def _write_outputs(result: dict[str, Any], png: Path | None, html_path: Path | None) -> None:
    if png is not None:
        png.mkdir(parents=True, exist_ok=True)
        files = []
        for spec in chart_specs(result):
            path = png / f"{result['method']}-{spec['name']}.png"
            tmp = path.with_suffix(".png.tmp")
            tmp.write_bytes(to_png(spec))
            tmp.replace(path)
            files.append(str(path))
        result["png_files"] = files
    if html_path is not None:
        tmp = html_path.with_suffix(html_path.suffix + ".tmp")
        tmp.write_text(report_html(result, f"adlens · {result['method']}"), encoding="utf-8")
        tmp.replace(html_path)
        result["html_file"] = str(html_path)


def _human(result: dict[str, Any]) -> None:
    from rich.table import Table

    console.print(result["summary"])
    weights = result.get("weights") or result.get("controls")
    if weights:
        table = Table("unit", "weight", title="weights")
        for k, v in list(weights.items())[:12]:
            table.add_row(str(k), f"{v:.4f}")
        console.print(table)
    for key in ("png_files", "html_file"):
        if result.get(key):
            console.print(f"[dim]{key}: {result[key]}[/]")


def _periods(text: str | None) -> list[int] | None:
    if not text:
        return None
    out: list[int] = []
    try:
        for part in text.split(","):
            a, _, b = part.strip().partition("-")
            out.extend(range(int(a), int(b) + 1) if b else [int(a)])
    except ValueError as exc:
        raise InvalidInput(f"bad period list {text!r}: use e.g. 1970-1988 or 1980,1985") from exc
    return out


@app.command()
def did(
    data: Path = DATA,
    outcome: str = OUTCOME,
    unit: str = typer.Option(None, "--unit", help="Unit column (panel designs)."),
    time: str = typer.Option(None, "--time", help="Period column (panel designs)."),
    treatment: str = typer.Option(None, "--treatment", help="0/1 column: unit is treated in this period."),
    treated: list[str] = typer.Option(None, "--treated", help="Treated unit (repeatable), with --start."),
    start: str = typer.Option(None, "--start", help="First treated period."),
    group: str = typer.Option(None, "--group", help="2×2 design: 0/1 treated-group column."),
    post: str = typer.Option(None, "--post", help="2×2 design: 0/1 post-period column."),
    cluster: str = typer.Option(
        None, "--cluster", help="Cluster column for standard errors (default: unit)."
    ),
    method: str = typer.Option("auto", "--method", help="auto | 2x2 | twfe | cs"),
    control_group: str = typer.Option(
        "never_treated", "--control-group", help="cs: never_treated | not_yet_treated"
    ),
    se_method: str = typer.Option("analytic", "--se", help="cs: analytic | bootstrap"),
    leads: int = typer.Option(5, "--leads", help="Event-study leads."),
    lags: int = typer.Option(5, "--lags", help="Event-study lags."),
    png: Path = PNG,
    html: Path = HTML,
    json_: bool = JSON,
) -> None:
    """Difference-in-differences: 2×2, two-way fixed effects + event study, or Callaway–Sant'Anna."""
    if method not in {"auto", "2x2", "twfe", "cs"}:
        raise InvalidInput(f"unknown --method {method!r}: use auto, 2x2, twfe or cs")
    if control_group not in {"never_treated", "not_yet_treated"} or se_method not in {
        "analytic",
        "bootstrap",
    }:
        raise InvalidInput(
            "--control-group must be never_treated|not_yet_treated and --se analytic|bootstrap"
        )
    result = run_did(
        load_table(data),
        outcome=outcome,
        unit=unit,
        time=time,
        treatment=treatment,
        treated=treated or None,
        start=start,
        group=group,
        post=post,
        cluster=cluster,
        method=method,  # type: ignore[arg-type]
        control_group=control_group,  # type: ignore[arg-type]
        se_method=se_method,  # type: ignore[arg-type]
        leads=leads,
        lags=lags,
    )
    _write_outputs(result, png, html)
    emit(result, json_, _human)


@app.command()
def synth(
    data: Path = DATA,
    unit: str = UNIT,
    time: str = TIME,
    outcome: str = OUTCOME,
    treated: str = typer.Option(..., "--treated", help="The treated unit."),
    start: str = typer.Option(..., "--start", help="First treated period."),
    predictor: list[str] = typer.Option(
        None, "--predictor", help="VAR or VAR@1980-1988 or VAR@1961,1963 (repeatable)."
    ),
    fit_periods: str = typer.Option(
        None, "--fit-periods", help="Periods whose outcome fit chooses V, e.g. 1960-1969."
    ),
    end: str = typer.Option(None, "--end", help="Last period of the effect window (default: last period)."),
    v_start: str = typer.Option("equal", "--v-start", help="Nested V start: equal | ols."),
    solver: str = typer.Option("synthdid", "--solver", help="Outcome-only weights: synthdid | exact."),
    no_placebo: bool = typer.Option(False, "--no-placebo", help="Skip placebo-in-space inference."),
    no_loo: bool = typer.Option(False, "--no-loo", help="Skip leave-one-out robustness."),
    max_pre_ratio: float = typer.Option(
        None, "--max-pre-rmspe-ratio", help="Drop placebos whose pre-RMSPE exceeds this × the treated unit's."
    ),
    png: Path = PNG,
    html: Path = HTML,
    json_: bool = JSON,
) -> None:
    """Synthetic control (Abadie) with placebo p-value, RMSPE ratios and leave-one-out donors."""
    if v_start not in {"equal", "ols"} or solver not in {"synthdid", "exact"}:
        raise InvalidInput("--v-start must be equal|ols and --solver synthdid|exact")
    df = load_table(data)
    kwargs: dict[str, Any] = dict(
        unit=unit,
        time=time,
        outcome=outcome,
        treated=treated,
        start=start,
        predictors=predictor or None,
        fit_periods=_periods(fit_periods),
        end=None if end is None else _periods(end)[0],  # type: ignore[index]
        v_start=v_start,
        solver=solver,
        placebo=not no_placebo,
        loo=not no_loo,
        max_pre_rmspe_ratio=max_pre_ratio,
    )
    if json_ or no_placebo:
        result = run_synth(df, **kwargs)
    else:
        from rich.progress import Progress

        with Progress(console=console, transient=True) as bar:
            task = bar.add_task("placebo fits", total=None)
            result = run_synth(df, progress=lambda i, n: bar.update(task, completed=i, total=n), **kwargs)
    _write_outputs(result, png, html)
    emit(result, json_, _human)


@app.command()
def sdid(
    data: Path = DATA,
    unit: str = UNIT,
    time: str = TIME,
    outcome: str = OUTCOME,
    treated: list[str] = typer.Option(None, "--treated", help="Treated unit (repeatable), with --start."),
    start: str = typer.Option(None, "--start", help="First treated period."),
    treatment: str = typer.Option(
        None, "--treatment", help="0/1 treatment column instead of --treated/--start."
    ),
    method: str = typer.Option(
        "sdid", "--method", help="sdid | sc | did (the synthdid package's estimators)."
    ),
    replications: int = typer.Option(
        200, "--replications", help="Placebo replications for the SE (0: none)."
    ),
    seed: int = typer.Option(0, "--seed", help="Random seed for the placebo SE."),
    png: Path = PNG,
    html: Path = HTML,
    json_: bool = JSON,
) -> None:
    """Synthetic difference-in-differences (Arkhangelsky et al. 2021) with placebo standard errors."""
    if method not in {"sdid", "sc", "did"}:
        raise InvalidInput(f"unknown --method {method!r}: use sdid, sc or did")
    result = run_sdid(
        load_table(data),
        unit=unit,
        time=time,
        outcome=outcome,
        treated=treated or None,
        start=start,
        treatment=treatment,
        method=method,  # type: ignore[arg-type]
        replications=replications,
        seed=seed,
    )
    _write_outputs(result, png, html)
    emit(result, json_, _human)


@app.command("geo-design")
def geo_design_cmd(
    data: Path = DATA,
    unit: str = UNIT,
    time: str = TIME,
    outcome: str = OUTCOME,
    treated: list[str] = typer.Option(..., "--treated", help="Planned treated market (repeatable)."),
    test_length: int = typer.Option(..., "--test-length", help="Planned test length in periods."),
    effect: float = typer.Option(None, "--effect", help="Planned relative lift, e.g. 0.05 for +5%."),
    candidate: list[str] = typer.Option(
        None, "--candidate", help="Restrict controls to these markets (repeatable)."
    ),
    n_controls: int = typer.Option(
        None, "--n-controls", help="Keep this many controls (default: all with weight ≥ 1%)."
    ),
    alpha: float = typer.Option(0.05, "--alpha", help="Two-sided significance level."),
    aggregate: str = typer.Option("sum", "--aggregate", help="Combine treated markets by sum | mean."),
    png: Path = PNG,
    html: Path = HTML,
    json_: bool = JSON,
) -> None:
    """Plan a geo test on history: pick control markets, estimate power and the minimum detectable lift."""
    if aggregate not in {"sum", "mean"}:
        raise InvalidInput("--aggregate must be sum or mean")
    result = run_geo_design(
        load_table(data),
        unit=unit,
        time=time,
        outcome=outcome,
        treated=treated,
        test_length=test_length,
        effect=effect,
        candidates=candidate or None,
        n_controls=n_controls,
        alpha=alpha,
        aggregate=aggregate,  # type: ignore[arg-type]
    )
    _write_outputs(result, png, html)
    emit(result, json_, _human)


def _register_experiments() -> None:
    try:
        from adlens.analytics.cli_experiments import register
    except ImportError:  # pragma: no cover - the experiments half ships separately
        return
    register(app)


_register_experiments()
