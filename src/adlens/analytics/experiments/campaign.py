"""Campaign metrics (CTR, CVR, CPA, ROAS) and incrementality from a test vs a control (holdout) group.

Lift in the per-user conversion rate uses the two-proportion test; incremental conversions scale the absolute
lift to the test group's size; incremental CPA = incremental cost / incremental conversions and incremental
ROAS = incremental revenue / incremental cost, with intervals mapped from the incremental-outcome intervals
(spend is treated as fixed, not random).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from statsmodels.stats.proportion import proportion_confint

from adlens.analytics.experiments.io import numeric_column, order_arms, require_columns
from adlens.analytics.experiments.lift import z_quantile
from adlens.analytics.experiments.means import MeanStats, compare_means
from adlens.analytics.experiments.proportions import ProportionCounts, compare_proportions
from adlens.analytics.experiments.results import Comparison, Interval
from adlens.errors import InvalidInput

FIELDS = ("users", "impressions", "clicks", "conversions", "cost", "revenue", "revenue_sumsq")


@dataclass(frozen=True)
class CampaignArm:
    """Totals of one group. ``revenue_sumsq`` (sum of squared per-user revenue) enables exact revenue CIs."""

    name: str
    users: int
    conversions: int
    impressions: float | None = None
    clicks: float | None = None
    cost: float = 0.0
    revenue: float | None = None
    revenue_sumsq: float | None = None

    def __post_init__(self) -> None:
        for f in FIELDS:
            v = getattr(self, f)
            if v is not None and (
                not isinstance(v, (int, float)) or isinstance(v, bool) or not math.isfinite(v)
            ):
                raise InvalidInput(f"group '{self.name}': {f} must be a number, got {v!r}")
            if v is not None and v < 0:
                raise InvalidInput(f"group '{self.name}': {f} must not be negative, got {v}")
        ProportionCounts(self.name, self.users, self.conversions)  # validates users/conversions
        if self.clicks is not None and self.impressions is not None and self.clicks > self.impressions:
            raise InvalidInput(
                f"group '{self.name}': clicks ({self.clicks:g}) exceed impressions ({self.impressions:g})"
            )

    @classmethod
    def parse(cls, name: str, spec: str | Mapping[str, float]) -> CampaignArm:
        """From ``"users=100000,conversions=1200,cost=5000,revenue=60000"`` or a mapping."""
        if isinstance(spec, str):
            items: dict[str, Any] = {}
            for part in filter(None, (p.strip() for p in spec.split(","))):
                key, sep, value = part.partition("=")
                key = key.strip().lower()
                if not sep or key not in FIELDS:
                    raise InvalidInput(f"'{part}' must be FIELD=NUMBER with FIELD one of {', '.join(FIELDS)}")
                try:
                    items[key] = float(value)
                except ValueError:
                    raise InvalidInput(f"{key} '{value}' is not a number") from None
        else:
            items = {k: v for k, v in spec.items() if v is not None}
            unknown = [k for k in items if k not in FIELDS]
            if unknown:
                raise InvalidInput(
                    f"unknown campaign field(s) {', '.join(unknown)} (use {', '.join(FIELDS)})"
                )
        for key in ("users", "conversions"):
            if key not in items:
                raise InvalidInput(f"group '{name}' needs {key}")
            if float(items[key]).is_integer():
                items[key] = int(items[key])
        return cls(name=name, **items)


def _rate(x: float | None, n: float | None, alpha: float) -> dict[str, Any] | None:
    if x is None or not n:
        return None
    if x > n:
        return {"value": x / n, "ci": None}
    lo, hi = proportion_confint(x, n, alpha=alpha, method="wilson")
    return {"value": x / n, "ci": Interval(float(lo), float(hi), 1 - alpha, "wilson")}


def arm_metrics(arm: CampaignArm, alpha: float = 0.05) -> dict[str, Any]:
    """CTR, CVR, per-user conversion rate (Wilson CIs), CPC, CPM, CPA and ROAS (CIs where defined)."""
    out: dict[str, Any] = {
        "users": arm.users,
        "ctr": _rate(arm.clicks, arm.impressions, alpha),
        "cvr": _rate(arm.conversions, arm.clicks, alpha),
        "conversion_rate": _rate(arm.conversions, arm.users, alpha),
        "cpc": arm.cost / arm.clicks if arm.clicks else None,
        "cpm": 1000 * arm.cost / arm.impressions if arm.impressions else None,
    }
    cr = out["conversion_rate"]
    cpa = None
    if arm.conversions and arm.cost:
        lo, hi = cr["ci"].low * arm.users, cr["ci"].high * arm.users
        cpa = {"value": arm.cost / arm.conversions,
               "ci": Interval(arm.cost / hi, arm.cost / lo if lo > 0 else None, 1 - alpha, "wilson-mapped")}  # fmt: skip
    out["cpa"] = cpa
    roas: dict[str, Any] | None = None
    if arm.revenue is not None and arm.cost:
        roas = {"value": arm.revenue / arm.cost, "ci": None}
        if arm.revenue_sumsq is not None and arm.users > 1:
            s = MeanStats.from_sums(arm.name, arm.users, arm.revenue, arm.revenue_sumsq)
            half = z_quantile(alpha) * math.sqrt(arm.users * s.var)
            roas["ci"] = Interval(
                (arm.revenue - half) / arm.cost, (arm.revenue + half) / arm.cost, 1 - alpha, "normal"
            )
    out["roas"] = roas
    return out


def _scaled(ci: Interval, k: float, method: str) -> Interval:
    lo, hi = sorted((ci.low * k, ci.high * k))  # type: ignore[operator]
    return Interval(lo, hi, ci.level, method)


@dataclass
class CampaignReport:
    test: str
    control: str
    alpha: float
    metrics: dict[str, dict[str, Any]]
    conversion_lift: Comparison
    revenue_lift: Comparison | None
    incremental: dict[str, Any]
    notes: list[str] = field(default_factory=list)
    summary: str = ""

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def campaign_report(test: CampaignArm, control: CampaignArm, alpha: float = 0.05) -> CampaignReport:
    """Per-group metrics plus lift and incremental conversions, revenue, CPA and ROAS with CIs."""
    if not 0.0 < alpha < 1.0:
        raise InvalidInput(f"alpha must be between 0 and 1, got {alpha}")
    notes: list[str] = []
    conv = compare_proportions(
        "conversion_rate",
        ProportionCounts(control.name, control.users, control.conversions),
        ProportionCounts(test.name, test.users, test.conversions),
        alpha,
    )
    k = test.users
    inc_conv = conv.abs_lift * k
    inc_conv_ci = _scaled(conv.abs_ci, k, "wald-unpooled × test users")
    inc_cost = test.cost - control.cost * test.users / control.users
    inc: dict[str, Any] = {"conversions": inc_conv, "conversions_ci": inc_conv_ci, "cost": inc_cost}
    # incremental CPA
    icpa = None
    if inc_cost > 0 and inc_conv > 0:
        lo, hi = inc_conv_ci.low or 0.0, inc_conv_ci.high or math.inf
        icpa = {"value": inc_cost / inc_conv,
                "ci": Interval(inc_cost / hi, inc_cost / lo if lo and lo > 0 else None, 1 - alpha, "mapped")}  # fmt: skip
    elif inc_cost > 0:
        notes.append("no incremental conversions: incremental CPA undefined")
    inc["cpa"] = icpa
    # incremental revenue and ROAS
    rev_cmp = None
    if test.revenue is not None and control.revenue is not None:
        if test.revenue_sumsq is not None and control.revenue_sumsq is not None:
            rev_cmp = compare_means(
                "revenue_per_user",
                MeanStats.from_sums(control.name, control.users, control.revenue, control.revenue_sumsq),
                MeanStats.from_sums(test.name, test.users, test.revenue, test.revenue_sumsq),
                alpha,
            )
            inc_rev, inc_rev_ci = rev_cmp.abs_lift * k, _scaled(rev_cmp.abs_ci, k, "welch × test users")
        else:
            inc_rev = (test.revenue / test.users - control.revenue / control.users) * k
            aov = test.revenue / test.conversions if test.conversions else 0.0
            inc_rev_ci = _scaled(conv.abs_ci, k * aov, "conversions CI × test average order value")
            notes.append("revenue CI approximated from the conversion CI × average order value; "
                         "give revenue_sumsq (or per-user rows) for an exact one")  # fmt: skip
        inc["revenue"], inc["revenue_ci"] = inc_rev, inc_rev_ci
        if inc_cost > 0:
            inc["roas"] = {
                "value": inc_rev / inc_cost,
                "ci": _scaled(inc_rev_ci, 1 / inc_cost, inc_rev_ci.method),
            }
        else:
            notes.append("no incremental spend: incremental ROAS undefined")
    report = CampaignReport(
        test.name, control.name, alpha, {control.name: arm_metrics(control, alpha), test.name: arm_metrics(test, alpha)},
        conv, rev_cmp, inc, notes,
    )  # fmt: skip
    report.summary = _summary(report)
    return report


def campaign_rows(
    df: pd.DataFrame, *, arm: str, test: str | None = None, control: str | None = None,
    columns: Mapping[str, str] | None = None, alpha: float = 0.05,
) -> CampaignReport:  # fmt: skip
    """Per-user rows: ``columns`` maps campaign fields (conversions, cost, revenue, ...) to column names."""
    cols = {f: f for f in ("conversions", "impressions", "clicks", "cost", "revenue") if f in df.columns}
    cols.update(columns or {})
    if "conversions" not in cols:
        raise InvalidInput("per-user campaign data needs a conversions column")
    require_columns(df, [arm, *cols.values()])
    labels = df[arm].astype(str).to_numpy()
    arms = order_arms(list(labels), control)
    if test is None:
        if len(arms) != 2:
            raise InvalidInput(f"found {len(arms)} groups ({', '.join(arms)}): name the test group")
        test = arms[1]
    if test not in arms or test == arms[0]:
        raise InvalidInput(f"test group '{test}' not found among {', '.join(arms[1:])}")
    values = {f: numeric_column(df, c) for f, c in cols.items()}
    groups = []
    for name in (test, arms[0]):
        m = labels == name
        items: dict[str, Any] = {f: float(v[m].sum()) for f, v in values.items()}
        if "revenue" in values:
            items["revenue_sumsq"] = float((values["revenue"][m] ** 2).sum())
        items["users"] = int(m.sum())
        conv = items["conversions"]
        items["conversions"] = int(conv) if conv.is_integer() else conv
        groups.append(CampaignArm(name=name, **items))
    return campaign_report(groups[0], groups[1], alpha)


def _money(x: float | None) -> str:
    return "∞" if x is None else f"{x:,.2f}"


def _summary(r: CampaignReport) -> str:
    inc, c = r.incremental, r.conversion_lift
    level = f"{(1 - r.alpha) * 100:g} %"
    ci = c.rel_ci_fieller if c.rel_ci_fieller is not None and c.rel_ci_fieller.bounded else c.rel_ci
    parts = []
    if c.rel_lift is not None and ci is not None and ci.low is not None and ci.high is not None:
        parts.append(f"Conversion rate of {r.test} is {c.rel_lift * 100:+.1f} % vs {r.control} ({level} CI "
                     f"{ci.low * 100:+.1f} % to {ci.high * 100:+.1f} %), p = {c.p_value:.3g}.")  # fmt: skip
    lo, hi = inc["conversions_ci"].low, inc["conversions_ci"].high
    parts.append(f"Incremental conversions: {inc['conversions']:,.0f} ({level} CI {lo:,.0f} to {hi:,.0f}).")
    if inc.get("cpa"):
        parts.append(f"Incremental CPA {_money(inc['cpa']['value'])} ({level} CI {_money(inc['cpa']['ci'].low)} "
                     f"to {_money(inc['cpa']['ci'].high)}).")  # fmt: skip
    if inc.get("roas"):
        rc = inc["roas"]["ci"]
        parts.append(
            f"Incremental ROAS {inc['roas']['value']:.2f} ({level} CI {rc.low:.2f} to {rc.high:.2f})."
        )
    return " ".join(parts)


__all__ = ["CampaignArm", "CampaignReport", "arm_metrics", "campaign_report", "campaign_rows"]
