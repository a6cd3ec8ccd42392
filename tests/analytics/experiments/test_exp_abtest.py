"""End-to-end A/B analysis from per-user rows and from aggregated counts; bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportions_ztest
from statsmodels.stats.weightstats import ttest_ind

from adlens.analytics.experiments import abtest_counts, abtest_rows, parse_counts, parse_sums, read_table
from adlens.cli.output import dumps
from adlens.errors import InvalidInput, UnsupportedMedia


def test_rows_pick_the_right_test_and_correct(users: pd.DataFrame) -> None:
    r = abtest_rows(users, arm="variant", metrics=["converted", "revenue"], ratios=["ctr=clicks/impressions"])
    assert r.control == "A" and r.arms == ["A", "B"] and r.n_tests == 3
    conv, rev, ctr = r.comparisons
    a, b = users[users.variant == "A"], users[users.variant == "B"]
    assert conv.test == "two-proportion z-test"
    z, p = proportions_ztest([b.converted.sum(), a.converted.sum()], [len(b), len(a)])
    assert (conv.statistic, conv.p_value) == pytest.approx((z, p), rel=1e-12)
    assert rev.test == "Welch t-test"
    t, p2, _ = ttest_ind(b.revenue, a.revenue, usevar="unequal")
    assert (rev.statistic, rev.p_value) == pytest.approx((t, p2), rel=1e-10)
    assert ctr.kind == "ratio"
    assert ctr.control.estimate == pytest.approx(a.clicks.sum() / a.impressions.sum())
    holm = multipletests([c.p_value for c in r.comparisons], method="holm")[1]
    assert [c.p_adjusted for c in r.comparisons] == pytest.approx(list(holm), rel=1e-12)
    assert "Holm correction across 3 metrics" in conv.summary
    assert conv.summary.startswith("Variant B converts") and "95 % CI" in conv.summary
    assert not r.srm.mismatch
    doc = dumps(r)  # JSON-able
    assert b"NaN" not in doc


def test_cuped_reduces_variance_and_keeps_the_estimate(users: pd.DataFrame) -> None:
    plain = abtest_rows(users, arm="variant", metrics=["revenue"]).comparisons[0]
    adj = abtest_rows(users, arm="variant", metrics=["revenue"], covariate="pre_revenue").comparisons[0]
    assert adj.cuped["variance_reduction"] > 0.5
    assert adj.se < plain.se
    assert adj.cuped["unadjusted"]["p_value"] == pytest.approx(plain.p_value)
    assert abs(adj.abs_lift - 4.0) < 3 * adj.se  # simulated effect is +4
    assert "CUPED on pre_revenue" in adj.summary


def test_sequential_and_plots(users: pd.DataFrame) -> None:
    r = abtest_rows(
        users, arm="variant", metrics=["converted", "revenue"], sequential=True, order_by="ts", plots=True
    )
    for c in r.comparisons:
        seq = c.sequential
        assert 0.0 < seq["p_value"] <= 1.0
        assert seq["ci"]["low"] <= c.abs_lift <= seq["ci"]["high"]
        assert len(seq["path"]["n"]) == 100
        assert "always-valid" in c.summary
    assert set(r.plots) == {"lift", "sequential"}
    import base64

    assert base64.b64decode(r.plots["lift"])[:8] == b"\x89PNG\r\n\x1a\n"


def test_multi_arm_vs_control(users: pd.DataFrame) -> None:
    df = users.copy()
    df.loc[df.index[::3], "variant"] = "C"
    r = abtest_rows(df, arm="variant", metrics=["converted"], correction="bh")
    assert r.arms == ["A", "B", "C"] and [c.treatment.name for c in r.comparisons] == ["B", "C"]
    assert "Benjamini–Hochberg correction across 2 comparisons" in r.comparisons[0].summary


def test_lalonde_via_rows(nsw: pd.DataFrame) -> None:
    r = abtest_rows(nsw, arm="treat", metrics=["re78"], control="0", planned_split={"0": 260, "1": 185})
    c = r.comparisons[0]
    assert round(c.abs_lift) == 1794 and (round(c.abs_ci.low), round(c.abs_ci.high)) == (474, 3115)
    assert not r.srm.mismatch and c.significant
    assert "Variant 1 has 39.4 % higher re78 than 0" in c.summary


def test_counts_input() -> None:
    r = abtest_counts(parse_counts("A:1000:120,B:1000:150"))
    c = r.comparisons[0]
    assert c.rel_lift == pytest.approx(0.25) and c.p_value == pytest.approx(0.04964038686536878, rel=1e-12)
    assert c.summary.startswith("Variant B converts 25.0 % better than A on conversion (95 % CI")
    assert "p = 0.0496; significant at α = 0.05." in c.summary
    both = abtest_counts(
        parse_counts("A:500:50,B:520:70"), parse_sums("A:500:12000:410000,B:520:13500:460000")
    )
    assert [c.kind for c in both.comparisons] == ["proportion", "mean"]
    seq = abtest_counts(parse_counts("A:1000:120,B:1000:150"), sequential=True)
    assert seq.comparisons[0].sequential["p_value"] > c.p_value


def test_srm_flagged_in_summary() -> None:
    r = abtest_counts(parse_counts("A:10000:1000,B:10600:1100"))
    assert r.srm.mismatch and r.summary.startswith("WARNING: Sample-ratio mismatch")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"metrics": ["nope"]}, "'nope' not found"),
        ({"metrics": []}, "at least one metric"),
        ({"metrics": ["converted"], "control": "Z"}, "control arm 'Z' not found"),
        ({"metrics": ["converted"], "alpha": 0}, "alpha"),
        ({"metrics": ["converted"], "correction": "sidak"}, "unknown correction"),
        ({"metrics": ["converted"], "covariate": "other=pre_revenue"}, "not among the metrics"),
    ],
)
def test_bad_rows_options(users: pd.DataFrame, kwargs, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        abtest_rows(users, arm="variant", **kwargs)


def test_bad_rows_data(users: pd.DataFrame) -> None:
    with pytest.raises(InvalidInput, match="at least 2 arms"):
        abtest_rows(users[users.variant == "A"], arm="variant", metrics=["converted"])
    df = users.head(50).copy().astype({"revenue": object})
    df.loc[df.index[3], "revenue"] = "n/a"
    with pytest.raises(InvalidInput, match="'revenue' is not numeric"):
        abtest_rows(df, arm="variant", metrics=["revenue"])
    with pytest.raises(InvalidInput, match="no rows"):
        abtest_rows(users.head(0), arm="variant", metrics=["revenue"])
    flat = users.assign(flat=1.5)
    with pytest.raises(InvalidInput, match="zero variance"):
        abtest_rows(flat, arm="variant", metrics=["flat"])
    missing = users.head(20).copy()
    missing.loc[missing.index[0], "revenue"] = np.nan
    with pytest.raises(InvalidInput, match="missing value"):
        abtest_rows(missing, arm="variant", metrics=["revenue"])


def test_bad_counts_specs() -> None:
    with pytest.raises(InvalidInput, match="ARM:USERS:CONVERSIONS"):
        parse_counts("A:1000")
    with pytest.raises(InvalidInput, match="exceed users"):
        parse_counts("A:100:120,B:100:10")
    with pytest.raises(InvalidInput, match="must not be negative"):
        parse_counts("A:100:-1,B:100:10")
    with pytest.raises(InvalidInput, match="not a number"):
        parse_counts("A:ten:1,B:100:10")
    with pytest.raises(InvalidInput, match="at least 2 arms"):
        abtest_counts(parse_counts("A:100:10"))
    with pytest.raises(InvalidInput, match="twice"):
        parse_counts("A:100:10,A:100:12")


def test_read_table(tmp_path, users: pd.DataFrame) -> None:
    users.head(30).to_parquet(tmp_path / "u.parquet")
    users.head(30).to_csv(tmp_path / "u.csv", index=False)
    assert read_table(tmp_path / "u.parquet").shape == read_table(tmp_path / "u.csv").shape == (30, 7)
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(InvalidInput, match="empty"):
        read_table(tmp_path / "empty.csv")
    (tmp_path / "header.csv").write_text("variant,converted\n")
    with pytest.raises(InvalidInput, match="no rows"):
        read_table(tmp_path / "header.csv")
    with pytest.raises(InvalidInput, match="not found"):
        read_table(tmp_path / "missing.csv")
    with pytest.raises(UnsupportedMedia):
        read_table(b"x", "data.xlsx")
    with pytest.raises(InvalidInput, match="could not read"):
        read_table(b"not a parquet file", "data.parquet")


def test_zero_control_rate_uses_percentage_points_and_warns() -> None:
    r = abtest_counts(parse_counts("A:100:0,B:100:5"))
    c = r.comparisons[0]
    assert c.rel_lift is None and c.rel_ci is None
    assert "by +5.00 percentage points vs A (95 % CI +0.73 to +9.27)" in c.summary
    assert any("degenerate" in w for w in r.warnings) and any("undefined" in w for w in r.warnings)
