"""The abtest / power / campaign commands through Typer (registered on a fresh app, as the aggregator does)."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys

import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from adlens.analytics.cli_experiments import register
from adlens.errors import InvalidInput


@pytest.fixture(scope="module")
def cli() -> typer.Typer:
    app = typer.Typer()
    register(app)
    return app


def run(cli: typer.Typer, *args: str) -> dict:
    res = CliRunner().invoke(cli, list(args))
    assert res.exit_code == 0, (res.output, res.exception)
    return json.loads(res.stdout)


def test_abtest_counts_json(cli) -> None:
    doc = run(cli, "abtest", "--counts", "A:1000:120,B:1000:150", "--json")
    c = doc["comparisons"][0]
    assert c["rel_lift"] == pytest.approx(0.25) and c["p_value"] == pytest.approx(0.0496403868653688)
    assert doc["summary"].startswith("Variant B converts 25.0 % better than A")


def test_abtest_data_json_with_plots(cli, users: pd.DataFrame, tmp_path) -> None:
    path = tmp_path / "users.csv"
    users.to_csv(path, index=False)
    doc = run(
        cli, "abtest", "--data", str(path), "--arm", "variant", "--metric", "converted", "--metric", "revenue",
        "--ratio", "ctr=clicks/impressions", "--covariate", "revenue=pre_revenue", "--sequential", "--order-by", "ts",
        "--plots-dir", str(tmp_path / "plots"), "--json",
    )  # fmt: skip
    assert [c["metric"] for c in doc["comparisons"]] == ["converted", "revenue", "ctr"]
    assert doc["comparisons"][1]["cuped"]["variance_reduction"] > 0.5
    assert (tmp_path / "plots" / "lift.png").read_bytes()[:4] == b"\x89PNG"
    assert (tmp_path / "plots" / "sequential.png").is_file()


def test_human_output(cli) -> None:
    res = CliRunner().invoke(cli, ["abtest", "--counts", "A:1000:120,B:1000:150"])
    assert res.exit_code == 0 and "Variant B converts" in res.stdout


def test_power_and_campaign(cli) -> None:
    p = run(cli, "power", "--baseline", "0.1", "--mde", "0.02", "--absolute", "--json")
    assert p["n_control"] == 3835 and p["solved_for"] == "n"
    m = run(cli, "power", "--kind", "mean", "--sd", "1", "--mde", "0.5", "--json")
    assert m["n_control"] == 64
    mde = run(cli, "power", "--baseline", "0.1", "--n", "3000", "--json")
    assert mde["solved_for"] == "mde"
    c = run(cli, "campaign", "--test", "users=100000,conversions=1200,cost=10000,revenue=60000",
            "--control", "users=100000,conversions=1000,revenue=50000", "--json")  # fmt: skip
    assert c["incremental"]["cpa"]["value"] == pytest.approx(50.0)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["abtest"], "give --data FILE or --counts"),
        (["abtest", "--counts", "A:100:120,B:100:10"], "exceed users"),
        (["abtest", "--data", "/nonexistent.csv", "--metric", "x"], "not found"),
        (["power", "--kind", "mean"], "--sd is required"),
        (["power", "--kind", "median", "--sd", "1"], "--kind must be"),
        (["campaign", "--test", "users=10,conversions=1"], "give --test and --control"),
    ],
)
def test_errors_are_invalid_input(cli, args, message: str) -> None:
    res = CliRunner().invoke(cli, args)
    assert isinstance(res.exception, InvalidInput) and message in res.exception.message


ROOT_MAIN = """
import sys, typer
from adlens.cli import main as m
from adlens.analytics.cli_experiments import register
sub = typer.Typer()
register(sub)
m.app.add_typer(sub, name="exp")
sys.argv = ["adlens", "exp", *sys.argv[1:]]
m.main()
"""


def test_root_main_prints_one_line_error_and_exits_2() -> None:
    out = subprocess.run(
        [sys.executable, "-c", ROOT_MAIN, "abtest", "--counts", "A:100:-1,B:100:10", "--json"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert out.returncode == 2, out.stderr
    assert out.stderr.strip() == "error: arm 'A': conversions must not be negative, got -1"
    assert out.stdout == ""


@pytest.mark.skipif(
    importlib.util.find_spec("adlens.analytics.cli") is None, reason="analytics CLI not mounted yet"
)
def test_real_cli_one_line_error() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "adlens.cli", "analytics", "abtest", "--counts", "A:100:-1,B:100:10", "--json"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert out.returncode == 2
    assert out.stderr.strip() == "error: arm 'A': conversions must not be negative, got -1"
