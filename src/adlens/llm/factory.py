"""Pick the language model backend from settings."""

from __future__ import annotations

from adlens.config import Settings, get_settings
from adlens.errors import InvalidInput
from adlens.llm.base import LanguageModel
from adlens.llm.local import LlamaCppModel
from adlens.llm.remote import OpenAICompatibleModel


def open_llm(settings: Settings | None = None) -> LanguageModel:
    """Return the configured :class:`LanguageModel` (nothing is loaded or contacted yet).

    ``llm_backend="local"``: llama.cpp over ``llm_model_path`` or the packaged Gemma 3 270M (assembled
    into ``models_dir``). ``llm_backend="openai"``: the OpenAI-compatible server at ``llm_base_url``
    (chat endpoint) with ``llm_model``, ``llm_api_key`` and ``llm_timeout_s``.
    """
    settings = settings or get_settings()
    if settings.llm_backend == "local":
        return LlamaCppModel.from_settings(settings)
    if settings.llm_backend == "openai":
        return OpenAICompatibleModel.from_settings(settings)
    raise InvalidInput(f"unknown llm_backend {settings.llm_backend!r}; use 'local' or 'openai'")


__all__ = ["open_llm"]
