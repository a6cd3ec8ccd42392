"""Self-contained SVG rendering of chart specs: no script, no network; every point and bar carries a
``<title>`` that browsers show on hover."""

from __future__ import annotations

import html
import math
from typing import Any

from adlens.analytics.chart_specs import BAND, SYNTH, Spec, all_x, xnum

__all__ = ["to_svg"]


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
    ref = all_x(spec)
    numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in ref)
    xs_all = xnum(ref, ref) if numeric else list(range(len(ref)))
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
