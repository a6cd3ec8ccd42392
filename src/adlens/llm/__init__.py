"""The ``llm`` seam: prompts in, JSON objects constrained by a JSON Schema out.

``open_llm(settings)`` returns a :class:`LanguageModel`: :class:`LlamaCppModel` (llama.cpp in-process,
default the packaged Gemma 3 270M base model) or :class:`OpenAICompatibleModel` (vLLM, llama-server,
Ollama, …).
"""

from adlens.llm.base import LanguageModel
from adlens.llm.factory import open_llm
from adlens.llm.local import LlamaCppModel
from adlens.llm.packaged import packaged_model_path
from adlens.llm.remote import OpenAICompatibleModel
from adlens.llm.schema import check_schema, parse_json_output, validate

__all__ = [
    "LanguageModel",
    "LlamaCppModel",
    "OpenAICompatibleModel",
    "check_schema",
    "open_llm",
    "packaged_model_path",
    "parse_json_output",
    "validate",
]
