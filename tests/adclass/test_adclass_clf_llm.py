"""The ``llm`` classifier with the real packaged Gemma 3 270M model (llama.cpp in-process)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from adlens.adclass.classifiers import Ad, FastClassifier, ThemeSet, get_classifier
from adlens.adclass.classifiers.ensemble import EnsembleClassifier
from adlens.adclass.classifiers.llm import LlmClassifier, llm_schema, prompt_prefix
from adlens.errors import Unavailable
from adlens.llm import LlamaCppModel, packaged_model_path
from adlens.llm.schema import check_schema

ADS = [
    Ad("promo", "Nike Air Max 90 now $99, this weekend only. Shop online."),
    Ad("city", "Visiting the Big Apple next week, any tips?"),
    Ad("empty", "   "),
]


@pytest.fixture(scope="module")
def model() -> Iterator[LlamaCppModel]:
    cache = Path(os.environ.get("ADLENS_MODEL_DIR", str(Path.home() / ".adlens" / "models")))
    m = LlamaCppModel(packaged_model_path(cache), n_ctx=2048, threads=2, parallel=1, timeout=600)
    yield m
    m.close()


@pytest.fixture(scope="module")
def fast() -> Iterator[FastClassifier]:
    from adlens.config import get_settings
    from adlens.runtime import Runtime

    rt = Runtime(get_settings())
    clf = get_classifier("fast", rt)
    assert isinstance(clf, FastClassifier)
    yield clf
    rt.close()


def test_schema_and_shared_prefix() -> None:
    themes = ThemeSet.default()
    schema = llm_schema(themes)
    check_schema(schema)
    assert schema["properties"]["theme"]["enum"] == themes.names
    assert schema["properties"]["is_relevant"]["type"] == "boolean"
    clf = LlmClassifier(model=_NoModel(), themes=themes)
    a, b = clf.prompt("Nike", "one ad"), clf.prompt("Pepsi", "x" * 5000)
    prefix = prompt_prefix(themes)
    assert a.startswith(prefix) and b.startswith(prefix)  # all fixed text first: cached by llama.cpp
    assert a.endswith("Brand: Nike\nText: one ad\nJSON:") and len(b) < len(prefix) + 800


def test_real_model_gives_valid_answers(model: LlamaCppModel, fast: FastClassifier) -> None:
    themes = ThemeSet.default()
    clf = LlmClassifier(model, themes, fallback=fast, timeout=600)
    preds = clf.classify("Nike", ADS)
    assert [p.ad_id for p in preds] == ["promo", "city", "empty"]
    for p in preds:
        assert p.theme in themes.names and isinstance(p.is_relevant, bool)
        assert p.backend == "llm", p.notes  # answered by the model, not by the fallback
        assert not any("timed out" in n for n in p.notes)
        assert p.is_relevant == (p.theme != "Unrelated")
        assert abs(sum(p.theme_probs.values()) - 1.0) < 1e-3
    assert not preds[2].is_relevant and "ad has no text" in preds[2].notes
    # the ensemble asks the same model when fast is unsure (threshold above any confidence)
    routed = EnsembleClassifier(fast, clf, threshold=1.01).classify("Nike", ADS[:1])
    assert routed[0].backend == "ensemble:llm"


def test_timeout_falls_back_to_fast_and_says_so(model: LlamaCppModel, fast: FastClassifier) -> None:
    clf = LlmClassifier(model, ThemeSet.default(), fallback=fast, timeout=0.001)
    preds = clf.classify("Nike", ADS[:2])
    assert [p.backend for p in preds] == ["fast", "fast"]
    assert all(any("llm timed out" in n and "answered by fast" in n for n in p.notes) for p in preds)


def test_unloadable_model_is_unavailable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from adlens.config import get_settings, reset_settings
    from adlens.runtime import Runtime

    bad = tmp_path / "broken.gguf"
    bad.write_bytes(b"not a model")
    monkeypatch.setenv("ADLENS_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("ADLENS_LLM_MODEL_PATH", str(bad))
    reset_settings()
    rt = Runtime(get_settings())
    try:
        with pytest.raises(Unavailable):
            get_classifier("llm", rt)
        with pytest.raises(Unavailable):
            get_classifier("ensemble", rt)
    finally:
        rt.close()
        reset_settings()


class _NoModel:
    """Only used to build prompts; never asked to generate."""

    def info(self) -> dict[str, str]:
        return {"model": "none"}
