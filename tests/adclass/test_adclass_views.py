"""Theme-head text views: MiniLM alone or MiniLM + mpnet, recorded in the head and rebuilt at prediction."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from test_adclass_clf_fast import TRAIN

from adlens.adclass.classifiers import Ad, FastClassifier, ThemeSet, get_classifier, train_head
from adlens.adclass.classifiers.views import default_view
from adlens.embed.mpnet import mpnet_available
from adlens.errors import InvalidInput, Unavailable

ADS = [
    Ad("promo", "Nike running shoes now 40% off, order online today"),
    Ad("news", "Nike shares fall after quarterly results, the company said on Thursday"),
]


@pytest.fixture(scope="module")
def runtime() -> Iterator[object]:
    from adlens.config import get_settings
    from adlens.runtime import Runtime

    rt = Runtime(get_settings())
    yield rt
    rt.close()


def test_minilm_view_needs_no_second_model(runtime: object, tmp_path: Path) -> None:
    themes = ThemeSet.default()
    path = tmp_path / "head.json"
    metrics = train_head(TRAIN * 2, runtime, themes, path, view="minilm")
    assert metrics["view"] == "minilm"
    clf = FastClassifier(runtime.text_embedder, themes, head_path=path)  # type: ignore[attr-defined]
    assert clf.view == "minilm"
    promo, news = clf.classify("Nike", ADS)
    assert promo.theme == "Product Promotion" and news.theme == "News"
    with pytest.raises(InvalidInput, match="unknown head view"):
        train_head(TRAIN, runtime, themes, tmp_path / "x.json", view="bert")


@pytest.mark.skipif(not mpnet_available(), reason="the mpnet part wheels are not installed")
def test_mpnet_view_is_the_default_when_installed_and_round_trips(runtime: object, tmp_path: Path) -> None:
    themes = ThemeSet.default()
    path = tmp_path / "head.json"
    assert default_view() == "minilm+mpnet"
    metrics = train_head(TRAIN * 2, runtime, themes, path)
    assert metrics["view"] == "minilm+mpnet"
    clf = get_classifier("fast", runtime, themes=themes, head_path=path)
    assert isinstance(clf, FastClassifier) and clf.view == "minilm+mpnet"
    assert clf.head.coef.shape[1] == 384 + 768  # type: ignore[union-attr]
    promo, news = clf.classify("Nike", ADS)
    assert promo.theme == "Product Promotion" and news.theme == "News"
    with pytest.raises(Unavailable, match="mpnet"):  # no second-view source: refused when built
        FastClassifier(runtime.text_embedder, themes, head_path=path)  # type: ignore[attr-defined]


@pytest.mark.skipif(not mpnet_available(), reason="the mpnet part wheels are not installed")
def test_an_mpnet_head_without_the_wheels_is_refused_when_built(
    runtime: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from adlens.adclass.classifiers import fast

    themes = ThemeSet.default()
    path = tmp_path / "head.json"
    train_head(TRAIN * 2, runtime, themes, path, view="minilm+mpnet")
    monkeypatch.setattr(fast, "mpnet_available", lambda: False)  # as after uninstalling the wheels
    with pytest.raises(Unavailable, match=r"install\.sh --mpnet"):
        get_classifier("fast", runtime, themes=themes, head_path=path)
