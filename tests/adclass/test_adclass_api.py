"""The adclass REST API and CLI over the real server app, the real classifier and a real database."""

from __future__ import annotations

import csv
import io
import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from adlens.adclass import demo
from adlens.api import create_app
from adlens.config import Settings

PROBLEM = "application/problem+json"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings = Settings(home=tmp_path_factory.mktemp("adclass-api"))
    with TestClient(create_app(settings)) as c:
        yield c


def _upload(client: TestClient, brand: str, keyword: str | None = None) -> dict:
    rows = demo.library()[brand]
    r = client.post(
        "/api/v1/ads/import",
        data={"keyword": keyword or brand},
        files={"file": (f"{brand}.csv", demo.to_csv(rows), "text/csv")},
    )
    assert r.status_code == 200, r.text
    return r.json()


def _problem(r, status: int) -> dict:  # type: ignore[no-untyped-def]
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    return r.json()


def test_import_classify_stats_table_export(client: TestClient) -> None:
    summary = _upload(client, "Trailhawk")
    n = summary["imported"]
    assert summary["rejected"] == 0 and n > 0
    profile = demo.BRANDS["Trailhawk"]["profile"]
    r = client.put("/api/v1/adclass/keywords/Trailhawk", json=profile)
    assert r.status_code == 200 and r.json()["aliases"] == profile["aliases"]

    r = client.post("/api/v1/classify", json={"keyword": "Trailhawk"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert len(body["results"]) == n and body["classified"] == n
    assert set(body["results"][0]) >= {"ad_id", "is_relevant", "theme", "confidence"}
    assert client.post("/api/v1/classify", json={"keyword": "trailhawk"}).json()["classified"] == 0

    s = client.get("/api/v1/stats/Trailhawk").json()
    assert s["ads"] == n and s["classified"] == n and sum(s["themes"].values()) == n
    assert 0 < s["relevance_rate"] < 1 and s["by_version"][0]["backend"] == "fast"

    # the table: filters and cursor paging
    rel = client.get("/api/v1/ads", params={"keyword": "Trailhawk", "relevant": "false"}).json()
    assert rel["ads"] and all(a["is_relevant"] is False for a in rel["ads"])
    assert len(rel["ads"]) == n - s["relevant"]
    theme = next(iter(s["themes"]))
    by_theme = client.get("/api/v1/ads", params={"keyword": "Trailhawk", "theme": theme}).json()
    assert len(by_theme["ads"]) == s["themes"][theme]
    seen, cursor = [], None
    while True:
        params = {"keyword": "Trailhawk", "limit": 7, **({"cursor": cursor} if cursor else {})}
        page = client.get("/api/v1/ads", params=params).json()
        seen += [a["ad_id"] for a in page["ads"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == n == len(set(seen))
    unsure = client.get("/api/v1/ads", params={"keyword": "Trailhawk", "max_confidence": 0.7}).json()
    assert all(a["confidence"] <= 0.7 for a in unsure["ads"])

    r = client.get("/api/v1/ads/export.csv", params={"keyword": "Trailhawk"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert len(rows) == n and {"ad_id", "is_relevant", "theme", "confidence"} <= set(rows[0])


def test_async_classification_job_streams_progress(client: TestClient) -> None:
    _upload(client, "Lumora")
    r = client.post("/api/v1/classify", json={"keyword": "Lumora", "backend": "fast", "async": True})
    assert r.status_code == 202, r.text
    job = r.json()
    assert job["kind"] == "adclass.classify" and job["events"].endswith("/events")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        state = client.get(f"/api/v1/jobs/{job['id']}").json()
        if state["state"] in ("done", "failed", "cancelled"):
            break
        time.sleep(0.1)
    assert state["state"] == "done", state
    assert state["result"]["classified"] == len(demo.library()["Lumora"])
    with client.stream("GET", f"/api/v1/jobs/{job['id']}/events") as resp:
        events = [json.loads(x[6:]) for x in resp.iter_lines() if x.startswith("data: ")]
    types = [e["type"] for e in events]
    assert "progress" in types and "result" in types and types[-1] == "state"
    last_progress = [e for e in events if e["type"] == "progress"][-1]["data"]
    assert last_progress["done"] == last_progress["total"] == state["result"]["classified"]


def test_labels_and_retrain(client: TestClient) -> None:
    _upload(client, "Fizzco")
    client.put("/api/v1/adclass/keywords/Fizzco", json=demo.BRANDS["Fizzco"]["profile"])
    client.post("/api/v1/classify", json={"keyword": "Fizzco"})
    ads = client.get("/api/v1/ads", params={"keyword": "Fizzco", "limit": 1000}).json()["ads"]
    truth = {r["ad_archive_id"]: r["demo_theme"] for r in demo.library()["Fizzco"]}
    for ad in ads:
        theme = truth[ad["external_id"]]
        r = client.post(
            f"/api/v1/ads/{ad['ad_id']}/label",
            json={"keyword": "Fizzco", "is_relevant": theme != "Unrelated", "theme": theme, "author": "ann"},
        )
        assert r.status_code == 200, r.text
    labelled = client.get("/api/v1/ads", params={"keyword": "Fizzco", "limit": 1}).json()["ads"][0]
    assert labelled["label"]["author"] == "ann"
    assert len(client.get("/api/v1/adclass/labels", params={"keyword": "Fizzco"}).json()["labels"]) == len(
        ads
    )

    r = client.post("/api/v1/adclass/retrain", json={})
    assert r.status_code == 200, r.text
    metrics = r.json()["metrics"]
    assert metrics["n_examples"] >= len(ads) - 4 and metrics["version"].startswith("head-")
    again = client.post("/api/v1/classify", json={"keyword": "Fizzco"}).json()
    assert again["classified"] == len(ads)  # the retrained head is a new classifier version

    themes = client.get("/api/v1/adclass/themes").json()["themes"]
    assert "Product Promotion" in [t["name"] for t in themes]


def test_bad_input_is_problem_json(client: TestClient) -> None:
    p = _problem(client.post("/api/v1/classify", json={"keyword": "NoSuchBrandAtAll"}), 404)
    assert "NoSuchBrandAtAll" in p["detail"] and "Trailhawk" not in p["detail"]
    _problem(client.post("/api/v1/classify", json={"keyword": "NoSuchBrandAtAll", "async": True}), 404)
    _problem(client.post("/api/v1/classify", json={}), 422)
    _problem(client.post("/api/v1/classify", json={"keyword": "x", "backend": "gpt"}), 422)
    _problem(client.post("/api/v1/classify", json={"keyword": "x", "surprise": 1}), 422)
    _problem(
        client.post("/api/v1/classify", content=b"{not json", headers={"content-type": "application/json"}),
        422,
    )
    _problem(client.get("/api/v1/stats/NoSuchBrandAtAll"), 404)
    _problem(client.get("/api/v1/ads", params={"keyword": "NoSuchBrandAtAll"}), 404)
    _problem(client.get("/api/v1/ads"), 422)
    _problem(client.get("/api/v1/ads/export.csv", params={"keyword": "NoSuchBrandAtAll"}), 404)
    files = {"file": ("x.csv", b"foo,bar\n1,2\n", "text/csv")}
    p = _problem(client.post("/api/v1/ads/import", data={"keyword": "K"}, files=files), 422)
    assert "no ad text column" in p["detail"]
    files = {"file": ("x.csv", "id,body\n1,caf\xe9\n".encode("latin-1"), "text/csv")}
    _problem(client.post("/api/v1/ads/import", data={"keyword": "K"}, files=files), 422)
    files = {"file": ("x.csv", b"id,body\n1,x\n", "text/csv")}
    _problem(
        client.post("/api/v1/ads/import", data={"keyword": "K", "mapping": "body_text: [oops"}, files=files),
        422,
    )
    _problem(client.post("/api/v1/ads/import", files=files), 422)  # no keyword
    settings = client.app.state.runtime.settings  # type: ignore[attr-defined]
    limit, settings.max_upload_bytes = settings.max_upload_bytes, 10
    try:
        _problem(client.post("/api/v1/ads/import", data={"keyword": "K"}, files=files), 413)
    finally:
        settings.max_upload_bytes = limit
    _upload(client, "Lumora")
    ad = client.get("/api/v1/ads", params={"keyword": "Lumora", "limit": 1}).json()["ads"][0]["ad_id"]
    label = {"keyword": "Lumora", "is_relevant": True, "theme": "Spam", "author": "x"}
    _problem(client.post(f"/api/v1/ads/{ad}/label", json=label), 422)
    _problem(client.post("/api/v1/ads/999999/label", json={**label, "theme": "News"}), 404)
    _problem(client.post(f"/api/v1/ads/{ad}/label", json={"keyword": "Lumora", "is_relevant": True}), 422)
    _problem(client.post(f"/api/v1/ads/{ad}/label", json={"keyword": "Lumora", "author": "x"}), 422)


def test_health_reports_the_app(client: TestClient) -> None:
    client.post("/api/v1/classify", json={"keyword": "Lumora"})
    health = client.get("/api/v1/health").json()
    entry = next(a for a in health["apps"] if a["name"] == "adclass")
    assert entry["available"] is True
    assert entry["health"]["database_connected"] is True and entry["health"]["model_loaded"] is True
    assert "model_loaded" in health and "database_connected" in health


# --- CLI ---------------------------------------------------------------------------------------
def _cli(*args: str, stdin: str | None = None):  # type: ignore[no-untyped-def]
    from adlens.cli.main import app

    return CliRunner().invoke(app, list(args), input=stdin)


def _main(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    """The real entry point (``main()``): domain errors become one line and exit code 2."""
    from adlens.cli import main as cli_main

    monkeypatch.setattr(sys, "argv", ["adlens", *args])
    with pytest.raises(SystemExit) as info:
        cli_main.main()
    return int(info.value.code or 0), capsys.readouterr().err


def test_cli_json_commands(
    fresh_settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    data = tmp_path / "fizz.csv"
    data.write_bytes(demo.to_csv(demo.library()["Fizzco"]))
    r = _cli("ads", "import", str(data), "--keyword", "Fizzco", "--json")
    assert r.exit_code == 0, r.output
    n = json.loads(r.stdout)["imported"]

    r = _cli("ads", "classify", "--keyword", "Fizzco", "--limit", "5", "--json")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)  # exactly one JSON document
    assert doc["classified"] == 5 and doc["remaining"] == n - 5

    r = _cli("adclass", "stats", "Fizzco", "--json")  # the same app under its own name
    assert r.exit_code == 0 and json.loads(r.stdout)["classified"] == 5

    out = tmp_path / "out.csv"
    r = _cli("ads", "export", "Fizzco", "--out", str(out), "--json")
    assert r.exit_code == 0 and json.loads(r.stdout)["rows"] == n
    assert len(list(csv.DictReader(out.open(encoding="utf-8")))) == n

    r = _cli(
        "ads", "label", "--keyword", "Fizzco", "--ad", "1", "--relevant", "yes", "--theme", "News", "--json"
    )
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["theme"] == "News"

    # interactive review: accept the first, correct the second (not relevant, theme 7), quit
    r = _cli("ads", "label", "--keyword", "Fizzco", "--author", "rev", "--json", stdin="a\nc\nn\n7\nq\n")
    assert r.exit_code == 0, r.output
    # (CliRunner echoes the typed answers onto stdout; a terminal does not)
    assert json.loads(r.stdout[r.stdout.index("{") :]) == {
        "keyword": "Fizzco",
        "reviewed": 2,
        "author": "rev",
    }
    assert "prediction:" in r.stderr
    labels = _cli("ads", "export", "Fizzco", "--out", str(out))
    assert labels.exit_code == 0
    exported = {row["ad_id"]: row for row in csv.DictReader(out.open(encoding="utf-8"))}
    corrected = [row for row in exported.values() if row["label_author"] == "rev"]
    assert len(corrected) == 2 and any(row["label_relevant"] == "False" for row in corrected)

    code, err = _main(monkeypatch, capsys, "ads", "stats", "NoSuchBrand")
    assert code == 2 and err.startswith("error: unknown keyword") and "Traceback" not in err
    code, err = _main(
        monkeypatch, capsys, "ads", "label", "--keyword", "Fizzco", "--ad", "1", "--relevant", "maybe"
    )
    assert code == 2 and "yes or no" in err
    code, err = _main(monkeypatch, capsys, "ads", "import", str(tmp_path / "missing.csv"), "--keyword", "X")
    assert code == 2 and "no such file" in err
    code, err = _main(monkeypatch, capsys, "ads", "classify", "--keyword", "Fizzco", "--backend", "gpt")
    assert code == 2 and "unknown backend" in err


def test_cli_runner_in_process(fresh_settings: Settings) -> None:
    r = _cli("ads", "keywords", "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout) == {"keywords": []}
