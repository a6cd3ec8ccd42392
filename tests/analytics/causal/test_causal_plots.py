"""Charts render as PNG and as self-contained SVG/HTML (hover titles, no scripts, no network)."""

from __future__ import annotations

import pytest

from adlens.analytics.causal.service import run_did, run_sdid, run_synth
from adlens.analytics.plots import chart_specs, render_charts, report_html, to_png, to_svg


@pytest.fixture(scope="module")
def synth_result(prop99):
    return run_synth(
        prop99,
        unit="State",
        time="Year",
        outcome="PacksPerCapita",
        treated="California",
        start=1989,
        loo=False,
    )


def test_synth_charts(synth_result):
    names = [s["name"] for s in chart_specs(synth_result)]
    assert names == ["effect", "paths", "weights", "placebo"]
    for spec in chart_specs(synth_result):
        png = to_png(spec)
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5000
        svg = to_svg(spec)
        assert svg.startswith("<svg") and svg.endswith("</svg>") and "<title>" in svg
    paths = to_svg(chart_specs(synth_result)[1])
    assert "California · 1989" in paths  # hover label on a point


def test_report_html_is_self_contained(synth_result):
    page = report_html(synth_result)
    assert "<script" not in page and "http://" not in page.replace("http://www.w3.org/2000/svg", "")
    assert "https://" not in page
    assert page.count("<svg") == 4
    assert "Synthetic control for California" in page


def test_sdid_and_event_study_charts(prop99):
    sd = run_sdid(
        prop99,
        unit="State",
        time="Year",
        outcome="PacksPerCapita",
        treated=["California"],
        start=1989,
        replications=20,
        compare=False,
    )
    assert set(render_charts(sd, "svg")) == {"effect", "paths", "weights"}
    did = run_did(prop99, unit="State", time="Year", outcome="PacksPerCapita", treatment="treated")
    charts = render_charts(did, "png")
    assert list(charts) == ["effect"] and charts["effect"].startswith("data:image/png;base64,")
