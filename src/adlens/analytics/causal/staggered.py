"""Staggered adoption: Callaway & Sant'Anna (2021) group-time ATTs without covariates.

ATT(g,t) = E[Y_t − Y_b | G=g] − E[Y_t − Y_b | C], with base period b = g−1 for t ≥ g ("universal"
for post periods) and b = t−1 for t < g ("varying", the CS default for pre-periods). Controls C are
the never-treated units, or the not-yet-treated units (first treated after t, plus never-treated).
Standard errors come from the influence functions of these differences in means (analytic) or a
Rademacher multiplier bootstrap over them. The "simple" aggregation averages post-treatment
ATT(g,t) with weights proportional to cohort size, accounting for the estimated weights in its
influence function; the "dynamic" aggregation does the same per event time e = t − g.
Units treated in the first period have no pre-period and are dropped (reported).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from adlens.analytics.causal.did import prepare_long
from adlens.analytics.causal.event_study import cohorts_from_treatment
from adlens.analytics.panel import build_panel
from adlens.errors import InvalidInput

__all__ = ["StaggeredResult", "callaway_santanna"]


@dataclass
class StaggeredResult:
    """Group-time ATTs, the simple overall ATT and the event-time aggregation."""

    att: float
    se: float
    ci: tuple[float, float]
    p_value: float
    group_time: pd.DataFrame  # cohort, time, event_time, att, se, n_treated, n_control
    dynamic: pd.DataFrame  # index event_time: att, se, ci_low, ci_high
    control_group: str
    se_method: str
    notes: list[str] = field(default_factory=list)


def _agg(atts: np.ndarray, ifs: np.ndarray, p: np.ndarray, ifp: np.ndarray) -> tuple[float, np.ndarray]:
    """Weighted average Σp·att/Σp and its influence function (weights estimated)."""
    S = p.sum()
    theta = float(p @ atts / S)
    if_a = ifs @ p + ifp @ atts
    if_s = ifp.sum(axis=1)
    return theta, (if_a - theta * if_s) / S


def callaway_santanna(
    df: pd.DataFrame,
    unit: str,
    time: str,
    outcome: str,
    treatment: str,
    *,
    control_group: Literal["never_treated", "not_yet_treated"] = "never_treated",
    se_method: Literal["analytic", "bootstrap"] = "analytic",
    n_boot: int = 999,
    seed: int = 0,
    level: float = 0.95,
) -> StaggeredResult:
    """Estimate ATT(g,t) and aggregations from a balanced long panel with an absorbing 0/1 treatment."""
    work = prepare_long(df, unit, time, outcome, treatment)
    panel = build_panel(work, unit, time, outcome)
    Y = panel.Y.to_numpy(float)
    times = panel.times
    g_first = cohorts_from_treatment(work, unit, time, treatment).reindex(panel.units)
    pos = {t: i for i, t in enumerate(times)}
    G = np.array([pos[v] if pd.notna(v) else np.inf for v in g_first], dtype=float)
    notes: list[str] = []
    always = np.flatnonzero(G == 0)
    if always.size:
        notes.append(f"{always.size} unit(s) treated from the first period were dropped (no pre-period)")
    keep = G > 0
    Y, G = Y[keep], G[keep]
    n = len(G)
    cohorts = sorted(set(G[np.isfinite(G)]))
    if not cohorts:
        raise InvalidInput("no unit becomes treated after the first period")
    if control_group == "never_treated" and not np.isinf(G).any():
        raise InvalidInput("no never-treated units: use control_group=not_yet_treated")
    rows, ifs = [], []
    for g in cohorts:
        gi = int(g)
        in_g = g == G
        for t in range(len(times)):
            if t < gi and t == 0:
                continue
            base = gi - 1 if t >= gi else t - 1
            ctrl = np.isinf(G) if control_group == "never_treated" else (max(t, base) < G) & ~in_g
            if ctrl.sum() == 0:
                continue
            dy = Y[:, t] - Y[:, base]
            mg, mc = dy[in_g].mean(), dy[ctrl].mean()
            inf = np.zeros(n)
            inf[in_g] = n / in_g.sum() * (dy[in_g] - mg)
            inf[ctrl] = -n / ctrl.sum() * (dy[ctrl] - mc)
            rows.append(
                {
                    "cohort": times[gi],
                    "time": times[t],
                    "event_time": t - gi,
                    "att": mg - mc,
                    "se": float(np.sqrt((inf**2).sum()) / n),
                    "n_treated": int(in_g.sum()),
                    "n_control": int(ctrl.sum()),
                    "_g": g,
                }
            )
            ifs.append(inf)
    if not rows:
        raise InvalidInput("no group-time cell has both treated and control units")
    gt = pd.DataFrame(rows)
    IF = np.column_stack(ifs)
    atts = gt["att"].to_numpy()
    pg = np.array([(g == G).mean() for g in gt["_g"]])
    ifp = np.column_stack([(g == G).astype(float) - (g == G).mean() for g in gt["_g"]])
    post = (gt["event_time"] >= 0).to_numpy()
    if not post.any():
        raise InvalidInput("no post-treatment group-time cells to aggregate")
    theta, if_theta = _agg(atts[post], IF[:, post], pg[post], ifp[:, post])
    rng = np.random.default_rng(seed)
    xi = rng.choice([-1.0, 1.0], size=(n_boot, n)) if se_method == "bootstrap" else None

    def se_of(inf: np.ndarray) -> float:
        if xi is None:
            return float(np.sqrt((inf**2).sum()) / n)
        return float(np.std(xi @ inf / n, ddof=1))

    if xi is not None:
        gt["se"] = [se_of(IF[:, k]) for k in range(IF.shape[1])]
    se = se_of(if_theta)
    q = stats.norm.ppf(0.5 + level / 2)
    dyn = {}
    for e in sorted(gt["event_time"].unique()):
        m = (gt["event_time"] == e).to_numpy()
        th, inf_e = _agg(atts[m], IF[:, m], pg[m], ifp[:, m])
        s = se_of(inf_e)
        dyn[int(e)] = {"att": th, "se": s, "ci_low": th - q * s, "ci_high": th + q * s}
    dynamic = pd.DataFrame(dyn).T
    dynamic.index.name = "event_time"
    return StaggeredResult(
        att=theta,
        se=se,
        ci=(theta - q * se, theta + q * se),
        p_value=float(2 * stats.norm.sf(abs(theta / se))) if se > 0 else float("nan"),
        group_time=gt.drop(columns="_g"),
        dynamic=dynamic,
        control_group=control_group,
        se_method=se_method,
        notes=notes,
    )
