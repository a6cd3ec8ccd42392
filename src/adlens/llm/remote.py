"""Any OpenAI-compatible server (vLLM, llama-server, Ollama, a hosted API) as a :class:`LanguageModel`.

``endpoint="chat"`` posts to ``/v1/chat/completions`` with the prompt as one user message (for
instruction-tuned models); ``endpoint="completions"`` posts the raw prompt to ``/v1/completions``
(for base models and few-shot prompts). Both send the OpenAI ``response_format`` JSON-Schema
constraint (``strict``); the completions body also carries llama.cpp's ``json_schema`` field, because
llama-server only constrains plain completions through it. The API key is sent as a bearer token and
never logged or shown in ``repr``/``info``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Literal

import httpx
from pydantic import SecretStr

from adlens.errors import InvalidInput, Unavailable, UpstreamError, UpstreamTimeout
from adlens.llm.base import check_batch, check_generation_args, check_prompt
from adlens.llm.schema import check_schema, parse_json_output

if TYPE_CHECKING:
    from adlens.config import Settings

log = logging.getLogger(__name__)

Endpoint = Literal["chat", "completions"]


class OpenAICompatibleModel:
    """Client for an OpenAI-compatible ``/v1`` API; thread-safe (one pooled ``httpx.Client``).

    ``base_url`` may end in ``/v1`` or not. ``max_concurrency`` bounds the requests
    :meth:`generate_json_many` keeps in flight (the server batches them). ``transport`` lets a caller
    plug in its own ``httpx`` transport (proxies, ASGI apps).
    """

    backend = "openai-compatible"

    def __init__(
        self,
        base_url: str,
        model: str = "default",
        api_key: str | SecretStr | None = None,
        *,
        timeout: float = 60.0,
        endpoint: Endpoint = "chat",
        max_concurrency: int = 4,
        schema_name: str = "answer",
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if not isinstance(base_url, str) or not base_url.startswith(("http://", "https://")):
            raise InvalidInput(f"LLM base URL must start with http:// or https://, got {base_url!r}")
        if endpoint not in ("chat", "completions"):
            raise InvalidInput(f"endpoint must be 'chat' or 'completions', got {endpoint!r}")
        if timeout <= 0 or max_concurrency < 1:
            raise InvalidInput("timeout must be positive and max_concurrency at least 1")
        root = base_url.rstrip("/")
        self._api_root = root if root.endswith("/v1") else root + "/v1"
        self._model, self._endpoint, self._timeout = model, endpoint, timeout
        self._schema_name = schema_name
        secret = api_key.get_secret_value() if isinstance(api_key, SecretStr) else api_key
        self._headers = {"Authorization": f"Bearer {secret}"} if secret else {}
        self._max_concurrency = max_concurrency
        self._transport = transport
        self._lock = threading.Lock()
        self._client: httpx.Client | None = None
        self._pool: ThreadPoolExecutor | None = None
        self._answered = False

    @classmethod
    def from_settings(cls, settings: Settings, *, endpoint: Endpoint = "chat") -> OpenAICompatibleModel:
        if not settings.llm_base_url:
            raise Unavailable("llm_backend is 'openai' but ADLENS_LLM_BASE_URL is not set")
        return cls(
            settings.llm_base_url,
            settings.llm_model,
            settings.llm_api_key,
            timeout=settings.llm_timeout_s,
            endpoint=endpoint,
        )

    def __repr__(self) -> str:
        key = "***" if self._headers else None
        return f"OpenAICompatibleModel({self._api_root!r}, model={self._model!r}, api_key={key})"

    def info(self) -> dict[str, Any]:
        return {
            "backend": self.backend,
            "base_url": self._api_root,
            "model": self._model,
            "endpoint": self._endpoint,
            "api_key": "***" if self._headers else None,
            "loaded": self._answered,
        }

    def close(self) -> None:
        with self._lock:
            client, pool, self._client, self._pool = self._client, self._pool, None, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
        if client is not None:
            client.close()

    def __enter__(self) -> OpenAICompatibleModel:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _ensure(self) -> tuple[httpx.Client, ThreadPoolExecutor]:
        with self._lock:
            if self._client is None or self._pool is None:
                limits = httpx.Limits(max_connections=self._max_concurrency * 2)
                self._client = httpx.Client(transport=self._transport, limits=limits)
                self._pool = ThreadPoolExecutor(self._max_concurrency, thread_name_prefix="adlens-llm-http")
            return self._client, self._pool

    # -- generation ------------------------------------------------------------------------------

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
        check_schema(schema)
        check_generation_args(max_tokens, temperature, timeout)
        client, _ = self._ensure()
        limit = timeout if timeout is not None else self._timeout
        body = self._body(check_prompt(prompt), schema, max_tokens, temperature, stop)
        text = self._post(client, body, time.monotonic() + limit, limit)
        return parse_json_output(text, schema, source="LLM server")

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
        checked = check_batch(prompts, schema, max_tokens, temperature, timeout)
        bodies = [self._body(p, schema, max_tokens, temperature, stop) for p in checked]
        if not bodies:
            return []
        client, pool = self._ensure()
        limit = timeout if timeout is not None else self._timeout
        deadline = time.monotonic() + limit
        futures: list[Future[str]] = [pool.submit(self._post, client, b, deadline, limit) for b in bodies]
        try:
            texts = [f.result(timeout=max(deadline - time.monotonic(), 0.0) + 1.0) for f in futures]
        except TimeoutError as exc:
            raise UpstreamTimeout(f"LLM server did not answer within {limit:g} s") from exc
        finally:
            for f in futures:
                f.cancel()
        return [parse_json_output(t, schema, source="LLM server") for t in texts]

    def _body(
        self,
        prompt: str,
        schema: dict[str, Any],
        max_tokens: int,
        temperature: float,
        stop: Sequence[str] | None,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": self._model,
            "max_tokens": max_tokens,
            "temperature": float(temperature),
            "response_format": {
                "type": "json_schema",
                "json_schema": {"name": self._schema_name, "schema": schema, "strict": True},
            },
        }
        if stop:
            body["stop"] = list(stop)
        if self._endpoint == "chat":
            body["messages"] = [{"role": "user", "content": prompt}]
        else:
            body["prompt"] = prompt
            body["json_schema"] = schema
        return body

    def _post(self, client: httpx.Client, body: dict[str, Any], deadline: float, limit: float) -> str:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise UpstreamTimeout(f"LLM server did not answer within {limit:g} s")
        path = "/chat/completions" if self._endpoint == "chat" else "/completions"
        url = self._api_root + path
        try:
            response = client.post(
                url,
                json=body,
                headers=self._headers,
                timeout=httpx.Timeout(remaining, connect=min(remaining, 10.0)),
            )
        except httpx.TimeoutException as exc:
            raise UpstreamTimeout(
                f"LLM server at {self._api_root} did not answer within {limit:g} s"
            ) from exc
        except httpx.TransportError as exc:
            raise Unavailable(
                f"LLM server at {self._api_root} is unreachable ({type(exc).__name__})"
            ) from exc
        log.debug("POST %s -> %s", url, response.status_code)
        if response.status_code >= 400:
            raise _http_error(response, self._api_root)
        try:
            doc = response.json()
        except ValueError as exc:
            raise UpstreamError(f"LLM server at {self._api_root} answered with non-JSON content") from exc
        text, finish = _extract(doc, self._endpoint)
        if finish == "length":
            raise UpstreamError(
                f"LLM output was cut off at max_tokens={body['max_tokens']}; raise max_tokens"
            )
        self._answered = True
        return text


def _extract(doc: Any, endpoint: Endpoint) -> tuple[str, str | None]:
    try:
        choice = doc["choices"][0]
        text = choice["message"]["content"] if endpoint == "chat" else choice["text"]
    except (KeyError, IndexError, TypeError) as exc:
        raise UpstreamError(
            "LLM server answer has no choices[0] text (not an OpenAI-compatible reply)"
        ) from exc
    if not isinstance(text, str):
        raise UpstreamError("LLM server answer has no text content")
    return text, choice.get("finish_reason")


def _http_error(response: httpx.Response, root: str) -> UpstreamError:
    status = response.status_code
    try:
        err = response.json().get("error")
        message = err.get("message") if isinstance(err, dict) else err
    except (ValueError, AttributeError):
        message = None
    message = str(message or response.reason_phrase or "")[:200]
    if status in (401, 403):
        return UpstreamError(f"LLM server at {root} rejected the API key ({status}): {message}")
    if status == 404:
        return UpstreamError(f"LLM server at {root} has no such endpoint or model (404): {message}")
    if status in (408, 504):
        return UpstreamTimeout(f"LLM server at {root} timed out ({status}): {message}")
    kind = "rejected the request" if status < 500 else "failed"
    return UpstreamError(f"LLM server at {root} {kind} ({status}): {message}", detail={"status": status})


__all__ = ["Endpoint", "OpenAICompatibleModel"]
