"""The ``llm`` seam: prompt in, JSON object constrained by a JSON Schema out.

Implementations: :class:`adlens.llm.local.LlamaCppModel` (llama.cpp in-process over a GGUF file) and
:class:`adlens.llm.remote.OpenAICompatibleModel` (any OpenAI-compatible server). Pick one with
:func:`adlens.llm.factory.open_llm`.

Errors (all from :mod:`adlens.errors`): a malformed or unsupported schema or an empty prompt →
``InvalidInput``; model file missing/corrupt or server unreachable → ``Unavailable``; the call ran past
``timeout`` → ``UpstreamTimeout``; the engine or server failed, or its answer is not JSON matching the
schema (including output cut off at ``max_tokens``) → ``UpstreamError``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

from adlens.errors import InvalidInput


@runtime_checkable
class LanguageModel(Protocol):
    """A model that answers prompts with JSON objects valid against a given JSON Schema."""

    def generate_json(
        self,
        prompt: str,
        schema: dict[str, Any],
        *,
        max_tokens: int = 256,
        temperature: float = 0.0,
        stop: Sequence[str] | None = None,
        timeout: float | None = None,
    ) -> dict[str, Any]:
        """Complete ``prompt`` under the ``schema`` constraint; return the validated object.

        ``timeout`` (seconds) bounds the whole call; ``None`` uses the model's default.
        """
        ...

    def generate_json_many(
        self,
        prompts: Sequence[str],
        schema: dict[str, Any],
        *,
        max_tokens: int = 256,
        temperature: float = 0.0,
        stop: Sequence[str] | None = None,
        timeout: float | None = None,
    ) -> list[dict[str, Any]]:
        """Like :meth:`generate_json` for several prompts at once, results in prompt order.

        Prompts run concurrently (parallel slots / server-side batching); ``timeout`` bounds the whole
        batch. The first failure is raised and the remaining requests are cancelled.
        """
        ...

    def info(self) -> dict[str, Any]:
        """Backend name, model name/path, whether it is loaded, and backend-specific settings."""
        ...

    def close(self) -> None:
        """Release the model or connection; a later call loads/opens it again."""
        ...


def check_generation_args(max_tokens: int, temperature: float, timeout: float | None) -> None:
    """Shared argument checks; raise :class:`InvalidInput` with a one-line message."""
    if not isinstance(max_tokens, int) or max_tokens < 1:
        raise InvalidInput(f"max_tokens must be a positive integer, got {max_tokens!r}")
    if not 0.0 <= float(temperature) <= 2.0:
        raise InvalidInput(f"temperature must be between 0 and 2, got {temperature!r}")
    if timeout is not None and timeout <= 0:
        raise InvalidInput(f"timeout must be positive, got {timeout!r}")


def check_prompt(prompt: Any) -> str:
    """Return ``prompt`` if it is a non-empty string, else raise :class:`InvalidInput`."""
    if not isinstance(prompt, str) or not prompt.strip():
        raise InvalidInput("prompt must be a non-empty string")
    return prompt


def check_batch(
    prompts: Sequence[str], schema: dict[str, Any], max_tokens: int, temperature: float, timeout: float | None
) -> list[str]:
    """All checks of a ``generate_json_many`` call; returns the prompts as a list."""
    from adlens.llm.schema import check_schema

    check_schema(schema)
    check_generation_args(max_tokens, temperature, timeout)
    if isinstance(prompts, str):
        raise InvalidInput("prompts must be a list of strings, not a single string")
    return [check_prompt(p) for p in prompts]


__all__ = ["LanguageModel", "check_batch", "check_generation_args", "check_prompt"]
