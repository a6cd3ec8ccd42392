"""OpenRTB 2.6 ``site.content.data`` and Prebid output: structure and segtax values."""

from __future__ import annotations

import json
from typing import Any

from adlens.contextual.openrtb import SEGTAX, openrtb_site, prebid_config, prebid_snippet, segment_ids
from adlens.contextual.taxonomy import load_taxonomy


def _result(taxonomy: str, cats: list[tuple[str, float]]) -> dict[str, Any]:
    return {
        "url": "https://news.example/a?utm_source=x",
        "final_url": "https://news.example/a",
        "taxonomy": taxonomy,
        "categories": [{"id": i, "name": i, "tier": 1, "confidence": c} for i, c in cats],
        "keywords": ["marathon", "running"],
        "document": {"language": "en", "title": "A title"},
        "brand_safety": {
            "risk_level": "low",
            "flags": [{"category": "death_injury", "risk": "low"}, {"category": "arms", "risk": "none"}],
        },
    }


def _check_data(entry: dict[str, Any]) -> None:
    assert set(entry) == {"name", "ext", "segment"}
    assert entry["name"] == "adlens"
    assert isinstance(entry["segment"], list) and entry["segment"]
    for seg in entry["segment"]:
        assert set(seg) == {"id"} and isinstance(seg["id"], str)


def test_segtax_values() -> None:
    assert SEGTAX["iab-2.2"] == 6 and SEGTAX["iab-3.0"] == 7 and SEGTAX["iab-3.1"] == 9


def test_iab_31_sends_30_ids_with_segtax_7_and_native_ids_with_segtax_9() -> None:
    tax31 = load_taxonomy("iab-3.1")
    tax30 = load_taxonomy("iab-3.0")
    shared = next(n.id for n in tax31 if n.id in tax30.nodes)
    only31 = [n.id for n in tax31 if n.id not in tax30.nodes]
    cats = [(shared, 0.9)] + ([(only31[0], 0.5)] if only31 else [])
    site = openrtb_site(_result("iab-3.1", cats))
    data = site["content"]["data"]
    assert [d["ext"]["segtax"] for d in data] == [7, 9]
    for entry in data:
        _check_data(entry)
    ids30 = [s["id"] for s in data[0]["segment"]]
    assert shared in ids30 and all(i in tax30.nodes for i in ids30)
    assert [s["id"] for s in data[1]["segment"]] == [c for c, _ in cats]
    assert site["content"]["cat"] == ids30 and site["content"]["cattax"] == 7
    assert site["content"]["language"] == "en" and site["content"]["kwarray"] == ["marathon", "running"]
    assert site["page"] == "https://news.example/a"
    assert site["ext"]["data"]["adlens"] == {"brand_safety": "low", "flags": ["death_injury"]}


def test_iab_22_and_proprietary_taxonomies() -> None:
    site = openrtb_site(_result("iab-2.2", [("483", 0.8), ("484", 0.4), ("1", 0.1)]))
    (entry,) = site["content"]["data"]
    _check_data(entry)
    assert entry["ext"] == {"segtax": 6} and [s["id"] for s in entry["segment"]] == ["483", "484"]
    meta = openrtb_site(_result("meta-interests", [("fitness", 0.7)]))
    (entry,) = meta["content"]["data"]
    assert "segtax" not in entry["ext"] and entry["ext"]["taxonomy"] == "meta-interests"
    assert "cattax" not in meta["content"]


def test_segment_selection() -> None:
    cats = [{"id": "a", "confidence": 0.2}, {"id": "b", "confidence": 0.9}, {"id": "c", "confidence": 0.35}]
    assert segment_ids(cats) == ["b", "c"]
    assert segment_ids([{"id": "a", "confidence": 0.2}]) == ["a"]  # the best one above chance
    assert segment_ids([{"id": "a", "confidence": 0.05}]) == []
    assert openrtb_site(_result("iab-3.0", [("1", 0.05)]))["content"]["data"] == []


def test_prebid_config_and_snippet() -> None:
    result = _result("iab-3.0", [("483", 0.8)])
    config = prebid_config(result)
    assert config == {"ortb2": {"site": openrtb_site(result)}}
    snippet = prebid_snippet({**result, "document": {"title": "</script><b>"}})
    assert snippet.startswith("pbjs.que.push(function(){pbjs.setConfig(") and "</script>" not in snippet
    payload = snippet[len("pbjs.que.push(function(){pbjs.setConfig(") : -len(");});")]
    assert json.loads(payload)["ortb2"]["site"]["content"]["data"][0]["ext"]["segtax"] == 7
