"""Experiment analysis for advertisers: A/B tests, sequential monitoring, power, campaign incrementality.

Per-user rows or aggregated counts in; results with intervals, diagnostics (sample-ratio mismatch, CUPED variance
reduction, multiple-testing corrections) and plain-language summaries out.
"""

from adlens.analytics.experiments.abtest import abtest_counts, abtest_rows, add_plots, covariate_map
from adlens.analytics.experiments.campaign import (
    CampaignArm,
    CampaignReport,
    arm_metrics,
    campaign_report,
    campaign_rows,
)
from adlens.analytics.experiments.cuped import CupedFit, fit_cuped
from adlens.analytics.experiments.io import parse_counts, parse_split, parse_sums, read_table
from adlens.analytics.experiments.lift import delta_ratio_interval, fieller_ratio_interval, relative_lift
from adlens.analytics.experiments.means import MeanStats, compare_means, welch
from adlens.analytics.experiments.multiple import adjust, benjamini_hochberg, holm
from adlens.analytics.experiments.power import (
    PowerResult,
    normal_power,
    plan_means,
    plan_proportions,
    t_power,
)
from adlens.analytics.experiments.proportions import ProportionCounts, compare_proportions
from adlens.analytics.experiments.ratio import RatioSpec, RatioStats, compare_ratios
from adlens.analytics.experiments.report import ABTestReport
from adlens.analytics.experiments.results import ArmSummary, Comparison, Interval
from adlens.analytics.experiments.sequential import SequentialResult, always_valid
from adlens.analytics.experiments.srm import SRMResult, srm_check

__all__ = [
    "ABTestReport",
    "ArmSummary",
    "CampaignArm",
    "CampaignReport",
    "Comparison",
    "CupedFit",
    "Interval",
    "MeanStats",
    "PowerResult",
    "ProportionCounts",
    "RatioSpec",
    "RatioStats",
    "SRMResult",
    "SequentialResult",
    "abtest_counts",
    "abtest_rows",
    "add_plots",
    "adjust",
    "always_valid",
    "arm_metrics",
    "benjamini_hochberg",
    "campaign_report",
    "campaign_rows",
    "compare_means",
    "compare_proportions",
    "compare_ratios",
    "covariate_map",
    "delta_ratio_interval",
    "fieller_ratio_interval",
    "fit_cuped",
    "holm",
    "normal_power",
    "parse_counts",
    "parse_split",
    "parse_sums",
    "plan_means",
    "plan_proportions",
    "read_table",
    "relative_lift",
    "srm_check",
    "t_power",
    "welch",
]
