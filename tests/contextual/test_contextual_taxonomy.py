"""Taxonomy loading, paths, mappings, search, the `adlens taxonomy` CLI group and its API router."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from adlens.contextual.mappings import content_10_to_20, map_node
from adlens.contextual.nodes import node_text, search_nodes
from adlens.contextual.taxonomy import TAXONOMIES, list_taxonomies, load_taxonomy
from adlens.errors import InvalidInput, NotFound

# (version, nodes, tier-1 roots, max tier) — counts from IAB's files (see PROVENANCE of the shared data)
COUNTS = [
    ("iab-3.1", 704, 37, 4),
    ("iab-3.0", 703, 37, 4),
    ("iab-2.2", 710, 30, 4),
    ("iab-ad-product-2.0", 583, 45, 3),
    ("meta-interests", 137, 10, 2),
    ("google-verticals", 96, 9, 2),
]


@pytest.mark.parametrize(("version", "nodes", "roots", "max_tier"), COUNTS)
def test_counts_parents_and_paths(version: str, nodes: int, roots: int, max_tier: int) -> None:
    tax = load_taxonomy(version)
    assert len(tax) == nodes
    assert len(tax.roots()) == roots
    assert max(n.tier for n in tax) == max_tier
    for node in tax:
        assert node.path[-1] == node.name
        assert node.tier == len(node.path)
        if node.parent_id is None:
            assert node.tier == 1
        else:
            parent = tax.get(node.parent_id)
            assert parent.path == node.path[:-1], node
            assert node in tax.children(parent.id)


def test_known_nodes() -> None:
    tax = load_taxonomy()  # default = 3.1
    assert tax.version == "iab-3.1" and tax.segtax == 7
    assert tax.get("483").name == "Sports"
    soccer = tax.get("533")
    assert soccer.path == ("Sports", "Soccer") and soccer.parent_id == "483"
    assert tax.get("700").name == "Thriller"  # added in 3.1
    assert "700" not in load_taxonomy("iab-3.0")
    assert load_taxonomy("iab-2.2").segtax == 6
    assert load_taxonomy("iab-2.2").get("379").name == "News and Politics"
    assert next(c.name for c in tax.children("v9i3On")) == "Adult & Explicit Sexual Content"
    assert tax.root_of("533").id == "483"
    assert len(tax.vectors) == 47  # IAB 3.0 descriptive vectors
    news = next(v for v in tax.vectors.values() if v.name == "News")
    assert "previously unknown" in news.extra["description"]
    ad = load_taxonomy("iab-ad-product-2.0")
    assert ad.get("1000").parent_id is None  # the self-parented "Ad Safety Risk" row is a root


def test_errors() -> None:
    with pytest.raises(InvalidInput, match=r"known: iab-3\.1"):
        load_taxonomy("iab-9.9")
    with pytest.raises(NotFound):
        load_taxonomy().get("no-such-id")
    listed = {t["version"]: t for t in list_taxonomies()}
    assert set(listed) == set(TAXONOMIES)
    assert listed["iab-3.1"]["default"] and listed["iab-3.1"]["available"]


def _main_error(argv: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> str:
    """Run ``adlens ARGV`` through ``main()``: expect exit 2 and return the one-line error."""
    from adlens.cli import main as cli_main

    monkeypatch.setattr(sys, "argv", ["adlens", *argv])
    with pytest.raises(SystemExit) as info:
        cli_main.main()
    assert info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "Traceback" not in err
    return err


def test_google_product_install(
    tmp_path: Path,
    fresh_settings,
    shared_data: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from adlens.cli.main import app

    assert not {t["version"]: t for t in list_taxonomies()}["google-product"]["available"]
    with pytest.raises(NotFound, match="not redistributed"):
        load_taxonomy("google-product")
    bad = tmp_path / "bad.txt"
    bad.write_text("not a taxonomy\n")
    assert "not 'ID - A > B'" in _main_error(
        ["taxonomy", "install", "google-product", str(bad)], monkeypatch, capsys
    )
    assert not {t["version"]: t for t in list_taxonomies()}["google-product"]["available"]  # nothing written
    runner = CliRunner()
    src = shared_data / "google-product-taxonomy" / "taxonomy-with-ids.en-US.txt"
    res = runner.invoke(app, ["taxonomy", "install", "google-product", str(src), "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["nodes"] == 5595
    tax = load_taxonomy("google-product")
    assert len(tax) == 5595 and len(tax.roots()) == 21
    assert "2021-09-21" in tax.name
    pet = tax.get("3")
    assert pet.path == ("Animals & Pet Supplies", "Pet Supplies", "Bird Supplies") and pet.parent_id == "2"


def test_mappings_known_pairs() -> None:
    assert map_node("483", "iab-2.2", "iab-3.1") == ["483"]  # stable relational ID
    assert map_node("331", "iab-2.2", "iab-3.0") == ["331"]  # renamed "Crime and Mystery Movies" → "Mystery"
    assert map_node("327", "iab-2.2", "iab-3.1") == [
        "652"
    ]  # Science Fiction Movies → Genres > Science Fiction
    news = map_node("379", "iab-2.2", "iab-3.1")  # News and Politics dissolved into its children
    assert {"380", "381", "383", "386"} <= set(news)
    assert map_node("382", "iab-2.2", "iab-3.1") == news  # International News follows its removed parent
    assert map_node("JLBCU7", "iab-3.1", "iab-2.2") == [
        "324",
        "338",
        "640",
    ]  # Entertainment → Movies, Music, TV
    assert map_node("700", "iab-3.1", "iab-3.0") == ["SPSHQ5"]  # new Thriller → its parent Genres
    assert map_node("IAB17", "1.0", "3.1") == ["483"]  # official 1.0 → 2.0 crosswalk
    assert map_node("IAB1-1", "iab-1.0", "iab-2.2") == ["42"]
    assert content_10_to_20()["IAB24"] == []  # "Uncategorized": unmapped
    with pytest.raises(InvalidInput):
        map_node("483", "iab-2.2", "meta-interests")
    with pytest.raises(NotFound):
        map_node("nope", "iab-3.1", "iab-2.2")


def test_node_text_and_lexical_search() -> None:
    tax = load_taxonomy()
    text = node_text(tax, tax.get("483"))
    assert text.startswith("Sports") and "Soccer" in text
    hits = search_nodes(tax, "soccer", k=3)
    assert hits[0]["id"] == "533" and hits[0]["match"] == "name"
    with pytest.raises(InvalidInput):
        search_nodes(tax, "  ")


def test_semantic_search_and_cache(tmp_path: Path) -> None:
    from adlens.config import get_settings
    from adlens.contextual.nodes import node_index
    from adlens.embed import TextEmbedder

    embedder = TextEmbedder.from_settings(get_settings())
    tax = load_taxonomy("google-verticals")
    hits = search_nodes(tax, "buying a used car", embedder=embedder, cache_dir=tmp_path, k=3)
    assert hits[0]["path"][0] == "Autos & Vehicles"
    cached = list((tmp_path / "contextual").glob("nodes-google-verticals-*.npz"))
    assert len(cached) == 1
    again = node_index(tax, embedder, tmp_path)  # loads from the cache file
    assert again.vectors.shape == (96, 384)


def test_cli_group(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from adlens.cli.main import app

    runner = CliRunner()
    res = runner.invoke(app, ["taxonomy", "list", "--json"])
    assert res.exit_code == 0, res.output
    assert {t["version"] for t in json.loads(res.stdout)} == set(TAXONOMIES)
    res = runner.invoke(app, ["taxonomy", "show", "iab-3.1", "533", "--json"])
    doc = json.loads(res.stdout)
    assert doc["full_path"] == "Sports > Soccer" and doc["ancestors"][0]["id"] == "483"
    res = runner.invoke(app, ["taxonomy", "search", "iab-3.1", "basketball", "--lexical", "--json"])
    assert json.loads(res.stdout)[0]["name"] == "Basketball"
    assert "unknown taxonomy" in _main_error(["taxonomy", "show", "iab-7"], monkeypatch, capsys)
    assert "no node" in _main_error(["taxonomy", "show", "iab-3.1", "zzz"], monkeypatch, capsys)
    res = runner.invoke(app, ["taxonomy", "map", "379", "--from", "iab-2.2", "--to", "iab-3.1", "--json"])
    assert "Politics" in {m["name"] for m in json.loads(res.stdout)["mapped"]}


def test_api_router(fresh_settings) -> None:
    from adlens.api.problems import install_problem_handlers
    from adlens.contextual.api_taxonomy import router
    from adlens.runtime import Runtime

    app = FastAPI()
    install_problem_handlers(app)
    app.include_router(router, prefix="/api/v1")
    app.state.runtime = Runtime(fresh_settings)
    client = TestClient(app)
    doc = client.get("/api/v1/taxonomies").json()
    assert doc["default"] == "iab-3.1" and len(doc["taxonomies"]) == len(TAXONOMIES)
    assert client.get("/api/v1/taxonomies/iab-2.2").json()["tier1"] == 30
    node = client.get("/api/v1/taxonomies/iab-3.1/nodes/533").json()
    assert node["path"] == ["Sports", "Soccer"]
    res = client.get("/api/v1/taxonomies/iab-3.1/search", params={"q": "tennis", "lexical": True})
    assert res.json()["results"][0]["name"] == "Tennis"
    bad = client.get("/api/v1/taxonomies/nope")
    assert bad.status_code == 422 and bad.headers["content-type"].startswith("application/problem+json")
    assert client.get("/api/v1/taxonomies/iab-3.1/nodes/xyz").status_code == 404
    assert client.get("/api/v1/taxonomies/iab-3.1/search", params={"q": ""}).status_code == 422
    mapped = client.get("/api/v1/taxonomies/iab-2.2/map/483", params={"to": "iab-3.0"}).json()
    assert mapped["mapped"][0]["id"] == "483"
    semantic = client.get(
        "/api/v1/taxonomies/meta-interests/search", params={"q": "cooking dinner at home", "k": 3}
    )
    assert semantic.status_code == 200
    assert semantic.json()["results"][0]["path"][0] == "Food and drink"
    app.state.runtime.close()
