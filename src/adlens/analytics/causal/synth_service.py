"""Use cases for synthetic control and synthetic DiD (see :mod:`adlens.analytics.causal.service`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Literal

import pandas as pd
from scipy.stats import norm

from adlens.analytics.causal.did import prepare_long
from adlens.analytics.causal.event_study import cohorts_from_treatment
from adlens.analytics.causal.format import f as _f
from adlens.analytics.causal.format import num as _num
from adlens.analytics.causal.format import series_rows as _series_rows
from adlens.analytics.causal.placebo import leave_one_out, placebo_in_space
from adlens.analytics.causal.sdid import placebo_se, sdid_fit
from adlens.analytics.causal.synth import fit_synth
from adlens.analytics.panel import build_panel, split_treated, to_plain
from adlens.errors import InvalidInput

__all__ = ["run_sdid", "run_synth"]

Progress = Callable[[int, int], None]


def run_synth(
    df: pd.DataFrame,
    *,
    unit: str,
    time: str,
    outcome: str,
    treated: Any,
    start: Any,
    predictors: Sequence[str] | None = None,
    fit_periods: Sequence[Any] | None = None,
    end: Any = None,
    v: Sequence[float] | None = None,
    v_start: Literal["equal", "ols"] = "equal",
    solver: Literal["synthdid", "exact"] = "synthdid",
    placebo: bool = True,
    loo: bool = True,
    max_pre_rmspe_ratio: float | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Synthetic control with placebo-in-space p-value and leave-one-out robustness."""
    res, data, donors = fit_synth(
        df,
        unit,
        time,
        outcome,
        treated,
        start,
        predictors=predictors,
        fit_periods=fit_periods,
        end=end,
        v=v,
        v_start=v_start,
        solver=solver,
    )
    w = res.weights.sort_values(ascending=False)
    out: dict[str, Any] = {
        "method": "synth",
        "treated": to_plain(res.treated),
        "start": to_plain(res.start),
        "att": res.att,
        "att_se": _f(res.att_se),
        "pre_rmspe": res.pre_rmspe,
        "post_rmspe": res.post_rmspe,
        "rmspe_ratio": _f(res.rmspe_ratio),
        "weights": {str(k): float(x) for k, x in w.items() if x > 1e-6},
        "v": None if res.v is None else {k: float(x) for k, x in res.v.items()},
        "predictor_balance": None
        if res.predictor_balance is None
        else [
            {"predictor": k, **{c: _f(x) for c, x in row.items()}}
            for k, row in res.predictor_balance.iterrows()
        ],
        "series": _series_rows(
            res.gap.index,
            treated=res.treated_series.to_numpy(),
            synthetic=res.synthetic.to_numpy(),
            gap=res.gap.to_numpy(),
        ),
        "p_value": None,
    }
    if placebo:
        pl = placebo_in_space(data, res, donors, max_pre_rmspe_ratio=max_pre_rmspe_ratio, progress=progress)
        out["p_value"] = pl.p_value
        out["placebo"] = {
            "p_value": pl.p_value,
            "rank": pl.rank,
            "n_units": pl.n_units,
            "excluded": [to_plain(u) for u in pl.excluded],
            "units": [
                {"unit": to_plain(u), **{k: to_plain(x) for k, x in row.items()}}
                for u, row in pl.table.iterrows()
            ],
            "gaps": {str(u): [_f(x) for x in pl.gaps[u].to_numpy()] for u in pl.gaps.columns},
            "times": [to_plain(t) for t in pl.gaps.index],
        }
    if loo:
        lo = leave_one_out(data, res, donors)
        out["leave_one_out"] = {
            "att": {str(k): float(x) for k, x in lo.att.items()},
            "range": [_f(x) for x in lo.att_range],
        }
    top = ", ".join(f"{k} {x:.3f}" for k, x in list(out["weights"].items())[:5])
    s = (
        f"Synthetic control for {res.treated} from {res.start}: the average gap between {res.treated} and its "
        f"synthetic twin after treatment is {_num(res.att)} {outcome} per period (pre-period RMSPE {_num(res.pre_rmspe)}). "
        f"The synthetic unit is built from {top}."
    )
    if out["p_value"] is not None:
        s += (
            f" In the placebo test {res.treated}'s post/pre RMSPE ratio ranks {out['placebo']['rank']} of "
            f"{out['placebo']['n_units']} units (permutation p = {_num(out['p_value'])})."
        )
    if loo and out["leave_one_out"]["att"]:
        lo_r = out["leave_one_out"]["range"]
        s += f" Dropping one contributing donor at a time gives effects from {_num(lo_r[0])} to {_num(lo_r[1])}."
    out["summary"] = s
    return out


def run_sdid(
    df: pd.DataFrame,
    *,
    unit: str,
    time: str,
    outcome: str,
    treated: Sequence[Any] | None = None,
    start: Any = None,
    treatment: str | None = None,
    method: Literal["sdid", "sc", "did"] = "sdid",
    replications: int = 200,
    seed: int = 0,
    compare: bool = True,
) -> dict[str, Any]:
    """Synthetic DiD (or synthdid's SC/DiD) with placebo standard errors; block design only."""
    if treatment is not None:
        work = prepare_long(df, unit, time, outcome, treatment)
        g = cohorts_from_treatment(work, unit, time, treatment)
        if g.dropna().nunique() > 1:
            raise InvalidInput(
                "SDID here needs one common treatment start; use `did --method cs` for staggered adoption"
            )
        if g.dropna().empty:
            raise InvalidInput("no unit is ever treated")
        treated, start = list(g.dropna().index), g.dropna().iloc[0]
    if not treated or start is None:
        raise InvalidInput("give --treated units and --start, or a 0/1 --treatment column")
    panel = build_panel(df, unit, time, outcome)
    tr, donors, start_v, T0 = split_treated(panel, list(treated), start, min_donors=2, min_pre=2)
    Y = panel.Y.loc[[*donors, *tr]].to_numpy()
    fit = sdid_fit(Y, len(donors), T0, method)
    se = (
        placebo_se(Y, fit, replications=replications, seed=seed)
        if replications > 1 and len(donors) > len(tr)
        else None
    )
    om = pd.Series(fit.omega, index=donors).sort_values(ascending=False)
    lam = pd.Series(fit.lam, index=panel.times[:T0])
    out: dict[str, Any] = {
        "method": method,
        "treated": [to_plain(u) for u in tr],
        "start": to_plain(start_v),
        "att": fit.att,
        "se": se,
        "ci": None if se is None else [fit.att - 1.959964 * se, fit.att + 1.959964 * se],
        "p_value": None if not se else float(2 * norm.sf(abs(fit.att / se))),
        "weights": {str(k): float(x) for k, x in om.items() if x > 1e-6},
        "time_weights": {str(k): float(x) for k, x in lam.items() if x > 1e-6},
        "noise_level": fit.noise_level,
        "zeta_omega": fit.zeta_omega,
        "series": _series_rows(
            panel.times, treated=fit.treated_mean, synthetic=fit.synthetic, effect=fit.effect_curve
        ),
    }
    if compare:
        out["estimates"] = {m: sdid_fit(Y, len(donors), T0, m).att for m in ("sdid", "sc", "did")}  # type: ignore[arg-type]
    name = {
        "sdid": "Synthetic difference-in-differences",
        "sc": "Synthetic control (synthdid)",
        "did": "Difference-in-differences",
    }[method]
    s = f"{name}: treatment changed {outcome} by {_num(fit.att)} on average over the post-period"
    s += f" (placebo SE {_num(se)}, 95% CI {_num(out['ci'][0])} to {_num(out['ci'][1])})." if se else "."
    if compare:
        e = out["estimates"]
        s += f" For comparison: SDID {_num(e['sdid'])}, SC {_num(e['sc'])}, DiD {_num(e['did'])}."
    out["summary"] = s
    return out
