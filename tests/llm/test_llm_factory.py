"""open_llm picks the backend from settings without loading or contacting anything."""

from __future__ import annotations

from pathlib import Path

import pytest

from adlens.config import Settings
from adlens.errors import Unavailable
from adlens.llm import LanguageModel, LlamaCppModel, OpenAICompatibleModel, open_llm


def test_local_backend(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, llm_backend="local", llm_model_path=tmp_path / "m.gguf", threads=1)
    model = open_llm(settings)
    assert isinstance(model, LlamaCppModel) and isinstance(model, LanguageModel)
    info = model.info()
    assert info["model_path"] == str(tmp_path / "m.gguf")
    assert (info["loaded"], info["threads"], info["packaged"]) == (False, 1, False)


def test_local_backend_defaults_to_packaged_model(tmp_path: Path) -> None:
    info = open_llm(Settings(home=tmp_path, llm_backend="local")).info()
    assert info["packaged"] is True
    assert info["model"] == "gemma-3-270m-q4_k_m.gguf"


def test_openai_backend(tmp_path: Path) -> None:
    settings = Settings(
        home=tmp_path,
        llm_backend="openai",
        llm_base_url="http://127.0.0.1:8000",
        llm_model="qwen",
        llm_api_key="secret-key",
        llm_timeout_s=5,
    )
    model = open_llm(settings)
    assert isinstance(model, OpenAICompatibleModel)
    assert model.info() == {
        "backend": "openai-compatible",
        "base_url": "http://127.0.0.1:8000/v1",
        "model": "qwen",
        "endpoint": "chat",
        "api_key": "***",
        "loaded": False,
    }


def test_openai_backend_needs_a_url(tmp_path: Path) -> None:
    with pytest.raises(Unavailable, match="ADLENS_LLM_BASE_URL"):
        open_llm(Settings(home=tmp_path, llm_backend="openai"))


def test_public_api() -> None:
    import adlens.llm

    assert set(adlens.llm.__all__) == {
        "LanguageModel",
        "LlamaCppModel",
        "OpenAICompatibleModel",
        "check_schema",
        "open_llm",
        "packaged_model_path",
        "parse_json_output",
        "validate",
    }
    assert all(hasattr(adlens.llm, name) for name in adlens.llm.__all__)
