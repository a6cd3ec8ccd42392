"""Zero-shot scoring on clear texts (real MiniLM), calibration maths, keywords."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from adlens.contextual.calibration import (
    TemperatureCalibrator,
    expected_calibration_error,
    reliability_table,
    softmax,
)
from adlens.contextual.keywords import extract_keywords
from adlens.contextual.scoring import Classification, ContextScorer, Document, ImageEvidence, chunk_text
from adlens.errors import InvalidInput

CLEAR = [
    (
        "Sports",
        Document(
            url="https://example.test/a",
            title="United beat City 3-1 in the derby",
            text="The striker scored twice in the second half and the goalkeeper saved a penalty as "
            "United moved top of the league table. The manager praised the defence after the match.",
        ),
    ),
    (
        "Business and Finance",
        Document(
            url="https://example.test/b",
            title="Shares slide as bank reports lower quarterly profit",
            text="The lender's earnings fell 12 percent on weaker trading revenue, and its stock dropped "
            "on the exchange. Analysts expect the economy to slow and interest rates to stay high.",
        ),
    ),
    (
        "Technology & Computing",
        Document(
            url="https://example.test/c",
            title="New laptop processor doubles battery life",
            text="The chip maker's latest processor runs software faster and uses less power. The "
            "computers ship with an updated operating system and artificial intelligence features.",
        ),
    ),
    (
        "Food & Drink",
        Document(
            url="https://example.test/d",
            title="Easy lemon and garlic pasta recipe",
            text="Boil the spaghetti, fry garlic in olive oil, add lemon zest and parmesan. This quick "
            "dinner recipe serves four and takes twenty minutes to cook.",
        ),
    ),
]


@pytest.fixture(scope="module")
def scorer() -> ContextScorer:
    from adlens.config import get_settings
    from adlens.contextual.brand_safety import BrandSafety
    from adlens.contextual.taxonomy import load_taxonomy
    from adlens.embed import TextEmbedder

    settings = get_settings()  # the test session's home: node vectors are embedded once per session
    embedder = TextEmbedder.from_settings(settings)
    return ContextScorer(
        load_taxonomy("iab-3.1"), embedder, cache_dir=settings.cache_dir, safety=BrandSafety(embedder)
    )


def test_clear_texts_rank_their_tier1_first(scorer: ContextScorer) -> None:
    results = scorer.classify_many([doc for _, doc in CLEAR], top_k=8)
    for (expected, _), res in zip(CLEAR, results, strict=True):
        assert isinstance(res, Classification)
        tier1 = [c for c in res.categories if c.tier == 1]
        assert tier1[0].name == expected, [(c.name, c.confidence) for c in tier1[:3]]
        assert 0.0 < tier1[0].confidence <= 1.0
        assert res.taxonomy == "iab-3.1" and res.keywords
        assert res.brand_safety["risk_level"] == "none"


def test_hierarchy_evidence_and_probabilities(scorer: ContextScorer) -> None:
    res = scorer.classify(CLEAR[0][1], top_k=40)
    by_id = {c.id: c for c in res.categories}
    sports = by_id["483"]
    assert "Sports" in sports.path[0]
    assert sports.evidence["phrases"]  # e.g. "league", "match" from the description keywords
    soccer = by_id.get("533")
    assert soccer is not None and soccer.path == ["Sports", "Soccer"]
    assert soccer.confidence <= sports.confidence  # P(child) = P(parent) * P(child | parent)
    children = [c for c in res.categories if c.path[0] == "Sports" and c.tier == 2]
    assert sum(c.confidence for c in children) <= sports.confidence + 1e-6
    tier1_mass = sum(c.confidence for c in res.categories if c.tier == 1)
    assert tier1_mass <= 1.0 + 1e-6


def test_low_confidence_and_notes(scorer: ContextScorer) -> None:
    short = scorer.classify(Document(url="u", title="Hello", text="Welcome."))
    assert short.low_confidence and any("little text" in n for n in short.notes)
    french = scorer.classify(Document(url="u", title="Le match", text=CLEAR[0][1].text, language="fr"))
    assert french.low_confidence and any("English-only" in n for n in french.notes)
    assert scorer.classify_many([]) == []
    cut = scorer.classify(Document(url="u", title=CLEAR[1][1].title, text=CLEAR[1][1].text, truncated=True))
    assert any("truncated" in n for n in cut.notes)


def test_images_add_evidence(scorer: ContextScorer) -> None:
    vec = scorer.embedder.embed(["a football match in a stadium, soccer ball, players"])[0]
    doc = Document(
        url="u",
        title="Weekend report",
        text="A short update on what happened this weekend in town. " * 3,
        images=[
            ImageEvidence(
                url="https://example.test/i.jpg",
                alt="soccer match",
                concepts=["soccer ball"],
                text_vector=vec,
            )
        ],
    )
    plain = Document(url="u", title=doc.title, text=doc.text)
    with_img, without = scorer.classify_many([doc, plain], top_k=40)
    conf = {c.name: c.confidence for c in with_img.categories}
    conf0 = {c.name: c.confidence for c in without.categories}
    assert conf.get("Sports", 0) > conf0.get("Sports", 0)
    sports = next(c for c in with_img.categories if c.name == "Sports")
    assert sports.evidence["images"] == ["https://example.test/i.jpg"]


def test_other_taxonomies_score(tmp_path: Path, scorer: ContextScorer) -> None:
    from adlens.contextual.taxonomy import load_taxonomy

    meta = ContextScorer(load_taxonomy("meta-interests"), scorer.embedder, cache_dir=tmp_path)
    res = meta.classify(CLEAR[3][1], top_k=3)
    assert res.categories[0].path[0] == "Food and drink"
    assert any("not calibrated" in n for n in res.notes)


def test_from_runtime_is_cached(fresh_settings) -> None:
    from adlens.runtime import Runtime

    runtime = Runtime(fresh_settings)
    try:
        a = ContextScorer.from_runtime(runtime, "google-verticals")  # small: 96 nodes to embed
        assert ContextScorer.from_runtime(runtime, "google-ads") is a
        assert a.taxonomy.version == "google-verticals"
        assert list((fresh_settings.cache_dir / "contextual").glob("nodes-google-verticals-*.npz"))
        with pytest.raises(InvalidInput):
            ContextScorer.from_runtime(runtime, "nope")
    finally:
        runtime.close()


def test_temperature_fit_and_monotonicity() -> None:
    rng = np.random.default_rng(0)
    n, k = 400, 5
    labels = rng.integers(0, k, n)
    scores = rng.normal(0, 0.05, (n, k))
    scores[np.arange(n), labels] += 0.08  # informative but noisy
    cal = TemperatureCalibrator.fit(scores, [[int(y)] for y in labels])
    probs = cal.transform(scores)
    assert np.allclose(probs.sum(axis=1), 1.0)
    # calibration is monotone: a higher raw score never gets a lower probability
    row = np.array([[0.1, 0.2, 0.3, 0.4, 0.5]])
    p = cal.transform(row)[0]
    assert np.all(np.diff(p) > 0)
    # the fitted temperature lowers ECE compared with a far-too-sharp one
    top = probs.argmax(axis=1)
    ok = top == labels
    ece_fit = expected_calibration_error(probs.max(axis=1), ok)
    sharp = softmax(scores, 0.001)
    ece_sharp = expected_calibration_error(sharp.max(axis=1), sharp.argmax(axis=1) == labels)
    assert ece_fit < ece_sharp
    with pytest.raises(InvalidInput):
        TemperatureCalibrator.fit(scores[:3], [[0]])


def test_isotonic_step_keeps_ranking_and_sums_to_one() -> None:
    rng = np.random.default_rng(1)
    scores = rng.normal(0, 0.05, (200, 6))
    cal = TemperatureCalibrator(0.03, isotonic=([0.0, 0.5, 0.9, 1.0], [0.1, 0.3, 0.6, 0.8]))
    q = cal.transform(scores)
    p = softmax(scores, 0.03)
    assert np.allclose(q.sum(axis=1), 1.0)
    assert (q.argmax(axis=1) == p.argmax(axis=1)).all()
    iso = np.interp(p.max(axis=1), [0.0, 0.5, 0.9, 1.0], [0.1, 0.3, 0.6, 0.8])
    assert np.all(q.max(axis=1) >= iso - 1e-9)  # the isotonic value, floored only to keep the ranking
    flat = softmax(np.zeros((1, 6)), 0.03)  # uniform: p1 = 1/6 → q1 = max(iso(1/6), 1/6)
    assert cal.transform(np.zeros((1, 6)))[0].max() == pytest.approx(
        max(0.1 + 0.4 * flat[0, 0], flat[0, 0]), abs=1e-6
    )


def test_shipped_calibration_is_loaded() -> None:
    from adlens.config import get_settings
    from adlens.contextual.calibration import load_calibration
    from adlens.contextual.nodes import embedder_id
    from adlens.embed import TextEmbedder

    cal = load_calibration(f"iab-3.1|{embedder_id(TextEmbedder.from_settings(get_settings()))}")
    assert cal is not None and 0.001 < cal.temperature < 1.0
    assert "ads-train" in cal.fitted_on and cal.params["exemplar_weight"] > 0


def test_ece_known_values() -> None:
    assert expected_calibration_error(np.array([1.0, 1.0]), np.array([1, 1])) == pytest.approx(0.0)
    assert expected_calibration_error(np.array([0.9, 0.9]), np.array([0, 0])) == pytest.approx(0.9)
    conf = np.array([0.25, 0.25, 0.75, 0.75])
    assert expected_calibration_error(conf, np.array([0, 1, 1, 1])) == pytest.approx(0.5 * 0.25 + 0.5 * 0.25)
    rows = reliability_table(conf, np.array([0, 1, 1, 1]))
    assert [r["n"] for r in rows] == [2, 2]
    with pytest.raises(InvalidInput):
        expected_calibration_error(np.array([]), np.array([]))


def test_keywords_and_chunks() -> None:
    text = (
        "Solar panels are getting cheaper. Solar panels on rooftops now power millions of homes. "
        "Installers say demand for solar panels and home batteries keeps growing."
    )
    kws = extract_keywords(text, top_n=5)
    assert kws[0] in {"solar panels", "solar"}
    assert all(k == k.lower() for k in kws)
    assert extract_keywords("") == [] and extract_keywords("the and of") == []
    chunks = chunk_text("One two three. Four five six. Seven eight nine.", words=4)
    assert chunks == ["One two three.", "Four five six.", "Seven eight nine."]
    assert len(chunk_text("word. " * 1000, words=10, max_chunks=5)) == 5


def test_shipped_head_is_loaded_and_used() -> None:
    from adlens.config import get_settings
    from adlens.contextual.calibration import load_calibration
    from adlens.contextual.head import load_head
    from adlens.contextual.nodes import embedder_id
    from adlens.embed import TextEmbedder

    key = f"iab-3.1|{embedder_id(TextEmbedder.from_settings(get_settings()))}"
    head = load_head(key)
    cal = load_calibration(key)
    assert head is not None and cal is not None
    assert "news-train" in head.fitted_on and cal.params["head_weight"] > 0
    assert head.coef.shape == (len(head.classes), 384) and "483" in head.classes  # Sports
    assert load_head("iab-3.1|another-embedder") is None


def test_linear_head_fit_and_alignment(tmp_path: Path) -> None:
    from adlens.contextual.head import fit_head, load_head

    rng = np.random.default_rng(0)
    centres = rng.normal(size=(3, 8))
    x = np.vstack([c + 0.1 * rng.normal(size=(20, 8)) for c in centres])
    y = [lab for lab in ("a", "b", "c") for _ in range(20)]
    head = fit_head(x, y, key="k", c=4.0, fitted_on="synthetic")
    lp = head.log_proba(centres, ["c", "zz", "a", "b"])  # reordered, with one unseen id
    assert lp.shape == (3, 4)
    assert np.allclose(np.exp(lp).sum(axis=1), 1.0)
    assert list(lp.argmax(axis=1)) == [2, 3, 0]  # centre of "a" → column of "a", etc.
    assert (lp[:, 1] < np.log(1e-5)).all()  # never-seen category gets the floor
    path = tmp_path / "head.npz"
    head.save(path)
    loaded = load_head("k", path)
    assert loaded is not None and loaded.classes == ["a", "b", "c"] and loaded.fitted_on == "synthetic"
    assert np.allclose(
        loaded.log_proba(centres, ["a", "b", "c"]), head.log_proba(centres, ["a", "b", "c"]), atol=1e-4
    )
    assert load_head("other", path) is None
    (tmp_path / "bad.npz").write_bytes(b"not a zip")
    assert load_head("k", tmp_path / "bad.npz") is None


def test_head_weight_zero_is_the_prototype_scorer() -> None:
    """With ``head_weight = 0`` the head has no effect; with the shipped weight it changes scores."""
    from dataclasses import replace

    from adlens.config import get_settings
    from adlens.contextual.taxonomy import load_taxonomy
    from adlens.embed import TextEmbedder

    settings = get_settings()
    scorer = ContextScorer(
        load_taxonomy("iab-3.1"), TextEmbedder.from_settings(settings), cache_dir=settings.cache_dir
    )
    assert scorer.head is not None and scorer.params.head_weight > 0
    raw = scorer.node_scores([d for _, d in CLEAR])
    assert raw.doc_vectors is not None and raw.doc_vectors.shape == (len(CLEAR), 384)
    with_head = scorer.tier1_scores(raw)
    scorer.params = replace(scorer.params, head_weight=0.0)
    without = scorer.tier1_scores(raw)
    assert not np.allclose(with_head, without)
    names = [scorer.taxonomy.nodes[scorer.index.ids[r]].name for r in scorer.index.roots]
    for (label, _), row in zip(CLEAR, with_head, strict=True):
        assert names[int(row.argmax())] == label
