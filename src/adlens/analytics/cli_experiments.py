"""``adlens analytics abtest | power | campaign``: thin CLI over :mod:`adlens.analytics.experiments`."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Annotated, Any

import typer

from adlens.analytics.experiments import (
    CampaignArm,
    abtest_counts,
    abtest_rows,
    campaign_report,
    campaign_rows,
    parse_counts,
    parse_split,
    parse_sums,
    plan_means,
    plan_proportions,
    read_table,
)
from adlens.errors import InvalidInput

JSON_OPT = typer.Option("--json", help="Print one JSON document.")


def _emit(data: Any, as_json: bool, human: Any) -> None:
    from adlens.cli.output import emit

    emit(data, as_json, human)


def _console() -> Any:
    from adlens.cli.output import console

    return console


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{x * 100:+.2f} %"


def _ci(ci: Any, pct: bool) -> str:
    if ci is None:
        return "–"
    if ci.low is None or ci.high is None:
        return "unbounded"
    return f"[{_pct(ci.low)}, {_pct(ci.high)}]" if pct else f"[{ci.low:.4g}, {ci.high:.4g}]"


def _show_abtest(report: Any) -> None:
    from rich.table import Table

    table = Table(title=f"A/B test vs control '{report.control}' ({report.correction} correction)")
    for col in (
        "metric",
        "arm",
        "control",
        "treatment",
        "abs lift [CI]",
        "rel lift [CI]",
        "p",
        "p adj",
        "sig",
    ):
        table.add_column(col)
    for c in report.comparisons:
        p = c.sequential["p_value"] if report.sequential and c.sequential else c.p_value
        table.add_row(
            c.metric, c.treatment.name, f"{c.control.estimate:.4g}", f"{c.treatment.estimate:.4g}",
            f"{c.abs_lift:+.4g} {_ci(c.abs_ci, False)}",
            f"{_pct(c.rel_lift)} {_ci(c.rel_ci_fieller or c.rel_ci, True)}",
            f"{p:.3g}", f"{c.p_adjusted:.3g}", "yes" if c.significant else "no",
        )  # fmt: skip
    con = _console()
    con.print(table)
    if report.srm is not None:
        con.print(("[red]" if report.srm.mismatch else "[dim]") + report.srm.message)
    for c in report.comparisons:
        con.print(c.summary)
    for w in report.warnings:
        con.print(f"[yellow]warning:[/yellow] {w}")


def abtest(
    data: Annotated[Path | None, typer.Option("--data", help="Per-user rows: CSV, TSV or Parquet.")] = None,
    counts: Annotated[
        str | None, typer.Option("--counts", help='Aggregates "A:USERS:CONVERSIONS,B:...".')
    ] = None,
    sums: Annotated[
        str | None, typer.Option("--sums", help='Aggregates "A:N:SUM:SUM_OF_SQUARES,B:...".')
    ] = None,
    arm: Annotated[str, typer.Option("--arm", help="Arm/variant column.")] = "variant",
    metric: Annotated[list[str] | None, typer.Option("--metric", help="Metric column (repeatable).")] = None,
    ratio: Annotated[
        list[str] | None, typer.Option("--ratio", help="Ratio metric NAME=NUM/DEN (repeatable).")
    ] = None,
    covariate: Annotated[
        str | None, typer.Option("--covariate", help="Pre-period column for CUPED (or METRIC=COL,...).")
    ] = None,
    control: Annotated[
        str | None, typer.Option("--control", help="Control arm (default: control/A/first).")
    ] = None,
    alpha: Annotated[float, typer.Option("--alpha")] = 0.05,
    correction: Annotated[str, typer.Option("--correction", help="holm, bh, bonferroni or none.")] = "holm",
    sequential: Annotated[
        bool, typer.Option("--sequential", help="Always-valid p-values/CIs (mSPRT).")
    ] = False,
    order_by: Annotated[
        str | None, typer.Option("--order-by", help="Arrival-order column for --sequential.")
    ] = None,
    tau: Annotated[
        float | None, typer.Option("--tau", help="mSPRT mixing sd (default: tuned to the sample).")
    ] = None,
    split: Annotated[
        str | None, typer.Option("--split", help='Planned split for the SRM check, "A:50,B:50".')
    ] = None,
    name: Annotated[str, typer.Option("--name", help="Metric name for --counts.")] = "conversion",
    plots_dir: Annotated[Path | None, typer.Option("--plots-dir", help="Write PNG plots here.")] = None,
    as_json: Annotated[bool, JSON_OPT] = False,
) -> None:
    """A/B(/n) test: z-test / Welch / ratio metrics, lift CIs, CUPED, SRM, corrections, sequential."""
    planned = parse_split(split)
    plots = plots_dir is not None
    if data is not None:
        if counts or sums:
            raise InvalidInput("give either --data or --counts/--sums, not both")
        report = abtest_rows(
            read_table(data), arm=arm, metrics=metric or [], ratios=ratio or [], covariate=covariate,
            control=control, alpha=alpha, correction=correction, sequential=sequential, order_by=order_by, tau=tau,
            planned_split=planned, plots=plots,
        )  # fmt: skip
    elif counts or sums:
        report = abtest_counts(
            parse_counts(counts) if counts else [], parse_sums(sums) if sums else [], metric=name, control=control,
            alpha=alpha, correction=correction, sequential=sequential, tau=tau, planned_split=planned, plots=plots,
        )  # fmt: skip
    else:
        raise InvalidInput("give --data FILE or --counts/--sums")
    if plots_dir is not None:
        plots_dir.mkdir(parents=True, exist_ok=True)
        for key, b64 in report.plots.items():
            (plots_dir / f"{key}.png").write_bytes(base64.b64decode(b64))
        report.plots = {k: str(plots_dir / f"{k}.png") for k in report.plots}
    _emit(report, as_json, _show_abtest)


def power(
    kind: Annotated[str, typer.Option("--kind", help="proportion or mean.")] = "proportion",
    baseline: Annotated[float | None, typer.Option("--baseline", help="Baseline rate (or mean).")] = None,
    sd: Annotated[float | None, typer.Option("--sd", help="Standard deviation (means).")] = None,
    mde: Annotated[float | None, typer.Option("--mde", help="Minimum detectable effect.")] = None,
    relative: Annotated[
        bool | None,
        typer.Option("--relative/--absolute", help="mde relative to baseline (default for rates)."),
    ] = None,
    n: Annotated[float | None, typer.Option("--n", help="Control-arm size (solve for mde or power).")] = None,
    alpha: Annotated[float, typer.Option("--alpha")] = 0.05,
    target_power: Annotated[float, typer.Option("--power")] = 0.8,
    ratio: Annotated[float, typer.Option("--ratio", help="Treatment/control size ratio.")] = 1.0,
    as_json: Annotated[bool, JSON_OPT] = False,
) -> None:
    """Sample size, minimum detectable effect or power (give two of --mde, --n, --power)."""
    if kind == "proportion":
        if baseline is None:
            raise InvalidInput("--baseline (conversion rate) is required for proportions")
        rel = True if relative is None else relative
        res = plan_proportions(
            baseline, mde=mde, relative=rel, n=n, alpha=alpha, power=target_power, ratio=ratio
        )
    elif kind == "mean":
        if sd is None:
            raise InvalidInput("--sd is required for means")
        res = plan_means(
            sd,
            mde=mde,
            baseline=baseline,
            relative=bool(relative),
            n=n,
            alpha=alpha,
            power=target_power,
            ratio=ratio,
        )
    else:
        raise InvalidInput(f"--kind must be 'proportion' or 'mean', got '{kind}'")
    _emit(res, as_json, lambda r: _console().print(r.summary))


def campaign(
    test: Annotated[
        str | None, typer.Option("--test", help='Test totals "users=..,conversions=..,cost=..,revenue=..".')
    ] = None,
    control: Annotated[
        str | None, typer.Option("--control", help="Control totals (or control group name with --data).")
    ] = None,
    data: Annotated[Path | None, typer.Option("--data", help="Per-user rows instead of totals.")] = None,
    arm: Annotated[str, typer.Option("--arm", help="Group column (with --data).")] = "group",
    test_group: Annotated[
        str | None, typer.Option("--test-group", help="Test group name (with --data).")
    ] = None,
    column: Annotated[
        list[str] | None, typer.Option("--column", help="FIELD=COLUMN mapping (repeatable).")
    ] = None,
    alpha: Annotated[float, typer.Option("--alpha")] = 0.05,
    as_json: Annotated[bool, JSON_OPT] = False,
) -> None:
    """Campaign metrics (CTR, CVR, CPA, ROAS) and incremental lift, CPA and ROAS vs a control group."""
    if data is not None:
        mapping = {}
        for item in column or []:
            key, sep, value = item.partition("=")
            if not sep:
                raise InvalidInput(f"--column '{item}' must be FIELD=COLUMN")
            mapping[key.strip()] = value.strip()
        report = campaign_rows(
            read_table(data), arm=arm, test=test_group, control=control, columns=mapping, alpha=alpha
        )
    else:
        if not test or not control:
            raise InvalidInput("give --test and --control totals, or --data FILE")
        report = campaign_report(
            CampaignArm.parse("test", test), CampaignArm.parse("control", control), alpha
        )
    _emit(report, as_json, lambda r: _console().print(r.summary))


def register(app: typer.Typer) -> None:
    """Add ``abtest``, ``power`` and ``campaign`` to the ``adlens analytics`` Typer app."""
    app.command("abtest")(abtest)
    app.command("power")(power)
    app.command("campaign")(campaign)


__all__ = ["abtest", "campaign", "power", "register"]
