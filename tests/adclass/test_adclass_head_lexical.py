"""The theme head's TF-IDF view, the packaged head and the written examples, with the real MiniLM embedder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from adlens.adclass.classifiers import Ad, FastClassifier, ThemeSet
from adlens.adclass.classifiers.fast import packaged_head
from adlens.adclass.classifiers.head import LinearHead, PrototypeHead, head_themes
from adlens.adclass.classifiers.lexical import SCALE, Lexical
from adlens.adclass.classifiers.written import written_examples
from adlens.config import Settings
from adlens.errors import InvalidInput
from adlens.runtime import Runtime

THEMES = ThemeSet.default()
CLASSES = head_themes(THEMES)


@pytest.fixture(scope="module")
def runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runtime]:
    rt = Runtime(Settings(home=tmp_path_factory.mktemp("adclass-head")))
    yield rt
    rt.close()


def test_lexical_features_are_fitted_normalised_and_round_trip() -> None:
    lex = Lexical.fit(["Win a free phone today!", "win free tickets now", "I love my phone"])
    x = lex.transform(["win a free phone", "zzzz qqqq"]).toarray()
    assert x.shape == (2, lex.size) and lex.size > 0
    assert not x[1].any()  # nothing known: an all-zero row, no error
    # two blocks (words, characters), each scaled to SCALE
    assert np.isclose(np.linalg.norm(x[0]), SCALE * np.sqrt(2), atol=1e-4)
    again = Lexical.from_dict(lex.to_dict())
    assert np.allclose(again.transform(["win a free phone"]).toarray(), x[:1])


def test_written_examples_cover_every_theme_and_are_unique() -> None:
    pairs = written_examples(CLASSES)
    assert len(pairs) >= 300
    assert {n for _, n in pairs} == set(CLASSES)
    texts = [t for t, _ in pairs]
    assert len(set(texts)) == len(texts)
    assert written_examples(["Only A Custom Theme"]) == []


def test_lexical_head_saves_loads_and_needs_texts(runtime: Runtime, tmp_path: Path) -> None:
    pairs = written_examples(CLASSES)
    texts, ys = [t for t, _ in pairs], [n for _, n in pairs]
    vecs = runtime.text_embedder.embed(texts)
    head = LinearHead.fit(vecs, ys, CLASSES, c=8.0, texts=texts, style=False, lexical=True, seed=0)
    assert head.meta["lexical"] is True and head.lexical is not None and not head.style
    probe = ["Nike running shoes 40% off this weekend, order online", "lol my phone died again #fail"]
    pv = runtime.text_embedder.embed(probe)
    p1 = head.predict_proba(pv, probe)
    path = tmp_path / "head.json"
    head.save(path, THEMES.version)
    loaded = LinearHead.load(path, THEMES)
    assert np.allclose(loaded.predict_proba(pv, probe), p1, atol=1e-5)
    assert loaded.version == head.version and loaded.version.startswith("head-")
    with pytest.raises(InvalidInput):
        loaded.predict_proba(pv)  # the lexical view needs the texts
    # the lexical view changes the answer: the same head without it differs on these texts
    plain = LinearHead.fit(vecs, ys, CLASSES, c=8.0, seed=0)
    assert not np.allclose(plain.predict_proba(pv), p1)


def test_packaged_head_separates_clear_cases(runtime: Runtime) -> None:
    head = packaged_head(THEMES)  # its view (MiniLM, or + TF-IDF) is whatever the ads of dev chose
    assert isinstance(head, LinearHead) and isinstance(head.meta.get("lexical"), bool)
    assert "written examples" in str(head.meta.get("fit"))
    fast = FastClassifier(runtime.text_embedder, THEMES)
    assert fast.head.version == head.version
    ads = [
        Ad("promo", "Nike Air running shoes now 40% off. Order online today, free shipping."),
        Ad(
            "cause",
            "Every child deserves clean water. Nike is proud to support communities around the world.",
        ),
        Ad("news", "Nike reports quarterly revenue up 8%, the company said on Thursday."),
    ]
    got = {p.ad_id: p.theme for p in fast.classify("Nike", ads)}
    assert got == {"promo": "Product Promotion", "cause": "Brand Awareness", "news": "News"}


def test_a_head_for_other_themes_is_ignored_not_fatal(tmp_path: Path) -> None:
    from adlens.adclass.service import head_path, load_classifier

    themes_file = tmp_path / "themes.yaml"
    themes_file.write_text(
        "themes:\n- {name: Offer, description: sells a product}\n- {name: Story, description: brand story}\n"
        "- {name: Unrelated, description: not about the brand}\n",
        encoding="utf-8",
    )
    settings = Settings(home=tmp_path / "home", adclass_themes_path=themes_file)
    rt = Runtime(settings)
    try:
        stale = packaged_head(THEMES)
        assert stale is not None
        stale.save(head_path(settings), THEMES.version)  # retrained earlier for the built-in themes
        clf = load_classifier(rt, "fast")
        assert isinstance(clf.head, PrototypeHead) and clf.themes.names == ["Offer", "Story", "Unrelated"]
    finally:
        rt.close()
