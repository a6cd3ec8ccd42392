"""Evidence rules, brand profiles, theme sets and calibration of the adclass classifiers (no models)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from adlens.adclass.classifiers import MAX_AD_CHARS, Ad, ThemeSet, ad_text, profile_for
from adlens.adclass.classifiers.calibration import (
    expected_calibration_error,
    fit_platt,
    fit_temperature,
    nll,
    sigmoid,
)
from adlens.adclass.classifiers.evidence import find_evidence, keyword_match, osa_distance
from adlens.adclass.classifiers.relevance import FEATURES, RelevanceModel, features
from adlens.errors import InvalidInput


def ev(keyword: str, text: str, page: str = ""):
    return find_evidence(profile_for(keyword), text, page)


@pytest.mark.parametrize(
    ("keyword", "text"),
    [
        ("Coca-Cola", "Nothing beats an ice cold Coca Cola"),
        ("Coca-Cola", "grab a cocacola"),
        ("AT&T", "Call AT & T today"),
        ("L'Oreal", "Because you're worth it. L’Oréal Paris"),
        ("McDonald's", "lunch at mcdonalds again"),
    ],
)
def test_names_and_aliases_match_across_spelling_variants(keyword: str, text: str) -> None:
    assert ev(keyword, text).name >= 1


def test_misspellings_count_but_ordinary_words_do_not() -> None:
    assert ev("Samsung", "my new samsng phone").misspelling == 1
    assert ev("Google", "just gogle it").misspelling == 1
    # "form" and "fork" are one edit from "ford" but short names get no edit budget
    assert ev("Ford", "fill in the form with a fork").misspelling == 0
    # "people" is an English word, not a misspelling of "pepsi"-like names
    assert ev("Pepsi", "people love summer").misspelling == 0
    assert osa_distance("appel", "apple", 2) == 1
    assert osa_distance("completely", "apple", 1) == 2


def test_handles_and_hashtags() -> None:
    e = ev("Apple", "Line for #ipad2 at #sxsw, thanks @apple")
    assert e.handle == 1 and e.hashtag == 1
    assert not ev("Apple", "@pineapple_fan #pineapple").handle
    assert ev("Nike", "new drop #nikeair").partial_tag == 1


def test_coincidental_matches_are_not_evidence() -> None:
    for text in ("Visiting the Big Apple next week", "Grandma's apple pie recipe", "Apples are in season"):
        e = ev("Apple", text)
        assert e.name == 0 and e.coincidental >= 1, text
        assert not e.explicit
    assert not ev("Ford", "Affordable family dentistry").explicit
    assert ev("Ford", "Harrison Ford stars in a new film").name == 0
    # but a real mention next to a coincidental one still counts
    assert ev("Apple", "The Big Apple gets an Apple store").name == 1


def test_products_and_cased_products() -> None:
    assert ev("Apple", "my airpods died").product == 1
    assert ev("Ford", "The new F150 is here").product == 1
    assert ev("Ford", "Test drive the new Focus").product == 1
    assert ev("Ford", "stay in focus and escape the city").product == 0  # common words need a capital


def test_page_name_is_evidence() -> None:
    assert ev("Pepsi", "Summer is here", page="Pepsi Official").page == 1
    assert ev("Pepsi", "Summer is here", page="Summer Drinks").page == 0


def test_keyword_baseline_is_whole_word() -> None:
    assert keyword_match("Ford", "The Ford Mustang")
    assert not keyword_match("Ford", "affordable")
    assert keyword_match("Apple", "the Big Apple")  # the baseline cannot tell


def test_brand_profiles() -> None:
    apple = profile_for("apple")
    assert "iphone" in apple.products and "big apple" in apple.negatives
    ipad = profile_for("iPad")
    assert ipad.keyword == "iPad" and "apple" not in [a.lower() for a in ipad.aliases]
    unknown = profile_for("Zyxcorp Widgets")
    assert unknown.handles == ["zyxcorpwidgets"] and unknown.products == []
    merged = profile_for("Pepsi", overrides={"products": ["Pepsi Wild Cherry"], "description": "Cola."})
    assert "Pepsi Wild Cherry" in merged.products and "diet pepsi" in merged.products
    assert merged.description == "Cola."
    with pytest.raises(InvalidInput):
        profile_for("  ")
    with pytest.raises(InvalidInput):
        profile_for("Pepsi", overrides={"colour": ["blue"]})
    with pytest.raises(InvalidInput):
        profile_for("Pepsi", overrides={"aliases": "pepsi"})


def test_default_themes() -> None:
    themes = ThemeSet.default()
    assert themes.names == [
        "Product Promotion",
        "Brand Awareness",
        "Fan Content",
        "Personal Post",
        "Meme",
        "News",
        "Unrelated",
    ]
    assert all(t.description and t.examples for t in themes.themes)
    assert themes.version == ThemeSet.default().version
    assert themes.fallback == "Unrelated"


def test_themes_from_yaml(tmp_path: Path) -> None:
    path = tmp_path / "themes.yaml"
    path.write_text(
        "themes:\n  - name: Deal\n    description: A price or offer.\n    examples: [50% off]\n"
        "  - name: Other\n    description: Anything else.\n",
        encoding="utf-8",
    )
    themes = ThemeSet.from_yaml(path)
    assert themes.names == ["Deal", "Other"] and themes.fallback == "Other"
    changed = path.read_text().replace("A price or offer.", "A discount.")
    path.write_text(changed, encoding="utf-8")
    assert ThemeSet.from_yaml(path).version != themes.version
    for bad in (
        "themes: []",
        "themes: [{name: A}]",
        "themes:\n - {name: A, description: x}\n - {name: A, description: y}",
        "themes: [",
        "x: 1",
    ):
        path.write_text(bad, encoding="utf-8")
        with pytest.raises(InvalidInput):
            ThemeSet.from_yaml(path)
    with pytest.raises(InvalidInput):
        ThemeSet.from_yaml(tmp_path / "missing.yaml")


def test_ad_text_truncates_and_flags_empty_or_non_text() -> None:
    long = ad_text(Ad("1", body_text="x" * (MAX_AD_CHARS + 500)))
    assert len(long.body) == MAX_AD_CHARS and f"body truncated to {MAX_AD_CHARS} chars" in long.notes
    empty = ad_text(Ad("2", body_text="   ", title=None, description=42))  # type: ignore[arg-type]
    assert empty.empty and "ad has no text" in empty.notes
    joined = ad_text(Ad("3", body_text="Body", title="Title", description="Body", page_name="Page"))
    assert joined.body == "Title \nBody" and joined.full.startswith("Page: ")


def test_temperature_fixes_overconfident_logits() -> None:
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 3, 600)
    logits = rng.normal(0, 1, (600, 3))
    logits[np.arange(600), labels] += 1.0
    logits *= 8.0  # far too confident
    t = fit_temperature(logits, labels)
    assert t > 3.0
    assert nll(logits, labels, t) < nll(logits, labels, 1.0)


def test_platt_recovers_a_known_calibration() -> None:
    rng = np.random.default_rng(1)
    scores = rng.normal(0, 2, 4000)
    labels = rng.random(4000) < sigmoid(0.5 * scores - 1.0)
    a, b = fit_platt(scores, labels.astype(float))
    assert abs(a - 0.5) < 0.1 and abs(b + 1.0) < 0.15
    probs = sigmoid(a * scores + b)
    assert expected_calibration_error(np.maximum(probs, 1 - probs), (probs >= 0.5) == labels) < 0.05


def test_relevance_model_is_monotone_in_evidence_and_round_trips(tmp_path: Path) -> None:
    model = RelevanceModel.shipped()
    none = features(ev("Apple", "a sunny day at the beach"), 0.05, "Apple")
    name = features(ev("Apple", "Apple launches a new phone"), 0.05, "Apple")
    pie = features(ev("Apple", "apple pie for dessert"), 0.05, "Apple")
    p_none, p_name, p_pie = (float(model.proba(x)[0]) for x in (none, name, pie))
    assert 0.0 <= p_none < 0.5 < p_name <= 1.0
    assert p_pie < 0.5
    assert len(none) == len(FEATURES)
    model.save(tmp_path / "rel.json")
    again = RelevanceModel.from_dict(__import__("json").loads((tmp_path / "rel.json").read_text()))
    assert np.allclose(again.proba(name), model.proba(name), atol=1e-5)
