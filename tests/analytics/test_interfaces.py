"""The analytics CLI (Typer CliRunner) and REST API (FastAPI TestClient) on the published panels."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from adlens.analytics.api import router
from adlens.analytics.cli import app as cli_app
from adlens.analytics.panel import load_table
from adlens.api.problems import install_problem_handlers
from adlens.errors import InvalidInput

runner = CliRunner()


@pytest.fixture(scope="module")
def prop99_csv(shared_data: Path) -> Path:
    return shared_data / "prop99-california-tobacco" / "california_prop99.csv"


@pytest.fixture(scope="module")
def prop99(prop99_csv: Path) -> pd.DataFrame:
    return load_table(prop99_csv)


@pytest.fixture(scope="module")
def client() -> TestClient:
    api = FastAPI()
    install_problem_handlers(api)
    api.include_router(router, prefix="/api/v1")
    return TestClient(api)


def _json(result) -> dict:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


# ------------------------------------------------------------------------------------------- CLI


def test_cli_synth_json(prop99_csv, tmp_path):
    out = _json(
        runner.invoke(
            cli_app,
            ["synth", "--data", str(prop99_csv), "--unit", "State", "--time", "Year", "--outcome", "PacksPerCapita",
             "--treated", "California", "--start", "1989", "--json", "--png", str(tmp_path / "png"), "--html", str(tmp_path / "r.html")],
        )
    )  # fmt: skip
    assert out["att"] == pytest.approx(-19.62, abs=0.005)
    assert out["weights"]["Utah"] == pytest.approx(0.396, abs=6e-4)
    assert out["p_value"] == pytest.approx(3 / 39)
    assert {"pre_rmspe", "post_rmspe", "placebo", "series", "leave_one_out", "summary"} <= set(out)
    assert len(out["placebo"]["units"]) == 39
    assert sorted(p.name for p in (tmp_path / "png").iterdir()) == [
        f"synth-{n}.png" for n in ("effect", "paths", "placebo", "weights")
    ]
    assert "<svg" in (tmp_path / "r.html").read_text()


def test_cli_did_2x2_card_krueger(shared_data):
    data = shared_data / "card-krueger-minwage" / "card-krueger.csv"
    out = _json(
        runner.invoke(
            cli_app,
            [
                "did",
                "--data",
                str(data),
                "--outcome",
                "fte",
                "--group",
                "nj",
                "--post",
                "d",
                "--cluster",
                "id",
                "--json",
            ],
        )
    )
    assert out["method"] == "2x2" and out["att"] == pytest.approx(2.754, abs=5e-4)


def test_cli_did_panel_and_sdid(prop99_csv):
    out = _json(
        runner.invoke(
            cli_app,
            [
                "did",
                "--data",
                str(prop99_csv),
                "--unit",
                "State",
                "--time",
                "Year",
                "--outcome",
                "PacksPerCapita",
                "--treated",
                "California",
                "--start",
                "1989",
                "--json",
            ],
        )
    )
    assert out["method"] == "twfe" and out["att"] == pytest.approx(-27.349, abs=5e-4)
    assert "pretrend" in out and len(out["effects"]) == 11
    out = _json(
        runner.invoke(
            cli_app,
            [
                "sdid",
                "--data",
                str(prop99_csv),
                "--unit",
                "State",
                "--time",
                "Year",
                "--outcome",
                "PacksPerCapita",
                "--treatment",
                "treated",
                "--replications",
                "30",
                "--json",
            ],
        )
    )
    assert out["att"] == pytest.approx(-15.604, abs=5e-4)
    assert out["estimates"]["sc"] == pytest.approx(-19.620, abs=5e-4)
    assert out["se"] > 0 and out["time_weights"]["1988"] == pytest.approx(0.427, abs=6e-4)


def test_cli_geo_design_and_human_output(prop99_csv):
    out = _json(
        runner.invoke(
            cli_app,
            [
                "geo-design",
                "--data",
                str(prop99_csv),
                "--unit",
                "State",
                "--time",
                "Year",
                "--outcome",
                "PacksPerCapita",
                "--treated",
                "Utah",
                "--treated",
                "Nevada",
                "--test-length",
                "3",
                "--effect",
                "0.1",
                "--json",
            ],
        )
    )
    assert sum(out["controls"].values()) == pytest.approx(1.0) and "Utah" not in out["controls"]
    human = runner.invoke(
        cli_app,
        [
            "sdid",
            "--data",
            str(prop99_csv),
            "--unit",
            "State",
            "--time",
            "Year",
            "--outcome",
            "PacksPerCapita",
            "--treated",
            "California",
            "--start",
            "1989",
            "--replications",
            "0",
        ],
    )
    assert human.exit_code == 0 and "Synthetic difference-in-differences" in human.stdout


def test_cli_bad_input_raises_domain_error(prop99_csv):
    res = runner.invoke(
        cli_app,
        [
            "synth",
            "--data",
            str(prop99_csv),
            "--unit",
            "State",
            "--time",
            "Year",
            "--outcome",
            "PacksPerCapita",
            "--treated",
            "Narnia",
            "--start",
            "1989",
            "--json",
        ],
    )
    assert isinstance(res.exception, InvalidInput) and "Narnia" in res.exception.message
    res = runner.invoke(
        cli_app,
        [
            "synth",
            "--data",
            str(prop99_csv),
            "--unit",
            "State",
            "--time",
            "Year",
            "--outcome",
            "PacksPerCapita",
            "--treated",
            "California",
            "--start",
            "2040",
            "--json",
        ],
    )
    assert isinstance(res.exception, InvalidInput) and "after the last period" in res.exception.message


def test_cli_includes_experiment_commands():
    res = runner.invoke(cli_app, ["--help"])
    for name in ("did", "synth", "sdid", "geo-design", "abtest", "power", "campaign"):
        assert name in res.stdout


# ------------------------------------------------------------------------------------------- API


def _upload(path: Path) -> dict:
    return {"file": (path.name, path.read_bytes(), "text/csv")}


def test_api_synth_multipart_with_charts(client, prop99_csv):
    r = client.post(
        "/api/v1/analytics/synth",
        files=_upload(prop99_csv),
        data={
            "unit": "State",
            "time": "Year",
            "outcome": "PacksPerCapita",
            "treated": "California",
            "start": "1989",
            "charts": "svg",
            "loo": "false",
        },
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["att"] == pytest.approx(-19.62, abs=0.005) and body["p_value"] == pytest.approx(3 / 39)
    assert "leave_one_out" not in body
    assert set(body["charts"]) == {"effect", "paths", "weights", "placebo"} and body["charts"][
        "paths"
    ].startswith("<svg")


def test_api_did_json_rows(client, prop99):
    rows = prop99.to_dict("records")
    r = client.post(
        "/api/v1/analytics/did",
        json={
            "rows": rows,
            "unit": "State",
            "time": "Year",
            "outcome": "PacksPerCapita",
            "treatment": "treated",
        },
    )
    assert r.status_code == 200, r.text
    assert r.json()["att"] == pytest.approx(-27.349, abs=5e-4)


def test_api_sdid_and_geo(client, prop99_csv):
    r = client.post(
        "/api/v1/analytics/sdid",
        files=_upload(prop99_csv),
        data={
            "unit": "State",
            "time": "Year",
            "outcome": "PacksPerCapita",
            "treated": "California",
            "start": "1989",
            "replications": "20",
            "charts": "png",
        },
    )
    assert r.status_code == 200, r.text
    assert r.json()["att"] == pytest.approx(-15.604, abs=5e-4)
    assert r.json()["charts"]["effect"].startswith("data:image/png;base64,")
    r = client.post(
        "/api/v1/analytics/geo-design",
        files=_upload(prop99_csv),
        data={
            "unit": "State",
            "time": "Year",
            "outcome": "PacksPerCapita",
            "treated": "Utah,Nevada",
            "test_length": "3",
        },
    )
    assert r.status_code == 200, r.text
    assert r.json()["treated"] == ["Nevada", "Utah"] or set(r.json()["treated"]) == {"Utah", "Nevada"}


def test_api_inspect(client, prop99_csv):
    r = client.post("/api/v1/analytics/inspect", files=_upload(prop99_csv))
    body = r.json()
    assert (body["unit"], body["time"], body["outcome"], body["start"]) == (
        "State",
        "Year",
        "PacksPerCapita",
        1989,
    )
    assert body["n_rows"] == 1209 and len(body["units"]) == 39


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (
            {
                "unit": "State",
                "time": "Year",
                "outcome": "PacksPerCapita",
                "treated": "Narnia",
                "start": "1989",
            },
            "unknown treated unit 'Narnia'",
        ),
        (
            {"unit": "State", "time": "Year", "outcome": "Sales", "treated": "California", "start": "1989"},
            "'Sales' not found",
        ),
        (
            {
                "unit": "State",
                "time": "Year",
                "outcome": "PacksPerCapita",
                "treated": "California",
                "start": "1950",
            },
            "no pre-treatment period",
        ),
    ],
)
def test_api_bad_input_is_problem_json(client, prop99_csv, data, fragment):
    r = client.post("/api/v1/analytics/synth", files=_upload(prop99_csv), data=data)
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    assert fragment in r.json()["detail"]


def test_api_gappy_panel_and_validation(client, prop99):
    gappy = prop99.drop(index=[5, 6]).to_dict("records")
    r = client.post(
        "/api/v1/analytics/sdid",
        json={
            "rows": gappy,
            "unit": "State",
            "time": "Year",
            "outcome": "PacksPerCapita",
            "treated": ["California"],
            "start": 1989,
        },
    )
    assert r.status_code == 422 and "unbalanced" in r.json()["detail"]
    r = client.post("/api/v1/analytics/synth", json={"unit": "State"})
    assert r.status_code == 422
    r = client.post(
        "/api/v1/analytics/synth", content=b"not json", headers={"content-type": "application/json"}
    )
    assert r.status_code == 422 and "JSON" in r.json()["detail"]


def test_api_upload_size_cap(client, prop99_csv, monkeypatch):
    from adlens.config import get_settings

    monkeypatch.setattr(get_settings(), "max_upload_bytes", 1000)
    r = client.post(
        "/api/v1/analytics/synth",
        files=_upload(prop99_csv),
        data={
            "unit": "State",
            "time": "Year",
            "outcome": "PacksPerCapita",
            "treated": "California",
            "start": "1989",
        },
    )
    assert r.status_code == 413


def test_api_includes_experiment_routes(client):
    r = client.post(
        "/api/v1/analytics/abtest",
        json={
            "counts": [
                {"arm": "A", "users": 1000, "conversions": 50},
                {"arm": "B", "users": 1000, "conversions": 70},
            ]
        },
    )
    assert r.status_code == 200 and "summary" in r.json()


def test_api_synth_with_predictors_semicolon_separated(client, shared_data):
    basque = shared_data / "synthetic-control-pysyncon" / "basque.csv"
    preds = ";".join(
        [f"school.{s}@1964-1969" for s in ("illit", "prim", "med", "high", "post.high")]
        + ["invest@1964-1969", "gdpcap@1960-1969"]
        + [
            f"sec.{s}@1961,1963,1965,1967,1969"
            for s in (
                "agriculture",
                "energy",
                "industry",
                "construction",
                "services.venta",
                "services.nonventa",
            )
        ]
        + ["popdens@1969"]
    )
    data = {"unit": "regionname", "time": "year", "outcome": "gdpcap", "treated": "Basque Country (Pais Vasco)", "start": "1975",
            "fit_periods": "1960,1961,1962,1963,1964,1965,1966,1967,1968,1969", "predictors": preds, "placebo": "false", "loo": "false"}  # fmt: skip
    r = client.post("/api/v1/analytics/synth", files=_upload(basque), data=data)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["weights"]["Cataluna"] == pytest.approx(0.8508, abs=0.002)
    assert len(body["v"]) == 14 and body["p_value"] is None


def test_public_api_is_exported():
    import adlens.analytics as analytics
    import adlens.analytics.causal as causal

    for mod in (analytics, causal):
        for name in mod.__all__:
            assert hasattr(mod, name), name
