"""The recommend REST API: training as a job, every endpoint, and problem+json for each bad input."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient

from adlens.api import create_app
from adlens.config import Settings

from .conftest import TINY_SPEC_ARGS

OVERRIDES = {
    "use_text": False,
    "dim": 32,
    "id_dim": 16,
    "hidden": 64,
    "max_epochs": 8,
    "patience": 3,
    "lr": 0.005,
}


def _wait(client: TestClient, job_id: str, timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.get(f"/api/v1/jobs/{job_id}").json()
        if job["state"] in ("done", "failed", "cancelled"):
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} did not finish")


def _problem(r, status: int, fragment: str = "") -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    doc = r.json()
    assert doc["status"] == status and fragment in doc["detail"], doc
    return doc


@pytest.fixture()
def client(fresh_settings: Settings):
    with TestClient(create_app(fresh_settings)) as c:
        yield c


def test_before_training_everything_says_so(client: TestClient) -> None:
    _problem(client.post("/api/v1/recommend", json={"user_id": "u"}), 404, "no trained recommendation model")
    _problem(client.get("/api/v1/recommend/eval"), 404, "no evaluation stored")
    assert client.get("/api/v1/recommend/models").json() == {"models": [], "latest": None}


def test_train_job_then_serve(client: TestClient) -> None:
    r = client.post("/api/v1/recommend/train", json={"synthetic": TINY_SPEC_ARGS, "overrides": OVERRIDES})
    assert r.status_code == 202, r.text
    job = _wait(client, r.json()["id"])
    assert job["state"] == "done", job
    result = job["result"]
    assert result["model"] == "v0001" and result["collection"] == "recommend_v0001"
    assert result["n_items"] == TINY_SPEC_ARGS["n_items"] and 0 < result["metrics"]["valid_ndcg@10"] <= 1

    models = client.get("/api/v1/recommend/models").json()
    assert models["latest"] == 1 and models["models"][0]["config"]["dim"] == 32
    assert models["models"][0]["indexed"] is True

    users = client.get("/api/v1/recommend/users", params={"limit": 5}).json()
    assert users["total"] == TINY_SPEC_ARGS["n_users"] and len(users["users"]) == 5
    hist = client.get("/api/v1/recommend/users/user0001", params={"limit": 3}).json()
    assert hist["n_interactions"] >= 8 and len(hist["items"]) == 3
    assert hist["items"][0]["timestamp"] >= hist["items"][1]["timestamp"]

    rec = client.post("/api/v1/recommend", json={"user_id": "user0001", "k": 4}).json()
    assert rec["strategy"] == "user_tower" and len(rec["items"]) == 4
    assert all(it["because"] for it in rec["items"])
    filtered = client.post(
        "/api/v1/recommend",
        json={
            "user_id": "user0001",
            "k": 3,
            "filters": {"genres": {"$contains": "Action"}},
            "exclude_seen": False,
        },
    ).json()
    assert all("Action" in it["genres"] for it in filtered["items"])
    cold = client.post("/api/v1/recommend", json={"context_items": ["m0001"], "k": 3}).json()
    assert cold["strategy"] == "context" and cold["user_id"] is None
    pop = client.post("/api/v1/recommend", json={"k": 3}).json()
    assert pop["strategy"] == "popularity"

    sim = client.post("/api/v1/recommend/similar", json={"item_id": "m0002", "k": 3}).json()
    assert len(sim["items"]) == 3 and all(it["item_id"] != "m0002" for it in sim["items"])

    added = client.post(
        "/api/v1/recommend/items", json={"item_id": "fresh", "title": "The Fresh One", "genres": ["Comedy"]}
    )
    assert added.status_code == 201 and added.json()["cold_start"] is True
    sim_new = client.post("/api/v1/recommend/similar", json={"item_id": "fresh", "k": 3}).json()
    assert len(sim_new["items"]) == 3

    health = client.get("/api/v1/health").json()
    entry = next(a for a in health["apps"] if a["name"] == "recommend")
    assert entry["health"] == {"models": 1, "latest_model": 1}

    # bad input: problem+json, never a 500
    _problem(client.post("/api/v1/recommend", json={"user_id": "ghost", "k": 3}), 404, "unknown user")
    _problem(client.post("/api/v1/recommend", json={"user_id": "user0001", "k": 0}), 422, "1..500")
    _problem(client.post("/api/v1/recommend", json={"user_id": "user0001", "k": 501}), 422, "1..500")
    _problem(client.post("/api/v1/recommend", json={"user_id": "user0001", "k": "many"}), 422)
    _problem(
        client.post("/api/v1/recommend", json={"user_id": "user0001", "filters": {"year": {"$x": 1}}}),
        422,
        "unknown operator",
    )
    _problem(client.post("/api/v1/recommend", json={"user_id": "user0001", "model": 9}), 404, "version 9")
    _problem(client.post("/api/v1/recommend", json={"user_id": "user0001", "bogus": 1}), 422)
    _problem(client.post("/api/v1/recommend", json={"context_items": ["nope"]}), 404, "unknown item")
    _problem(client.post("/api/v1/recommend/similar", json={"item_id": "nope"}), 404, "unknown item")
    _problem(client.post("/api/v1/recommend/similar", json={"item_id": "m0001", "k": 1000}), 422, "1..500")
    _problem(client.post("/api/v1/recommend/items", json={"item_id": "m0001", "title": "x"}), 409)
    _problem(
        client.post("/api/v1/recommend/items", json={"item_id": "n2", "title": "x", "genres": ["Opera"]}),
        422,
        "unknown genre",
    )
    _problem(client.get("/api/v1/recommend/users/ghost"), 404, "unknown id")
    _problem(client.get("/api/v1/recommend/users", params={"limit": 0}), 422)
    _problem(client.post("/api/v1/recommend/train", json={"overrides": {"loss": "hinge"}}), 422, "loss")
    _problem(client.post("/api/v1/recommend/train", json={"dataset": "missing"}), 404, "not found")
    _problem(client.post("/api/v1/recommend/train", json={"dataset": "../etc"}), 422, "invalid dataset")
    _problem(client.post("/api/v1/recommend/train", json={"data": "/etc"}), 422)


def test_train_refuses_bad_synthetic_specs_before_queueing(client: TestClient) -> None:
    r = client.post("/api/v1/recommend/train", json={"synthetic": {"n_items": 3}, "overrides": OVERRIDES})
    _problem(r, 422, "synthetic catalogue needs")
    _problem(
        client.post("/api/v1/recommend/train", json={"synthetic": {"colour": 3}}), 422, "unknown synthetic"
    )
    _problem(client.post("/api/v1/recommend/train", json={"synthetic": {"n_items": "x"}}), 422)
    assert client.get("/api/v1/jobs", params={"kind": "recommend.train"}).json()["jobs"] == []
