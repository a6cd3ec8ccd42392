"""REST endpoints: JSON counts/rows, multipart upload, power, campaign, problem+json errors."""

from __future__ import annotations

import io

import pandas as pd
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from adlens.analytics.api_experiments import router
from adlens.api.problems import install_problem_handlers

BASE = "/api/v1/analytics"


@pytest.fixture(scope="module")
def client() -> TestClient:
    app = FastAPI()
    install_problem_handlers(app)
    app.include_router(router, prefix=BASE)
    return TestClient(app)


def test_counts_json(client: TestClient) -> None:
    body = {
        "counts": [
            {"arm": "A", "users": 1000, "conversions": 120},
            {"arm": "B", "users": 1000, "conversions": 150},
        ]
    }
    r = client.post(f"{BASE}/abtest", json=body)
    assert r.status_code == 200, r.text
    doc = r.json()
    assert doc["comparisons"][0]["rel_lift"] == pytest.approx(0.25)
    assert doc["summary"].startswith("Variant B converts 25.0 % better")


def test_rows_json_with_plots(client: TestClient, users: pd.DataFrame) -> None:
    rows = users.head(400).to_dict(orient="records")
    r = client.post(f"{BASE}/abtest", json={"rows": rows, "arm": "variant", "metrics": ["converted", "revenue"],
                                            "covariate": "pre_revenue", "plots": True, "sequential": True})  # fmt: skip
    assert r.status_code == 200, r.text
    doc = r.json()
    assert len(doc["comparisons"]) == 2 and doc["plots"]["lift"] and doc["plots"]["sequential"]


def test_multipart_upload(client: TestClient, users: pd.DataFrame) -> None:
    buf = io.BytesIO()
    users.to_parquet(buf)
    r = client.post(
        f"{BASE}/abtest",
        files={"file": ("users.parquet", buf.getvalue(), "application/octet-stream")},
        data={
            "arm": "variant",
            "metric": ["converted", "revenue"],
            "ratio": "ctr=clicks/impressions",
            "correction": "bh",
            "planned_split": "A:50,B:50",
        },
    )
    assert r.status_code == 200, r.text
    doc = r.json()
    assert [c["metric"] for c in doc["comparisons"]] == ["converted", "revenue", "ctr"]
    assert doc["correction"] == "bh"


def test_power_and_campaign(client: TestClient) -> None:
    r = client.post(
        f"{BASE}/power", json={"kind": "proportion", "baseline": 0.1, "mde": 0.02, "relative": False}
    )
    assert r.status_code == 200 and r.json()["n_control"] == 3835
    r = client.post(f"{BASE}/power", json={"kind": "mean", "sd": 1, "mde": 0.5})
    assert r.json()["n_control"] == 64
    r = client.post(
        f"{BASE}/campaign",
        json={"test": {"users": 100000, "conversions": 1200, "cost": 10000, "revenue": 60000},
              "control": {"users": 100000, "conversions": 1000, "revenue": 50000}},
    )  # fmt: skip
    assert r.status_code == 200, r.text
    assert r.json()["incremental"]["cpa"]["value"] == pytest.approx(50.0)


@pytest.mark.parametrize(
    ("kwargs", "status", "detail"),
    [
        ({"json": {"counts": [{"arm": "A", "users": 10, "conversions": 12}, {"arm": "B", "users": 10, "conversions": 1}]}},
         422, "exceed users"),
        ({"json": {"rows": [{"variant": "A", "x": 1}], "metrics": ["y"]}}, 422, "'y' not found"),
        ({"json": {"counts": [{"arm": "A", "users": 10, "conversions": 1}]}}, 422, "at least 2 arms"),
        ({"json": {"alpha": "high"}}, 422, "alpha"),
        ({"content": b"{not json", "headers": {"content-type": "application/json"}}, 422, "not valid JSON"),
        ({"json": {}}, 422, "give aggregated counts"),
        ({"files": {"file": ("d.xlsx", b"x")}, "data": {"metric": "x"}}, 415, "unsupported"),
        ({"files": {"other": ("d.csv", b"x")}, "data": {"metric": "x"}}, 422, "'file' part"),
    ],
)  # fmt: skip
def test_errors_are_problem_json(client: TestClient, kwargs, status: int, detail: str) -> None:
    r = client.post(f"{BASE}/abtest", **kwargs)
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert detail in r.json()["detail"]


def test_upload_size_cap(client: TestClient, monkeypatch) -> None:
    from adlens.config import reset_settings

    monkeypatch.setenv("ADLENS_MAX_UPLOAD_BYTES", "1000")
    reset_settings()
    try:
        r = client.post(
            f"{BASE}/abtest", files={"file": ("d.csv", b"variant,x\n" + b"A,1\n" * 600)}, data={"metric": "x"}
        )
        assert r.status_code == 413
    finally:
        monkeypatch.delenv("ADLENS_MAX_UPLOAD_BYTES")
        reset_settings()


def test_power_errors(client: TestClient) -> None:
    r = client.post(f"{BASE}/power", json={"kind": "proportion", "mde": 0.1})
    assert r.status_code == 422 and "baseline" in r.json()["detail"]
    r = client.post(f"{BASE}/campaign", json={"test": {"users": 10}})
    assert r.status_code == 422


def test_campaign_rows(client: TestClient) -> None:
    rows = [{"group": g, "conversions": int(i % k == 0), "revenue": float(i % 7) * (i % k == 0), "cost": c}
            for i in range(400) for g, k, c in (("holdout", 5, 0.0), ("exposed", 4, 0.2))]  # fmt: skip
    r = client.post(
        f"{BASE}/campaign", json={"rows": rows, "test_group": "exposed", "control_group": "holdout"}
    )
    assert r.status_code == 200, r.text
    doc = r.json()
    assert doc["test"] == "exposed" and doc["revenue_lift"]["test"] == "Welch t-test"
    assert doc["incremental"]["conversions"] == pytest.approx((100 / 400 - 80 / 400) * 400)
    bad = client.post(f"{BASE}/campaign", json={"rows": rows, "test_group": "nope"})
    assert bad.status_code == 422 and "'nope' not found" in bad.json()["detail"]


def test_openapi_documents_both_bodies(client: TestClient) -> None:
    doc = client.get("/openapi.json").json()
    body = doc["paths"][f"{BASE}/abtest"]["post"]["requestBody"]["content"]
    assert set(body) == {"application/json", "multipart/form-data"}
    assert "$defs" not in str(doc) and "counts" in body["application/json"]["schema"]["properties"]


def test_multipart_csv_sequential(client: TestClient, users: pd.DataFrame) -> None:
    csv = users.head(600).to_csv(index=False).encode()
    r = client.post(
        f"{BASE}/abtest",
        files={"file": ("users.csv", csv, "text/csv")},
        data={"arm": "variant", "metrics": "converted,revenue", "covariate": "revenue=pre_revenue",
              "sequential": "true", "order_by": "ts", "plots": "1"},
    )  # fmt: skip
    assert r.status_code == 200, r.text
    doc = r.json()
    assert doc["sequential"] and doc["comparisons"][1]["cuped"]["covariate"] == "pre_revenue"
    assert doc["comparisons"][0]["sequential"]["path"]["n"][-1] == 600
    assert set(doc["plots"]) == {"lift", "sequential"}
