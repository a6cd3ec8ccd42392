"""Causal inference for advertiser analytics: DiD, event studies, staggered adoption, synthetic
control (with placebo inference), synthetic DiD and geo-test design."""

from adlens.analytics.causal.did import DidResult, cluster_ols, did_2x2, twfe
from adlens.analytics.causal.event_study import EventStudy, event_study
from adlens.analytics.causal.geo import GeoDesign, geo_design
from adlens.analytics.causal.placebo import LeaveOneOut, PlaceboResult, leave_one_out, placebo_in_space
from adlens.analytics.causal.sdid import SdidResult, placebo_se, sdid_fit
from adlens.analytics.causal.service import run_did, run_geo_design, run_sdid, run_synth
from adlens.analytics.causal.staggered import StaggeredResult, callaway_santanna
from adlens.analytics.causal.synth import Predictor, SynthResult, fit_synth, parse_predictor, synth_fit_one

__all__ = [
    "DidResult",
    "EventStudy",
    "GeoDesign",
    "LeaveOneOut",
    "PlaceboResult",
    "Predictor",
    "SdidResult",
    "StaggeredResult",
    "SynthResult",
    "callaway_santanna",
    "cluster_ols",
    "did_2x2",
    "event_study",
    "fit_synth",
    "geo_design",
    "leave_one_out",
    "parse_predictor",
    "placebo_in_space",
    "placebo_se",
    "run_did",
    "run_geo_design",
    "run_sdid",
    "run_synth",
    "sdid_fit",
    "synth_fit_one",
    "twfe",
]
