"""Charts for causal results: PNG (matplotlib, Agg) and self-contained interactive SVG/HTML.

The chart is described once as a small spec built from a result dict (the JSON the CLI and API
return; :mod:`adlens.analytics.chart_specs`), then rendered either way (PNG here, SVG in
:mod:`adlens.analytics.plots_svg`).
"""

from __future__ import annotations

import base64
import html
import io
from typing import Any

from adlens.analytics.chart_specs import BAND, SYNTH, Spec, all_x, chart_specs, nan_floats, xnum
from adlens.analytics.plots_svg import to_svg

__all__ = ["chart_specs", "render_charts", "report_html", "to_png", "to_svg"]


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
        ref = all_x(spec)
        if spec.get("band"):
            bd = spec["band"]
            ax.fill_between(
                xnum(bd["x"], ref),
                nan_floats(bd["lo"]),
                nan_floats(bd["hi"]),
                color=BAND,
                alpha=0.5,
                label=bd["label"],
                lw=0,
            )
        for ln in spec["lines"]:
            ax.plot(
                xnum(ln["x"], ref),
                nan_floats(ln["y"]),
                color=ln["color"],
                lw=ln.get("width", 1.5),
                alpha=ln.get("alpha", 1),
                ls="--" if ln.get("dash") else "-",
                marker="o" if ln.get("points") else None,
                ms=3,
                label=ln["label"] if len(spec["lines"]) <= 4 else None,
            )
        if spec.get("vline") is not None:
            ax.axvline(xnum([spec["vline"]], ref)[0], color="#555", ls=":", lw=1)
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
