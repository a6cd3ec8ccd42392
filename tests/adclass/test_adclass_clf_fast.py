"""The ``fast`` classifier with the real MiniLM embedder: relevance, themes, heads, ensemble routing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from adlens.adclass.classifiers import (
    Ad,
    Classifier,
    FastClassifier,
    ThemeSet,
    get_classifier,
    profile_for,
    train_head,
)
from adlens.adclass.classifiers.ensemble import EnsembleClassifier
from adlens.adclass.classifiers.head import LinearHead, PrototypeHead
from adlens.errors import InvalidInput

# written for these tests (not taken from any data set)
TRAIN = [
    ("Buy one get one free on all large pizzas this Friday, order online", "Product Promotion"),
    ("Now only $19.99: the new wireless speaker with 20 hours of battery", "Product Promotion"),
    ("Save 30% on running shoes, this weekend only in every store", "Product Promotion"),
    ("Sign up today and get your first month free", "Product Promotion"),
    ("For fifty years we have stood for families who build things together", "Brand Awareness"),
    ("We believe every child deserves clean water. That is why we give back.", "Brand Awareness"),
    ("Proud sponsor of the city marathon: together we go further", "Brand Awareness"),
    ("Our story started in a small garage with a big dream", "Brand Awareness"),
    ("omg I love my new sneakers so much, best purchase of the year!!", "Fan Content"),
    ("Queued since 5am for the launch and totally worth it, I adore this brand", "Fan Content"),
    ("this app is amazing, the team keeps making it better and better", "Fan Content"),
    ("obsessed with this lipstick shade, buying three more", "Fan Content"),
    ("Company shares fall 4% after quarterly results miss estimates", "News"),
    ("The automaker announced a recall of 20,000 vehicles on Monday, reports say", "News"),
    ("Regulators approve the merger of the two phone carriers, according to a statement", "News"),
    ("The chain will open 40 new restaurants next year, the CEO said", "News"),
]


@pytest.fixture(scope="module")
def runtime() -> Iterator[object]:
    from adlens.config import get_settings
    from adlens.runtime import Runtime

    rt = Runtime(get_settings())
    yield rt
    rt.close()


@pytest.fixture(scope="module")
def fast(runtime: object) -> FastClassifier:
    clf = get_classifier("fast", runtime)
    assert isinstance(clf, FastClassifier)
    return clf


def test_contract(fast: FastClassifier) -> None:
    assert isinstance(fast, Classifier)
    assert fast.name == "fast" and fast.version.startswith("fast-")
    with pytest.raises(InvalidInput):
        get_classifier("magic", object())


def test_relevance_on_explicit_evidence_and_coincidences(fast: FastClassifier) -> None:
    ads = [
        Ad("brand", "Apple unveils the new MacBook Air, order today"),
        Ad("product", "the #ipad2 line at the store is crazy long"),
        Ad("pie", "Grandma's apple pie recipe with cinnamon and butter"),
        Ad("city", "Visiting the Big Apple next week, tips for Central Park?"),
        Ad("page", "Summer is here. Stay cool.", page_name="Apple"),
    ]
    preds = {p.ad_id: p for p in fast.classify("Apple", ads)}
    assert preds["brand"].is_relevant and preds["product"].is_relevant and preds["page"].is_relevant
    assert not preds["pie"].is_relevant and not preds["city"].is_relevant
    assert preds["pie"].theme == "Unrelated" and preds["city"].theme == "Unrelated"
    assert any("hashtag: #ipad2" in e for e in preds["product"].evidence)
    assert any("coincidental" in e for e in preds["pie"].evidence)
    ford = fast.classify("Ford", [Ad("a", "Affordable family dentistry, same day appointments")])[0]
    assert not ford.is_relevant


def test_predictions_are_consistent_probabilities(fast: FastClassifier) -> None:
    themes = ThemeSet.default()
    ads = [Ad(str(i), t) for i, (t, _) in enumerate(TRAIN[:6])]
    calls: list[tuple[int, int]] = []
    preds = fast.classify("Nike", ads, progress=lambda done, total: calls.append((done, total)))
    assert calls[-1] == (6, 6)
    for p in preds:
        assert p.theme in themes.names and p.backend == "fast"
        assert abs(sum(p.theme_probs.values()) - 1.0) < 1e-3
        assert 0.0 <= p.confidence <= 1.0 and 0.0 <= p.relevance_prob <= 1.0
        assert p.is_relevant == (p.theme != "Unrelated")
        assert p.to_dict()["ad_id"] == p.ad_id


def test_empty_huge_and_non_text_ads(fast: FastClassifier) -> None:
    ads = [
        Ad("empty", ""),
        Ad("none", body_text=None, title=3.5),  # type: ignore[arg-type]
        Ad("huge", "Pepsi " + "refreshing cola " * 2000),
    ]
    empty, none, huge = fast.classify("Pepsi", ads)
    assert not empty.is_relevant and "ad has no text" in empty.notes and empty.relevance_prob == 0.0
    assert not none.is_relevant and "ad has no text" in none.notes
    assert huge.is_relevant and "body truncated to 4000 chars" in huge.notes
    assert fast.classify("Pepsi", []) == []


def test_brand_profile_overrides_change_relevance(fast: FastClassifier) -> None:
    ad = [Ad("x", "Try the new Zentro Max, now in three flavours")]
    assert not fast.classify("Fizzco", ad)[0].is_relevant
    brand = profile_for("Fizzco", overrides={"products": ["Zentro Max"]})
    assert fast.classify("Fizzco", ad, brand=brand)[0].is_relevant


def test_train_head_round_trip(runtime: object, tmp_path: Path) -> None:
    themes = ThemeSet.default()
    path = tmp_path / "heads" / "head.json"
    metrics = train_head(TRAIN * 2, runtime, themes, path)
    assert path.is_file() and metrics["n_examples"] == 32 and metrics["version"].startswith("head-")
    assert 0.0 <= metrics["dev_accuracy"] <= 1.0
    clf = get_classifier("fast", runtime, themes=themes, head_path=path)
    assert isinstance(clf, FastClassifier) and isinstance(clf.head, LinearHead)
    proto = FastClassifier(runtime.text_embedder, themes, head=PrototypeHead(themes, runtime.text_embedder))  # type: ignore[attr-defined]
    assert clf.version != proto.version
    ads = [
        Ad("promo", "Nike running shoes now 40% off, order online today"),
        Ad("news", "Nike shares fall after quarterly results, the company said on Thursday"),
    ]
    promo, news = clf.classify("Nike", ads)
    assert promo.theme == "Product Promotion" and news.theme == "News"
    with pytest.raises(InvalidInput):
        train_head([("text", "Not A Theme")], runtime, themes, tmp_path / "bad.json")
    with pytest.raises(InvalidInput):
        train_head(
            [("only one theme", "News")], runtime, themes, tmp_path / "bad.json", include_theme_examples=False
        )
    other = ThemeSet.from_mapping(
        {"themes": [{"name": "A", "description": "a"}, {"name": "B", "description": "b"}]}
    )
    with pytest.raises(InvalidInput):
        FastClassifier(runtime.text_embedder, other, head_path=path)  # type: ignore[attr-defined]


class _Recorder:
    """A real classifier (fast) that records which ads it was asked about, standing in as the second stage."""

    name = "llm"

    def __init__(self, inner: FastClassifier) -> None:
        self.inner, self.seen = inner, []  # type: list[str]
        self.version = "recorder-1"

    def classify(self, keyword, ads, brand=None, progress=None):  # type: ignore[no-untyped-def]
        self.seen.extend(a.ad_id for a in ads)
        preds = self.inner.classify(keyword, ads, brand)
        for p in preds:
            p.backend = "llm"
        return preds


def test_ensemble_routes_only_unsure_ads(fast: FastClassifier) -> None:
    ads = [
        Ad("sure", "Apple unveils the new iPhone, order today at apple.com"),
        Ad("unsure", "the line downtown is crazy today"),
        Ad("empty", ""),
    ]
    conf = {p.ad_id: p.confidence for p in fast.classify("Apple", ads)}
    threshold = (
        (conf["sure"] + conf["unsure"]) / 2 if conf["unsure"] < conf["sure"] else conf["unsure"] + 1e-6
    )
    second = _Recorder(fast)
    ens = EnsembleClassifier(fast, second, threshold=threshold)
    preds = {p.ad_id: p for p in ens.classify("Apple", ads)}
    assert "unsure" in second.seen and "empty" not in second.seen
    assert preds["unsure"].backend == "ensemble:llm"
    assert any("asked the llm" in n for n in preds["unsure"].notes)
    assert preds["empty"].backend == "ensemble:fast"
    nobody = _Recorder(fast)
    assert all(
        p.backend == "ensemble:fast"
        for p in EnsembleClassifier(fast, nobody, threshold=0.0).classify("Apple", ads)
    )
    assert nobody.seen == []
    assert EnsembleClassifier(fast, second, 0.3).version != EnsembleClassifier(fast, second, 0.4).version
