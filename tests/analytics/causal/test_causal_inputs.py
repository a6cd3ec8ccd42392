"""Bad input becomes a specific InvalidInput, never a traceback or a silent NaN."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from adlens.analytics.causal.sdid import sdid_fit
from adlens.analytics.causal.service import run_did, run_sdid, run_synth
from adlens.analytics.panel import build_panel, guess_columns, load_table, split_treated
from adlens.errors import InvalidInput, UnsupportedMedia


def small(n_units: int = 6, n_t: int = 8) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        [(f"s{u}", 2000 + t, 10 + u + t + rng.normal()) for u in range(n_units) for t in range(n_t)],
        columns=["state", "year", "sales"],
    )


def test_gappy_panel_names_units_and_periods():
    df = small().drop(index=[3, 20])
    with pytest.raises(InvalidInput, match=r"unbalanced.*s0: 2003.*s2: 2004"):
        build_panel(df, "state", "year", "sales")


def test_missing_outcome_is_reported_not_nan():
    df = small()
    df.loc[5, "sales"] = np.nan
    with pytest.raises(InvalidInput, match="s0: 2005"):
        build_panel(df, "state", "year", "sales")


def test_duplicate_rows():
    df = pd.concat([small(), small().iloc[[0]]])
    with pytest.raises(InvalidInput, match=r"duplicate rows.*s0 @ 2000"):
        build_panel(df, "state", "year", "sales")


def test_constant_outcome():
    df = small().assign(sales=3.0)
    with pytest.raises(InvalidInput, match="constant"):
        build_panel(df, "state", "year", "sales")


def test_non_numeric_outcome_and_bad_time():
    df = small().astype({"sales": object})
    df.loc[2, "sales"] = "n/a"
    with pytest.raises(InvalidInput, match=r"must be numeric.*n/a"):
        build_panel(df, "state", "year", "sales")
    df = small().astype({"year": object})
    df.loc[1, "year"] = "last year"
    with pytest.raises(InvalidInput, match="numbers or dates"):
        build_panel(df, "state", "year", "sales")


def test_start_outside_data_and_no_pre_period():
    panel = build_panel(small(), "state", "year", "sales")
    with pytest.raises(InvalidInput, match="after the last period"):
        split_treated(panel, ["s1"], 2030)
    with pytest.raises(InvalidInput, match="no pre-treatment period"):
        split_treated(panel, ["s1"], 2000)
    with pytest.raises(InvalidInput, match="no pre-treatment period"):
        split_treated(panel, ["s1"], 1990)


def test_unknown_treated_and_too_few_donors():
    panel = build_panel(small(n_units=3), "state", "year", "sales")
    with pytest.raises(InvalidInput, match="unknown treated unit 'Texas'"):
        split_treated(panel, ["Texas"], 2004)
    with pytest.raises(InvalidInput, match="too few control units: 1"):
        split_treated(panel, ["s0", "s1"], 2004)


def test_synth_sdid_did_services_refuse_cleanly():
    df = small()
    with pytest.raises(InvalidInput, match="column\\(s\\) 'revenue' not found"):
        run_synth(df, unit="state", time="year", outcome="revenue", treated="s0", start=2004)
    with pytest.raises(InvalidInput, match="pre-treatment"):
        run_sdid(df, unit="state", time="year", outcome="sales", treated=["s0"], start=2001, replications=0)
    with pytest.raises(InvalidInput, match="outside the data"):
        run_did(df, unit="state", time="year", outcome="sales", treated=["s0"], start=2050)
    with pytest.raises(InvalidInput, match="either a 0/1 --treatment"):
        run_did(df, unit="state", time="year", outcome="sales")
    with pytest.raises(InvalidInput, match="need at least one control"):
        sdid_fit(np.ones((3, 5)), 0, 3)


def test_load_table_formats(tmp_path):
    df = small()
    semi = df.to_csv(sep=";", index=False).encode()
    assert load_table(semi, "x.csv").shape == df.shape
    df.to_parquet(tmp_path / "p.parquet")
    assert load_table(tmp_path / "p.parquet").equals(df)
    with pytest.raises(InvalidInput, match="empty"):
        load_table(b"", "x.csv")
    with pytest.raises(InvalidInput, match="not found"):
        load_table(tmp_path / "nope.csv")
    with pytest.raises(UnsupportedMedia):
        load_table(b"PK\x03\x04", "book.xlsx")
    buf = io.BytesIO()
    df.to_parquet(buf)
    assert load_table(buf.getvalue(), "upload.bin").shape == df.shape  # sniffed by magic bytes


def test_guess_columns_on_prop99(prop99):
    g = guess_columns(prop99)
    assert (g["unit"], g["time"], g["outcome"], g["treatment"]) == (
        "State",
        "Year",
        "PacksPerCapita",
        "treated",
    )
    assert g["treated_units"] == ["California"] and g["start"] == 1989


def test_infinite_outcome_and_bad_dates():
    df = small()
    df.loc[4, "sales"] = np.inf
    with pytest.raises(InvalidInput, match="infinite"):
        build_panel(df, "state", "year", "sales")
    with pytest.raises(InvalidInput, match="infinite"):
        run_did(df, unit="state", time="year", outcome="sales", treated=["s0"], start=2004)
    dated = small().assign(year=lambda d: pd.to_datetime(d["year"].astype(str) + "-01-01"))
    with pytest.raises(InvalidInput, match="not a valid date"):
        run_synth(dated, unit="state", time="year", outcome="sales", treated="s0", start="soon")
    with pytest.raises(InvalidInput, match="unknown period"):
        run_synth(
            dated,
            unit="state",
            time="year",
            outcome="sales",
            treated="s0",
            start="2004-01-01",
            fit_periods=["1999-01-01"],
        )
    ok = run_synth(
        dated,
        unit="state",
        time="year",
        outcome="sales",
        treated="s0",
        start="2004-01-01",
        placebo=False,
        loo=False,
    )
    assert np.isfinite(ok["att"])
