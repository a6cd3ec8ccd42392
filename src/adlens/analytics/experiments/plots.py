"""Matplotlib figures as base64 PNG data (Agg backend, no global pyplot state)."""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence

from matplotlib.figure import Figure

from adlens.analytics.experiments.results import Comparison


def _png(fig: Figure) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")
    return base64.b64encode(buf.getvalue()).decode("ascii")


def lift_plot(comparisons: Sequence[Comparison]) -> str:
    """Relative lift (%) with its CI per metric and arm (absolute lift where the relative one is undefined)."""
    fig = Figure(figsize=(7, 0.6 * len(comparisons) + 1.4))
    ax = fig.subplots()
    labels = []
    for i, c in enumerate(comparisons):
        ci = c.rel_ci_fieller if c.rel_ci_fieller is not None and c.rel_ci_fieller.bounded else c.rel_ci
        if c.rel_lift is not None and ci is not None and ci.bounded:
            est, lo, hi, unit = 100 * c.rel_lift, 100 * ci.low, 100 * ci.high, "%"  # type: ignore[operator]
        else:
            est, lo, hi, unit = c.abs_lift, c.abs_ci.low or 0.0, c.abs_ci.high or 0.0, "abs"
        color = "#1a7f37" if c.significant and est > 0 else "#cf222e" if c.significant else "#57606a"
        ax.errorbar([est], [i], xerr=[[est - lo], [hi - est]], fmt="o", color=color, capsize=4)
        labels.append(f"{c.metric} ({c.treatment.name} vs {c.control.name}){'' if unit == '%' else ' [abs]'}")
    ax.axvline(0.0, color="#999", lw=1, ls="--")
    ax.set_yticks(range(len(comparisons)), labels)
    ax.invert_yaxis()
    ax.set_xlabel("relative lift, % (with confidence interval)")
    return _png(fig)


def sequential_plot(comparisons: Sequence[Comparison], alpha: float) -> str:
    """Always-valid p-value against the number of users, one line per comparison."""
    fig = Figure(figsize=(7, 4))
    ax = fig.subplots()
    for c in comparisons:
        path = (c.sequential or {}).get("path") or {}
        if len(path.get("n", [])) > 1:
            ax.plot(path["n"], path["p_value"], label=f"{c.metric} ({c.treatment.name})")
    ax.axhline(alpha, color="#cf222e", lw=1, ls="--", label=f"α = {alpha:g}")
    ax.set_yscale("log")
    ax.set_xlabel("users observed")
    ax.set_ylabel("always-valid p-value")
    ax.legend(loc="best", fontsize=8)
    return _png(fig)


__all__ = ["lift_plot", "sequential_plot"]
