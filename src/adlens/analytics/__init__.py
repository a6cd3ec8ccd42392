"""Advertiser analytics: causal inference for campaigns and geo tests (DiD, event studies,
staggered adoption, synthetic control, synthetic DiD, geo-test design) and experiments (A/B tests,
power, campaign metrics in :mod:`adlens.analytics.experiments`).

Interfaces: ``adlens.analytics.cli:app`` (``adlens analytics …``), ``adlens.analytics.api:router``
(``/api/v1/analytics/…``) and the ``/analytics`` web page.
"""

from adlens.analytics.causal import (
    callaway_santanna,
    did_2x2,
    event_study,
    fit_synth,
    geo_design,
    leave_one_out,
    placebo_in_space,
    placebo_se,
    run_did,
    run_geo_design,
    run_sdid,
    run_synth,
    sdid_fit,
    twfe,
)
from adlens.analytics.panel import Panel, build_panel, guess_columns, load_table
from adlens.analytics.plots import chart_specs, render_charts, report_html, to_png, to_svg

__all__ = [
    "Panel",
    "build_panel",
    "callaway_santanna",
    "chart_specs",
    "did_2x2",
    "event_study",
    "fit_synth",
    "geo_design",
    "guess_columns",
    "leave_one_out",
    "load_table",
    "placebo_in_space",
    "placebo_se",
    "render_charts",
    "report_html",
    "run_did",
    "run_geo_design",
    "run_sdid",
    "run_synth",
    "sdid_fit",
    "to_png",
    "to_svg",
    "twfe",
]
