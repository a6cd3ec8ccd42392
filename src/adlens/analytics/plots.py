"""Charts for causal results: PNG (matplotlib, Agg) and self-contained interactive SVG/HTML.

The chart is described once as a small spec built from a result dict (the JSON the CLI and API
return), then rendered either way:

* ``effect`` — effect over time (gap, effect curve or event-study coefficients) with a band;
* ``paths`` — treated vs synthetic/control;
* ``weights`` — donor/control weights;
* ``placebo`` — placebo gaps ("spaghetti"), the treated unit highlighted;
* ``power`` — power curve of a geo-test design.

The SVG needs no script and no network: every point carries a ``<title>`` that browsers show on hover.
"""

from __future__ import annotations

import base64
import html
import io
import math
from typing import Any

import numpy as np

__all__ = ["chart_specs", "render_charts", "report_html", "to_png", "to_svg"]

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


def _xnum(xs: list[Any], ref: list[Any]) -> list[float]:
    try:
        return [float(v) for v in xs]
    except (TypeError, ValueError):
        pos = {str(v): i for i, v in enumerate(ref)}
        return [float(pos.get(str(v), np.nan)) for v in xs]


def _all_x(spec: Spec) -> list[Any]:
    seen: dict[str, Any] = {}
    for ln in spec.get("lines", []):
        for v in ln["x"]:
            seen.setdefault(str(v), v)
    return list(seen.values())


def to_png(spec: Spec, width: float = 7.0, height: float = 3.6, dpi: int = 110) -> bytes:
    """Render one spec to PNG bytes with matplotlib's Agg backend."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=dpi)
    ax = fig.add_subplot()
    if "bars" in spec:
        b = spec["bars"]
        ax.barh(b["labels"][::-1], b["values"][::-1], color=SYNTH)
        ax.set_xlabel("weight")
    else:
        ref = _all_x(spec)
        if spec.get("band"):
            bd = spec["band"]
            ax.fill_between(
                _xnum(bd["x"], ref),
                _nan(bd["lo"]),
                _nan(bd["hi"]),
                color=BAND,
                alpha=0.5,
                label=bd["label"],
                lw=0,
            )
        for ln in spec["lines"]:
            ax.plot(
                _xnum(ln["x"], ref),
                _nan(ln["y"]),
                color=ln["color"],
                lw=ln.get("width", 1.5),
                alpha=ln.get("alpha", 1),
                ls="--" if ln.get("dash") else "-",
                marker="o" if ln.get("points") else None,
                ms=3,
                label=ln["label"] if len(spec["lines"]) <= 4 else None,
            )
        if spec.get("vline") is not None:
            ax.axvline(_xnum([spec["vline"]], ref)[0], color="#555", ls=":", lw=1)
        if spec.get("hline") is not None:
            ax.axhline(spec["hline"], color="#555", lw=0.8)
        ax.set_xlabel(spec.get("xlabel", ""))
        ax.set_ylabel(spec.get("ylabel", ""))
        if len(spec["lines"]) <= 4 or spec.get("band"):
            ax.legend(frameon=False, fontsize=8)
        if not all(isinstance(v, (int, float)) for v in ref):
            step = max(1, len(ref) // 8)
            ax.set_xticks(range(0, len(ref), step), [str(v) for v in ref[::step]], fontsize=7)
    ax.set_title(spec["title"], fontsize=10)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def _nan(values: list[Any]) -> list[float]:
    return [np.nan if v is None else float(v) for v in values]


# ---------------------------------------------------------------- SVG (no script, hover titles)


def _fmt(v: Any) -> str:
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e5:
        return str(int(v))
    if isinstance(v, float):
        return f"{v:,.4g}" if abs(v) < 1e5 else f"{v:,.0f}"
    return html.escape(str(v))


def _nice_ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    raw = (hi - lo) / max(n - 1, 1)
    mag = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1.0
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    first = math.ceil(lo / step) * step
    return [round(first + k * step, 12) for k in range(int((hi - first) / step) + 1)]


def to_svg(spec: Spec, width: int = 640, height: int = 300) -> str:
    """Render one spec to an inline ``<svg>`` with ``<title>`` hover labels on every point and bar."""
    e = html.escape
    pad_l, pad_r, pad_t, pad_b = 58, 24, 28, 36
    W, H = width - pad_l - pad_r, height - pad_t - pad_b
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" aria-label="{e(spec["title"])}" class="adlens-chart" font-family="system-ui,sans-serif" font-size="11">'
    ]
    out.append(
        f'<text x="{width / 2}" y="16" text-anchor="middle" font-size="13" font-weight="600">{e(spec["title"])}</text>'
    )
    if "bars" in spec:
        b = spec["bars"]
        n = max(len(b["labels"]), 1)
        vmax = max([*b["values"], 1e-12])
        bh = H / n
        for i, (lab, val) in enumerate(zip(b["labels"], b["values"], strict=False)):
            y = pad_t + i * bh
            w = (W - 90) * val / vmax
            out.append(
                f'<text x="{pad_l + 86}" y="{y + bh * 0.7:.1f}" text-anchor="end">{e(str(lab))[:22]}</text>'
            )
            out.append(
                f'<rect x="{pad_l + 90}" y="{y + bh * 0.15:.1f}" width="{max(w, 0.5):.1f}" height="{bh * 0.7:.1f}" fill="{SYNTH}"><title>{e(str(lab))}: {val:.4f}</title></rect>'
            )
        out.append("</svg>")
        return "".join(out)
    ref = _all_x(spec)
    numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in ref)
    xs_all = _xnum(ref, ref) if numeric else list(range(len(ref)))
    ys_all = [v for ln in spec["lines"] for v in ln["y"] if v is not None and math.isfinite(v)]
    if spec.get("band"):
        ys_all += [v for v in spec["band"]["lo"] + spec["band"]["hi"] if v is not None and math.isfinite(v)]
    if spec.get("hline") is not None:
        ys_all.append(spec["hline"])
    if not ys_all or not xs_all:
        out.append("</svg>")
        return "".join(out)
    x0, x1 = min(xs_all), max(xs_all)
    y0, y1 = min(ys_all), max(ys_all)
    x1 = x1 if x1 > x0 else x0 + 1
    y1 = y1 if y1 > y0 else y0 + 1
    yr = y1 - y0
    y0, y1 = y0 - 0.05 * yr, y1 + 0.05 * yr

    def X(v: Any) -> float:
        xv = float(v) if numeric else float({str(r): i for i, r in enumerate(ref)}.get(str(v), 0))
        return pad_l + (xv - x0) / (x1 - x0) * W

    def Y(v: float) -> float:
        return pad_t + (1 - (v - y0) / (y1 - y0)) * H

    for v in _nice_ticks(y0, y1):  # y grid + labels
        out.append(f'<line x1="{pad_l}" x2="{pad_l + W}" y1="{Y(v):.1f}" y2="{Y(v):.1f}" stroke="#eee"/>')
        out.append(
            f'<text x="{pad_l - 4}" y="{Y(v) + 4:.1f}" text-anchor="end" fill="#555">{_fmt(float(v))}</text>'
        )
    step = max(1, len(ref) // 8)
    for v in ref[::step]:
        out.append(
            f'<text x="{X(v):.1f}" y="{pad_t + H + 14}" text-anchor="middle" fill="#555">{_fmt(v)}</text>'
        )
    out.append(
        f'<text x="{pad_l + W / 2}" y="{height - 4}" text-anchor="middle" fill="#333">{e(spec.get("xlabel", ""))}</text>'
    )
    if spec.get("band"):
        bd = spec["band"]
        pts = [(X(x), Y(h)) for x, h in zip(bd["x"], bd["hi"], strict=False) if h is not None]
        pts += [
            (X(x), Y(lo)) for x, lo in reversed(list(zip(bd["x"], bd["lo"], strict=False))) if lo is not None
        ]
        if pts:
            path = " ".join(f"{a:.1f},{b:.1f}" for a, b in pts)
            out.append(
                f'<polygon points="{path}" fill="{BAND}" fill-opacity="0.45"><title>{e(bd["label"])}</title></polygon>'
            )
    if spec.get("hline") is not None:
        out.append(
            f'<line x1="{pad_l}" x2="{pad_l + W}" y1="{Y(spec["hline"]):.1f}" y2="{Y(spec["hline"]):.1f}" stroke="#777"/>'
        )
    if spec.get("vline") is not None:
        try:
            vx = pad_l + (float(spec["vline"]) - x0) / (x1 - x0) * W if numeric else X(spec["vline"])
            out.append(
                f'<line x1="{vx:.1f}" x2="{vx:.1f}" y1="{pad_t}" y2="{pad_t + H}" stroke="#555" stroke-dasharray="3,3"/>'
            )
        except (TypeError, ValueError):
            pass
    many = len(spec["lines"]) > 6
    for ln in spec["lines"]:
        line_pts = [
            (X(x), Y(y), x, y)
            for x, y in zip(ln["x"], ln["y"], strict=False)
            if y is not None and math.isfinite(y)
        ]
        if not line_pts:
            continue
        d = " ".join(f"{a:.1f},{b:.1f}" for a, b, _, _ in line_pts)
        dash = ' stroke-dasharray="6,4"' if ln.get("dash") else ""
        out.append(
            f'<polyline points="{d}" fill="none" stroke="{ln["color"]}" stroke-width="{ln.get("width", 1.5)}" stroke-opacity="{ln.get("alpha", 1)}"{dash}><title>{e(str(ln["label"]))}</title></polyline>'
        )
        if not many or ln.get("width", 1) > 2:
            r = 3 if ln.get("points") else 2.2
            for a, b, x, y in line_pts:
                out.append(
                    f'<circle cx="{a:.1f}" cy="{b:.1f}" r="{r}" fill="{ln["color"]}"><title>{e(str(ln["label"]))} · {e(str(x))}: {_fmt(float(y))}</title></circle>'
                )
    if not many:
        for k, ln in enumerate(spec["lines"]):
            lx = pad_l + 8 + k * 150
            out.append(
                f'<rect x="{lx}" y="{pad_t + 2}" width="12" height="3" fill="{ln["color"]}"/><text x="{lx + 16}" y="{pad_t + 7}">{e(str(ln["label"]))[:20]}</text>'
            )
    out.append("</svg>")
    return "".join(out)


def render_charts(result: dict[str, Any], fmt: str = "svg") -> dict[str, str]:
    """Charts for a result: ``{name: svg markup}`` or ``{name: data:image/png;base64,…}``."""
    charts = {}
    for spec in chart_specs(result):
        if fmt == "png":
            charts[spec["name"]] = "data:image/png;base64," + base64.b64encode(to_png(spec)).decode()
        else:
            charts[spec["name"]] = to_svg(spec)
    return charts


def report_html(result: dict[str, Any], title: str = "adlens analytics") -> str:
    """A self-contained HTML page (no scripts, no external resources) with the summary and charts."""
    svgs = "".join(
        f'<figure style="margin:0 0 1.5rem">{s}</figure>' for s in render_charts(result, "svg").values()
    )
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title><style>body{{font-family:system-ui,sans-serif;max-width:760px;margin:2rem auto;color:#222}}"
        "svg{width:100%;height:auto}</style></head><body>"
        f"<h1>{html.escape(title)}</h1><p>{html.escape(str(result.get('summary', '')))}</p>{svgs}</body></html>"
    )
