"""Chart specs for causal results: one small dict per chart, built from a result dict.

A spec is rendered by :mod:`adlens.analytics.plots` (PNG) or :mod:`adlens.analytics.plots_svg` (SVG).
Kinds: ``effect`` (effect over time with a band), ``paths`` (treated vs synthetic/control), ``weights``
(donor/control weights), ``placebo`` (placebo gaps, treated highlighted), ``power`` (power curve).
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["BAND", "GREY", "SYNTH", "TREATED", "Spec", "all_x", "chart_specs", "nan_floats", "xnum"]

Spec = dict[str, Any]
TREATED, SYNTH, BAND, GREY = "#c0392b", "#2c3e80", "#9fb3d9", "#9aa0a6"


def _col(rows: list[dict[str, Any]], key: str) -> list[Any]:
    return [r.get(key) for r in rows]


def chart_specs(result: dict[str, Any]) -> list[Spec]:
    """Chart specs that make sense for this result (depends on ``result["method"]``)."""
    m = result.get("method")
    specs: list[Spec] = []
    series = result.get("series") or []
    start = result.get("start")
    if m == "synth":
        x = _col(series, "time")
        band = None
        pl = result.get("placebo")
        if pl:
            gaps = np.array(
                [
                    [np.nan if v is None else v for v in g]
                    for u, g in pl["gaps"].items()
                    if u != str(result["treated"])
                ]
            )
            if gaps.size:
                band = {
                    "x": pl["times"],
                    "lo": np.nanquantile(gaps, 0.05, axis=0).tolist(),
                    "hi": np.nanquantile(gaps, 0.95, axis=0).tolist(),
                    "label": "placebo 5–95%",
                }
        specs.append(_effect("Gap: treated − synthetic", x, _col(series, "gap"), band, start, "gap"))
        specs.append(_paths(x, series, start, str(result["treated"]), "synthetic"))
        specs.append(_weights(result["weights"], "Donor weights"))
        if pl:
            lines = [
                {"label": u, "x": pl["times"], "y": g, "color": GREY, "width": 1, "alpha": 0.5}
                for u, g in pl["gaps"].items()
                if u != str(result["treated"])
            ]
            lines.append(
                {
                    "label": str(result["treated"]),
                    "x": pl["times"],
                    "y": pl["gaps"][str(result["treated"])],
                    "color": TREATED,
                    "width": 2.5,
                    "alpha": 1,
                }
            )
            specs.append(
                {
                    "name": "placebo",
                    "title": f"Placebo gaps (p = {pl['p_value']:.3f})",
                    "xlabel": "period",
                    "ylabel": "gap",
                    "lines": lines,
                    "vline": start,
                    "hline": 0,
                }
            )
    elif m in ("sdid", "sc", "did") and "time_weights" in result:
        x = _col(series, "time")
        se = result.get("se")
        eff = _col(series, "effect")
        band = None
        if se:
            post = [t for t in x if _ge(t, start)]
            band = {
                "x": post,
                "lo": [e - 1.96 * se for t, e in zip(x, eff, strict=False) if _ge(t, start)],
                "hi": [e + 1.96 * se for t, e in zip(x, eff, strict=False) if _ge(t, start)],
                "label": "±1.96·SE of the average effect",
            }
        specs.append(_effect("Effect by period (λ-adjusted gap)", x, eff, band, start, "effect"))
        specs.append(_paths(x, series, start, "treated (mean)", "synthetic (ω-weighted)"))
        specs.append(_weights(result["weights"], "Unit weights ω"))
    elif m in ("twfe", "cs") and result.get("effects"):
        eff = result["effects"]
        key = "estimate" if "estimate" in eff[0] else "att"
        x = _col(eff, "event_time")
        band = {"x": x, "lo": _col(eff, "ci_low"), "hi": _col(eff, "ci_high"), "label": "95% CI"}
        specs.append(
            _effect(
                "Event study: effect by periods since treatment",
                x,
                _col(eff, key),
                band,
                -0.5,
                "effect",
                points=True,
            )
        )
        specs[-1]["xlabel"] = "periods since treatment (−1 = reference)"
    elif m == "geo-design":
        x = _col(series, "time")
        specs.append(_paths(x, series, None, "treated (index)", "controls (index)"))
        specs.append(_weights(result["controls"], "Control market weights"))
        pc = result["power_curve"]
        specs.append(
            {
                "name": "power",
                "title": "Power by true lift",
                "xlabel": "relative lift",
                "ylabel": "power",
                "lines": [
                    {
                        "label": "power",
                        "x": _col(pc, "effect"),
                        "y": _col(pc, "power"),
                        "color": SYNTH,
                        "width": 2,
                        "alpha": 1,
                        "points": True,
                    }
                ],
                "hline": 0.8,
            }
        )
    return specs


def _ge(t: Any, start: Any) -> bool:
    try:
        return bool(t >= start)
    except TypeError:
        return str(t) >= str(start)


def _effect(
    title: str,
    x: list[Any],
    y: list[Any],
    band: dict[str, Any] | None,
    vline: Any,
    label: str,
    points: bool = False,
) -> Spec:
    return {
        "name": "effect",
        "title": title,
        "xlabel": "period",
        "ylabel": label,
        "lines": [
            {"label": label, "x": x, "y": y, "color": TREATED, "width": 2, "alpha": 1, "points": points}
        ],
        "band": band,
        "vline": vline,
        "hline": 0,
    }


def _paths(x: list[Any], series: list[dict[str, Any]], start: Any, a: str, b: str) -> Spec:
    return {
        "name": "paths",
        "title": "Treated vs synthetic",
        "xlabel": "period",
        "ylabel": "outcome",
        "lines": [
            {"label": a, "x": x, "y": _col(series, "treated"), "color": TREATED, "width": 2, "alpha": 1},
            {
                "label": b,
                "x": x,
                "y": _col(series, "synthetic"),
                "color": SYNTH,
                "width": 2,
                "alpha": 1,
                "dash": True,
            },
        ],
        "vline": start,
    }


def _weights(weights: dict[str, float], title: str, top: int = 15) -> Spec:
    items = sorted(weights.items(), key=lambda kv: -kv[1])[:top]
    return {
        "name": "weights",
        "title": title,
        "bars": {"labels": [k for k, _ in items], "values": [v for _, v in items]},
    }


# ---------------------------------------------------------------- PNG (matplotlib)


def xnum(xs: list[Any], ref: list[Any]) -> list[float]:
    try:
        return [float(v) for v in xs]
    except (TypeError, ValueError):
        pos = {str(v): i for i, v in enumerate(ref)}
        return [float(pos.get(str(v), np.nan)) for v in xs]


def all_x(spec: Spec) -> list[Any]:
    seen: dict[str, Any] = {}
    for ln in spec.get("lines", []):
        for v in ln["x"]:
            seen.setdefault(str(v), v)
    return list(seen.values())


def nan_floats(values: list[Any]) -> list[float]:
    return [np.nan if v is None else float(v) for v in values]
