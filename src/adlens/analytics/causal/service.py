"""Use cases behind the CLI commands, REST endpoints and web page: table in, JSON-able dict out.

DiD and geo design live here; synthetic control and SDID in :mod:`adlens.analytics.causal.synth_service`.

Each ``run_*`` takes a DataFrame plus column options and returns plain Python data (lists, dicts,
floats) with a one-paragraph ``summary`` in plain language.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import pandas as pd

from adlens.analytics.causal.did import did_2x2, prepare_long, twfe
from adlens.analytics.causal.event_study import cohorts_from_treatment, event_study
from adlens.analytics.causal.format import f as _f
from adlens.analytics.causal.format import num as _num
from adlens.analytics.causal.format import series_rows as _series_rows
from adlens.analytics.causal.geo import geo_design
from adlens.analytics.causal.staggered import callaway_santanna
from adlens.analytics.causal.synth_service import run_sdid, run_synth
from adlens.analytics.panel import coerce_time, require_columns, to_plain
from adlens.errors import InvalidInput

__all__ = ["add_treatment_column", "run_did", "run_geo_design", "run_sdid", "run_synth"]


def _start_value(tcol: pd.Series, start: Any, time: str) -> Any:
    """Parse ``start`` like the time column and check it leaves pre- and post-periods."""
    try:
        start_v = pd.Timestamp(start) if pd.api.types.is_datetime64_any_dtype(tcol) else float(start)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"treatment start {start!r} does not match the time column {time!r}") from exc
    if not (tcol.min() < start_v <= tcol.max()):
        raise InvalidInput(
            f"treatment start {start} is outside the data ({tcol.min()} – {tcol.max()}) or leaves no pre-period"
        )
    return start_v


def add_treatment_column(
    df: pd.DataFrame, unit: str, time: str, treated: Sequence[Any], start: Any, name: str = "_treated"
) -> pd.DataFrame:
    """Add a 0/1 column that is 1 for ``treated`` units from ``start`` on."""
    require_columns(df, unit, time)
    units = {str(u) for u in df[unit].unique()}
    unknown = [t for t in treated if str(t) not in units]
    if unknown:
        raise InvalidInput(f"unknown treated unit(s): {', '.join(map(str, unknown))}")
    out = df.copy()
    tcol = coerce_time(out[time], time)
    start_v = _start_value(tcol, start, time)
    out[name] = (out[unit].astype(str).isin({str(t) for t in treated}) & (tcol >= start_v)).astype(int)
    return out


def run_did(
    df: pd.DataFrame,
    *,
    outcome: str,
    unit: str | None = None,
    time: str | None = None,
    treatment: str | None = None,
    treated: Sequence[Any] | None = None,
    start: Any = None,
    group: str | None = None,
    post: str | None = None,
    cluster: str | None = None,
    method: Literal["auto", "2x2", "twfe", "cs"] = "auto",
    control_group: Literal["never_treated", "not_yet_treated"] = "never_treated",
    se_method: Literal["analytic", "bootstrap"] = "analytic",
    leads: int = 5,
    lags: int = 5,
) -> dict[str, Any]:
    """Difference-in-differences: 2×2 (``group``/``post``), TWFE + event study, or Callaway–Sant'Anna."""
    if method == "2x2" or (method == "auto" and group and post):
        if not (group and post) and unit and time and treated and start is not None:
            # panel → 2×2: group = the treated units, post = periods from the start on
            df = add_treatment_column(df, unit, time, treated, start)  # validates units and start
            tcol = coerce_time(df[time], time)
            start_v = _start_value(tcol, start, time)
            df = df.assign(
                treated_group=df[unit].astype(str).isin({str(t) for t in treated}).astype(int),
                post=(tcol >= start_v).astype(int),
            )
            group, post = "treated_group", "post"
        if not (group and post):
            raise InvalidInput(
                "the 2×2 design needs --group and --post columns (0/1), or --unit/--time/--treated/--start"
            )
        r = did_2x2(df, outcome, group, post, cluster=cluster or unit)
        out = {"method": "2x2", **_did_common(r)}
        m = r.details["cell_means"]
        out["summary"] = (
            f"Difference-in-differences (2×2): the change in {outcome} for the {group}=1 group minus the change "
            f"for {group}=0 is {_num(r.att)} (SE {_num(r.se)}, 95% CI {_num(r.ci[0])} to {_num(r.ci[1])}, "
            f"p = {_num(r.p_value)}). Cell means: {', '.join(f'{k}: {_num(v)}' for k, v in m.items())}."
        )
        return out
    if not (unit and time):
        raise InvalidInput("panel DiD needs --unit and --time (or --group and --post for a 2×2 table)")
    if treatment is None:
        if not treated or start is None:
            raise InvalidInput("give either a 0/1 --treatment column or --treated units with --start")
        df = add_treatment_column(df, unit, time, treated, start)
        treatment = "_treated"
    work = prepare_long(df, unit, time, outcome, treatment)
    g = cohorts_from_treatment(work, unit, time, treatment)
    staggered = g.dropna().nunique() > 1
    if method == "cs" or (method == "auto" and staggered):
        cs = callaway_santanna(
            df, unit, time, outcome, treatment, control_group=control_group, se_method=se_method
        )
        dyn = cs.dynamic
        return {
            "method": "cs",
            "att": cs.att,
            "se": cs.se,
            "ci": list(cs.ci),
            "p_value": cs.p_value,
            "control_group": cs.control_group,
            "se_method": cs.se_method,
            "notes": cs.notes,
            "group_time": [
                {k: to_plain(v) for k, v in row.items()} for row in cs.group_time.to_dict("records")
            ],
            "effects": [
                {"event_time": int(e), **{k: _f(v) for k, v in row.items()}} for e, row in dyn.iterrows()
            ],
            "summary": (
                f"Staggered adoption (Callaway–Sant'Anna, {control_group.replace('_', '-')} controls): the average "
                f"effect of treatment on the treated is {_num(cs.att)} (SE {_num(cs.se)}, 95% CI {_num(cs.ci[0])} to "
                f"{_num(cs.ci[1])}, p = {_num(cs.p_value)}), averaging {int((cs.group_time['event_time'] >= 0).sum())} "
                f"post-treatment group-time effects weighted by cohort size."
            ),
        }
    r = twfe(df, unit, time, outcome, treatment)
    out = {"method": "twfe", **_did_common(r)}
    summary = (
        f"Two-way fixed effects DiD: treatment changed {outcome} by {_num(r.att)} on average (SE {_num(r.se)}, "
        f"clustered by {unit}; 95% CI {_num(r.ci[0])} to {_num(r.ci[1])}, p = {_num(r.p_value)})."
    )
    try:
        es = event_study(df, unit, time, outcome, treatment, leads=leads, lags=lags)
        out["effects"] = [
            {"event_time": int(e), **{k: _f(v) for k, v in row.items()}} for e, row in es.coefs.iterrows()
        ]
        out["pretrend"] = {
            "chi2": es.pretrend_chi2,
            "df": es.pretrend_df,
            "p_value": es.pretrend_p,
            "f_p_value": es.pretrend_f_p,
        }
        verdict = "no evidence against" if es.pretrend_p >= 0.05 else "evidence against"
        summary += (
            f" Event-study pre-trend test: χ²({es.pretrend_df}) = {_num(es.pretrend_chi2)}, p = {_num(es.pretrend_p)} — "
            f"{verdict} parallel pre-trends."
        )
    except InvalidInput as exc:
        out["pretrend"] = {"error": exc.message}
    if r.details.get("n_treated_units") == 1:
        summary += " Only one unit is treated, so clustered standard errors are unreliable; prefer synth/sdid placebo inference."
    if "warning" in r.details:
        summary += " " + r.details["warning"] + "."
    out["summary"] = summary
    return out


def _did_common(r: Any) -> dict[str, Any]:
    return {
        "att": r.att,
        "se": r.se,
        "ci": [float(r.ci[0]), float(r.ci[1])],
        "p_value": r.p_value,
        "n_obs": r.n_obs,
        "n_clusters": r.n_clusters,
        "details": r.details,
    }


def run_geo_design(
    df: pd.DataFrame,
    *,
    unit: str,
    time: str,
    outcome: str,
    treated: Sequence[Any],
    test_length: int,
    effect: float | None = None,
    candidates: Sequence[Any] | None = None,
    n_controls: int | None = None,
    alpha: float = 0.05,
    aggregate: Literal["sum", "mean"] = "sum",
) -> dict[str, Any]:
    """Pick control markets and estimate power/MDE for a planned geo test."""
    d = geo_design(
        df,
        unit,
        time,
        outcome,
        treated,
        test_length=test_length,
        effect=effect,
        candidates=candidates,
        n_controls=n_controls,
        alpha=alpha,
        aggregate=aggregate,
    )
    out = {
        "method": "geo-design",
        "treated": [to_plain(u) for u in d.treated],
        "controls": {str(k): float(x) for k, x in d.controls.items()},
        "candidate_weights": {str(k): float(x) for k, x in d.all_weights.items() if x > 1e-6},
        "holdout_mape": d.holdout_mape,
        "fit_rmspe": d.fit_rmspe,
        "critical_value": d.critical_value,
        "mde": d.mde,
        "power_at_effect": d.power_at_effect,
        "effect": effect,
        "test_length": test_length,
        "alpha": alpha,
        "n_placebo_windows": len(d.null_estimates),
        "null_estimates": [{"start": to_plain(k), "estimate": float(x)} for k, x in d.null_estimates.items()],
        "power_curve": d.power_curve.to_dict("records"),
        "series": _series_rows(
            d.series.index, treated=d.series["treated"].to_numpy(), synthetic=d.series["synthetic"].to_numpy()
        ),
    }
    s = (
        f"Use {len(d.controls)} control market(s): {', '.join(f'{k} {x:.2f}' for k, x in list(out['controls'].items())[:8])}. "
        f"On the last {test_length} periods of history they predict the treated markets within {d.holdout_mape:.1%} (MAPE). "
        f"Across {len(d.null_estimates)} placebo windows, a {test_length}-period test with no effect shows a spurious lift of up to "
        f"±{d.critical_value:.1%} ({1 - alpha:.0%} of windows)"
    )
    s += (
        f"; the minimum detectable lift at 80% power is about {d.mde:.1%}."
        if d.mde is not None
        else "; no lift in the grid reaches 80% power."
    )
    if d.power_at_effect is not None:
        s += f" Power for a {effect:.1%} lift: {d.power_at_effect:.0%}."
    if len(d.null_estimates) < 20:
        s += f" Only {len(d.null_estimates)} windows were available, so these power figures are coarse."
    out["summary"] = s
    return out
