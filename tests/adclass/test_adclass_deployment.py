"""A deployment's own themes and brand knowledge (ADLENS_ADCLASS_THEMES_PATH / _BRANDS_PATH), API and CLI."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from adlens.adclass.classifiers import profile_for
from adlens.adclass.classifiers.brand import brand_knowledge
from adlens.adclass.deployment import Misconfigured, configured_themes
from adlens.api import create_app
from adlens.config import Settings

THEMES = """\
themes:
  - name: Offer
    description: The ad sells something specific with a price, a discount or a call to buy.
    examples: ["Two bottles for $3 this weekend only.", "Order now and save 20%."]
  - name: Story
    description: The brand tells who it is, its values or its history, without selling a product.
    examples: ["Since 1950 we have brewed with care.", "Our promise: clean water for every town."]
  - name: Unrelated
    description: The text is not about the brand.
"""
BRANDS = """\
quenchly:
  aliases: [Quench Co]
  products: [Bubblo, Zestwave]
  description: Quenchly, a sparkling drinks company.
apple:
  products: [Vision Pro]
"""
ADS = """\
id,body_text,page_name
a1,"Bubblo is back: two cans for $3 this weekend only, order now.",Corner Shop
a2,"Since 1950 Quench Co has bottled spring water with care for our town.",Quench Co
a3,"The river was cold and clear on our morning hike.",Hiker Blog
"""


def _write(tmp: Path, name: str, text: str) -> Path:
    path = tmp / name
    path.write_text(text, encoding="utf-8")
    return path


def _import(client: TestClient, keyword: str) -> None:
    r = client.post(
        "/api/v1/ads/import", data={"keyword": keyword}, files={"file": ("ads.csv", ADS, "text/csv")}
    )
    assert r.status_code == 200, r.text


def test_deployment_themes_and_brands_over_the_api(tmp_path: Path) -> None:
    settings = Settings(
        home=tmp_path / "home",
        adclass_themes_path=_write(tmp_path, "themes.yaml", THEMES),
        adclass_brands_path=_write(tmp_path, "brands.yaml", BRANDS),
    )
    assert configured_themes(settings).names == ["Offer", "Story", "Unrelated"]
    with TestClient(create_app(settings)) as client:
        r = client.get("/api/v1/adclass/themes")
        assert [t["name"] for t in r.json()["themes"]] == ["Offer", "Story", "Unrelated"]
        _import(client, "Quenchly")
        body = client.post("/api/v1/classify", json={"keyword": "Quenchly"}).json()
        assert {x["theme"] for x in body["results"]} <= {"Offer", "Story", "Unrelated"}
        assert "+brands-" in body["classifier_version"]
        ads = {
            a["external_id"]: a
            for a in client.get("/api/v1/ads", params={"keyword": "Quenchly"}).json()["ads"]
        }
        # the product and alias come only from the deployment's brands file
        assert "product: Bubblo" in ads["a1"]["evidence"] and ads["a1"]["is_relevant"] is True
        assert ads["a3"]["is_relevant"] is False and ads["a3"]["theme"] == "Unrelated"
        assert ads["a2"]["is_relevant"] is True
        ad_id = ads["a1"]["ad_id"]
        ok = client.post(
            f"/api/v1/ads/{ad_id}/label",
            json={"keyword": "Quenchly", "is_relevant": True, "theme": "Offer", "author": "t"},
        )
        assert ok.status_code == 200, ok.text
        bad = client.post(
            f"/api/v1/ads/{ad_id}/label",
            json={"keyword": "Quenchly", "is_relevant": True, "theme": "Meme", "author": "t"},
        )
        assert bad.status_code == 422 and "unknown theme" in bad.json()["detail"]


def test_brands_file_merges_over_the_packaged_knowledge(tmp_path: Path) -> None:
    path = _write(tmp_path, "brands.yaml", BRANDS)
    known = brand_knowledge(path)
    assert "Vision Pro" in known["apple"]["products"] and "iphone" in known["apple"]["products"]
    assert known["quenchly"]["aliases"] == ["Quench Co"]
    settings = Settings(home=tmp_path / "home", adclass_brands_path=path)

    class Rt:
        pass

    rt = Rt()
    rt.settings = settings  # type: ignore[attr-defined]
    assert "Bubblo" in profile_for("Quenchly", rt).products
    assert "Bubblo" not in profile_for("Quenchly").products  # without settings: packaged only


@pytest.mark.parametrize(
    ("field", "name", "text", "message"),
    [
        ("adclass_themes_path", "missing.yaml", None, "does not exist"),
        ("adclass_themes_path", "bad.yaml", "themes: [unclosed", "not valid UTF-8 YAML"),
        ("adclass_themes_path", "empty.yaml", "themes: []", "non-empty list"),
        ("adclass_brands_path", "missing.yaml", None, "does not exist"),
        ("adclass_brands_path", "bad.yaml", "apple: {products: Vision Pro}", "list of strings"),
        ("adclass_brands_path", "list.yaml", "- apple", "must map brand keywords"),
    ],
)
def test_a_broken_deployment_file_is_a_clear_503(
    tmp_path: Path, field: str, name: str, text: str | None, message: str
) -> None:
    path = tmp_path / name if text is None else _write(tmp_path, name, text)
    settings = Settings(home=tmp_path / "home", **{field: path})
    with TestClient(create_app(settings)) as client:
        _import(client, "Quenchly")
        r = client.post("/api/v1/classify", json={"keyword": "Quenchly"})
        assert r.status_code == 503, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
        detail = r.json()["detail"]
        assert message in detail and field.upper() in detail.upper().replace("ADLENS_", "")
        assert client.get("/api/v1/stats/Quenchly").json()["classified"] == 0  # nothing half-stored
        if field == "adclass_themes_path":
            assert client.get("/api/v1/adclass/themes").status_code == 503


def test_a_themes_file_that_is_not_utf8_is_a_clear_503(tmp_path: Path) -> None:
    path = tmp_path / "themes.yaml"
    path.write_bytes(THEMES.encode("utf-16"))  # a BOM and NUL bytes: not UTF-8
    settings = Settings(home=tmp_path / "home", adclass_themes_path=path)
    with pytest.raises(Misconfigured, match="UTF-8"):
        configured_themes(settings)
    with TestClient(create_app(settings)) as client:
        r = client.get("/api/v1/adclass/themes")
        assert r.status_code == 503, r.text
        assert "UTF-8" in r.json()["detail"]


def _main(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    from adlens.cli import main as cli_main

    monkeypatch.setattr(sys, "argv", ["adlens", *args])
    with pytest.raises(SystemExit) as info:
        cli_main.main()
    return int(info.value.code or 0), capsys.readouterr().err


def test_cli_uses_the_deployment_files_and_reports_broken_ones(
    fresh_settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from adlens.cli.main import app
    from adlens.config import reset_settings

    monkeypatch.setenv("ADLENS_ADCLASS_THEMES_PATH", str(_write(tmp_path, "themes.yaml", THEMES)))
    monkeypatch.setenv("ADLENS_ADCLASS_BRANDS_PATH", str(_write(tmp_path, "brands.yaml", BRANDS)))
    reset_settings()
    data = _write(tmp_path, "ads.csv", ADS)
    runner = CliRunner()
    r = runner.invoke(app, ["ads", "import", str(data), "--keyword", "Quenchly", "--json"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["ads", "classify", "--keyword", "Quenchly", "--json"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert {x["theme"] for x in doc["results"]} <= {"Offer", "Story", "Unrelated"}
    r = runner.invoke(app, ["ads", "label", "--keyword", "Quenchly", "--ad", "1", "--relevant", "yes",
                            "--theme", "Story", "--json"])  # fmt: skip
    assert r.exit_code == 0 and json.loads(r.stdout)["theme"] == "Story"

    _write(tmp_path, "brands.yaml", "quenchly: [not, a, mapping]")
    code, err = _main(monkeypatch, capsys, "ads", "classify", "--keyword", "Quenchly")
    # one message (the console may wrap it at its width), no traceback
    assert code != 0 and err.startswith("error: ADLENS_ADCLASS_BRANDS_PATH") and err.count("error:") == 1
    assert "must be a mapping" in err.replace("\n", "") and "Traceback" not in err

    monkeypatch.setenv("ADLENS_ADCLASS_THEMES_PATH", str(tmp_path / "nope.yaml"))
    reset_settings()
    code, err = _main(monkeypatch, capsys, "ads", "label", "--keyword", "Quenchly", "--ad", "1",
                      "--relevant", "yes", "--theme", "Story")  # fmt: skip
    err = " ".join(err.split())
    assert code != 0 and err.startswith("error: ADLENS_ADCLASS_THEMES_PATH") and "does not exist" in err
    assert isinstance(Misconfigured("x"), Exception)
