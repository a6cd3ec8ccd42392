"""REST endpoints and CLI commands over the real app, store and models."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

CSV = b"username,followers,engagement rate,country,bio,category\nana_fit,120k,3.2%,USA,Personal trainer and gym workouts,fitness\nbo_bakes,45k,5.1%,Spain,Baking recipes,food\nana_fit,1k,1%,USA,dup,fitness\n"


@pytest.fixture()
def client(fresh_runtime: Any) -> Any:
    from adlens.api import create_app

    with TestClient(create_app(fresh_runtime.settings, runtime=fresh_runtime)) as c:
        yield c


def test_upload_search_get(client: TestClient) -> None:
    r = client.post("/api/v1/creators/upload", files={"file": ("c.csv", CSV, "text/csv")})
    assert r.status_code == 200, r.text
    rep = r.json()
    assert (rep["imported"], rep["updated"], rep["rejected"]) == (2, 0, 1)
    assert "duplicate" in rep["rejected_rows"][0]["reasons"][0]
    r = client.post(
        "/api/v1/creators/search",
        json={"query": "fitness creators in the US with over 50K followers", "k": 5},
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert [x["handle"] for x in body["results"]] == ["ana_fit"]
    res = body["results"][0]
    assert res["reasons"] and res["audience_quality"]["method"] and res["followers"] == 120_000
    r = client.post(
        "/api/v1/creators/search",
        json={"query": "recipes", "filters": {"country": "ES"}, "k": 5, "mode": "text"},
    )
    assert [x["handle"] for x in r.json()["results"]] == ["bo_bakes"]
    assert client.get("/api/v1/creators/instagram:bo_bakes").json()["followers"] == 45_000
    assert client.get("/api/v1/creators/instagram:nobody").status_code == 404
    assert client.get("/api/v1/creators/stats").json()["creators"] == 2
    health = client.get("/api/v1/health").json()
    assert "creators" in json.dumps(health)


def test_search_with_uploaded_image_and_photos(client: TestClient, image_server: str, make_png: Any) -> None:
    csv = f"handle,followers,photo\nred_one,10k,{image_server}/red.png\nblue_one,10k,{image_server}/blue.png\n".encode()
    rep = client.post("/api/v1/creators/upload", files={"file": ("p.csv", csv, "text/csv")}).json()
    assert rep["photos"] == 2
    r = client.post(
        "/api/v1/creators/search",
        data={"k": "1", "mode": "image", "filters": "{}"},
        files={"image": ("q.png", make_png((40, 40, 210), 80), "image/png")},
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["results"][0]["handle"] == "blue_one"
    photo_url = body["results"][0]["photo"]
    img = client.get(photo_url)
    assert img.status_code == 200 and img.headers["content-type"] == "image/jpeg"
    again = client.post(
        "/api/v1/creators/search", json={"image_id": body["image_id"], "k": 1, "mode": "image"}
    )
    assert again.json()["results"][0]["handle"] == "blue_one"
    assert client.get("/api/v1/creators/photos/../../etc/passwd").status_code == 404


def test_bad_input_is_problem_json(client: TestClient, fresh_runtime: Any) -> None:
    client.post("/api/v1/creators/upload", files={"file": ("c.csv", CSV, "text/csv")})
    before = client.post("/api/v1/creators/search", json={"query": "", "k": 10}).json()["results"]
    cases = [
        (
            client.post(
                "/api/v1/creators/upload", files={"file": ("x.csv", b"\x00\x01binary\x00" * 20, "text/csv")}
            ),
            415,
        ),
        (
            client.post(
                "/api/v1/creators/upload",
                files={"file": ("x.csv", b"username,bio\nana_fit,gone\n", "text/csv")},
            ),
            422,
        ),
        (
            client.post("/api/v1/creators/upload", files={"file": ("x.pdf", b"%PDF-1.4", "application/pdf")}),
            415,
        ),
        (client.post("/api/v1/creators/upload", json={"file": "x"}), 422),
        (
            client.post(
                "/api/v1/creators/search",
                data={"k": "3"},
                files={"image": ("x.png", b"not an image at all", "image/png")},
            ),
            415,
        ),
        (client.post("/api/v1/creators/search", json={"query": "x", "k": 1000}), 422),
        (client.post("/api/v1/creators/search", json={"query": "x", "mode": "nope"}), 422),
        (client.post("/api/v1/creators/search", json={"query": "x", "filters": {"min_followers": -5}}), 422),
        (client.post("/api/v1/creators/search", json={"query": "x", "cursor": "garbage"}), 422),
        (
            client.post(
                "/api/v1/creators/search", content=b"{not json", headers={"content-type": "application/json"}
            ),
            422,
        ),
        (
            client.post(
                "/api/v1/creators/upload",
                files={"file": ("x.csv", b"u,followers\na,1\n", "text/csv"), "mapping": (None, "columns: [")},
            ),
            422,
        ),
    ]
    for resp, status in cases:
        assert resp.status_code == status, (resp.status_code, resp.text)
        assert resp.headers["content-type"].startswith("application/problem+json")
    fresh_runtime.settings.max_upload_bytes = 1000
    big = client.post("/api/v1/creators/upload", files={"file": ("big.csv", CSV + b"x" * 2000, "text/csv")})
    assert big.status_code == 413
    fresh_runtime.settings.max_upload_bytes = 25 * 1024 * 1024
    after = client.post("/api/v1/creators/search", json={"query": "", "k": 10}).json()["results"]
    assert after == before  # stored profiles intact


def test_cli_import_and_search(
    fresh_runtime: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from adlens.cli.main import app
    from adlens.config import reset_settings

    monkeypatch.setenv("ADLENS_HOME", str(fresh_runtime.settings.home))
    reset_settings()
    (tmp_path / "c.csv").write_bytes(CSV)
    (tmp_path / "m.yaml").write_text("columns:\n  handle: username\n")
    runner = CliRunner()
    r = runner.invoke(
        app, ["creators", "import", str(tmp_path / "c.csv"), "--mapping", str(tmp_path / "m.yaml"), "--json"]
    )
    assert r.exit_code == 0, r.output
    rep = json.loads(r.stdout)
    assert rep["imported"] == 2 and rep["rejected"] == 1
    r = runner.invoke(app, ["creators", "search", "baking", "--country", "Spain", "--k", "3", "--json"])
    assert r.exit_code == 0, r.output
    assert [x["handle"] for x in json.loads(r.stdout)["results"]] == ["bo_bakes"]
    r = runner.invoke(
        app, ["creators", "search", "trainer", "--min-followers", "100000", "--category", "fitness", "--json"]
    )
    assert [x["handle"] for x in json.loads(r.stdout)["results"]] == ["ana_fit"]
    reset_settings()
    (tmp_path / "bad.csv").write_bytes(b"username,bio\nx,y\n")
    from adlens.cli.main import main

    for args, needle in (
        (["import", str(tmp_path / "missing.csv"), "--json"], "file not found"),
        (["import", str(tmp_path / "bad.csv")], "missing required column"),
        (["search", "x", "--image", str(tmp_path / "nope.png")], "image not found"),
    ):
        monkeypatch.setattr(sys, "argv", ["adlens", "creators", *args])
        with pytest.raises(SystemExit) as exc:
            main()
        assert exc.value.code == 2
        err = capsys.readouterr().err
        assert err.strip().startswith("error:") and needle in err and "Traceback" not in err
    reset_settings()
