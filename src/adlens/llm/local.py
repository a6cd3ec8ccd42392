"""llama.cpp in-process (via ``xllamacpp``) over a local GGUF file.

The engine is llama.cpp's own server core: ``parallel`` slots with continuous batching, prompt caching
(a slot whose cached tokens share the longest prefix with a new prompt is reused, so few-shot prompts
with a common head only evaluate their tail), and JSON-Schema → grammar constrained sampling.
Requests stream token by token so that a timeout can stop generation at the next token.
"""

from __future__ import annotations

import contextlib
import logging
import secrets
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

from adlens.errors import InvalidInput, Unavailable, UpstreamError, UpstreamTimeout
from adlens.llm.base import check_batch
from adlens.llm.packaged import packaged_model_name, packaged_model_path
from adlens.llm.schema import parse_json_output

if TYPE_CHECKING:
    from adlens.config import Settings

log = logging.getLogger(__name__)


class LlamaCppModel:
    """A GGUF model run by llama.cpp in this process; thread-safe, loaded lazily on first use.

    ``model_path=None`` uses the packaged Gemma 3 270M base model, assembled once into ``cache_dir``
    (default ``Settings().models_dir``). ``n_ctx`` is shared by the ``parallel`` slots (each slot gets
    ``n_ctx // parallel`` tokens). ``swa_full`` keeps the full KV cache of sliding-window layers, which
    Gemma 3 needs for prompt-prefix reuse. ``timeout`` is the default per call, in seconds.
    """

    backend = "llama.cpp"

    def __init__(
        self,
        model_path: Path | str | None = None,
        *,
        n_ctx: int = 2048,
        threads: int = 2,
        parallel: int = 2,
        cache_dir: Path | str | None = None,
        timeout: float = 60.0,
        swa_full: bool = True,
        verbosity: int = 0,
    ) -> None:
        if parallel < 1 or threads < 1:
            raise InvalidInput("parallel and threads must be at least 1")
        if n_ctx < 128 * parallel:
            raise InvalidInput(f"n_ctx={n_ctx} is too small for {parallel} slots (need >= {128 * parallel})")
        if timeout <= 0:
            raise InvalidInput("timeout must be positive")
        self._model_path = Path(model_path).expanduser() if model_path is not None else None
        self._cache_dir = Path(cache_dir).expanduser() if cache_dir is not None else None
        self._n_ctx, self._threads, self._parallel = n_ctx, threads, parallel
        self._timeout, self._swa_full, self._verbosity = timeout, swa_full, verbosity
        self._lock = threading.Lock()
        self._server: Any = None
        self._pool: ThreadPoolExecutor | None = None
        self._resolved: Path | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> LlamaCppModel:
        return cls(
            settings.llm_model_path,
            threads=settings.llm_threads or settings.threads,
            cache_dir=settings.models_dir,
            timeout=settings.llm_timeout_s,
        )

    # -- lifecycle -------------------------------------------------------------------------------

    def load(self) -> None:
        """Load the model now instead of on the first request."""
        self._ensure()

    def close(self) -> None:
        with self._lock:
            pool, self._pool, self._server = self._pool, None, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)

    def __enter__(self) -> LlamaCppModel:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def info(self) -> dict[str, Any]:
        path = self._resolved or self._model_path
        try:
            name = path.name if path is not None else packaged_model_name()
        except Unavailable:
            name = None
        return {
            "backend": self.backend,
            "runtime": f"xllamacpp {_xllamacpp_version()}",
            "model": name,
            "model_path": str(path) if path is not None else None,
            "packaged": self._model_path is None,
            "loaded": self._server is not None,
            "n_ctx": self._n_ctx,
            "parallel": self._parallel,
            "threads": self._threads,
        }

    def _ensure(self) -> tuple[Any, ThreadPoolExecutor]:
        with self._lock:
            if self._server is None or self._pool is None:
                path = self._resolve_path()
                started = time.perf_counter()
                self._server = self._start(path)
                self._resolved = path
                self._pool = ThreadPoolExecutor(self._parallel * 2 + 2, thread_name_prefix="adlens-llm")
                log.info("loaded %s in %.1f s", path.name, time.perf_counter() - started)
            return self._server, self._pool

    def _resolve_path(self) -> Path:
        if self._model_path is None:
            cache_dir = self._cache_dir
            if cache_dir is None:
                from adlens.config import get_settings

                cache_dir = get_settings().models_dir
            path = packaged_model_path(cache_dir)
        else:
            path = self._model_path
            if not path.is_file():
                raise Unavailable(f"LLM model file not found: {path}")
        try:
            with path.open("rb") as handle:
                magic = handle.read(4)
        except OSError as exc:
            raise Unavailable(f"cannot read LLM model file {path}: {exc}") from exc
        if magic != b"GGUF":
            raise Unavailable(f"{path} is not a GGUF model file (bad header)")
        return path

    def _start(self, path: Path) -> Any:
        try:
            import xllamacpp as xlc
        except ImportError as exc:
            raise Unavailable("the local LLM backend needs xllamacpp (pip install xllamacpp)") from exc
        params = xlc.CommonParams()
        params.model.path = str(path)
        params.n_ctx = self._n_ctx
        params.n_parallel = self._parallel
        params.cpuparams.n_threads = self._threads
        params.cpuparams_batch.n_threads = self._threads
        params.cache_prompt = True
        params.swa_full = self._swa_full
        params.warmup = False
        params.verbosity = self._verbosity
        # The engine also listens on a loopback port; lock it with a random key nobody knows.
        params.hostnames = ["127.0.0.1"]
        params.api_keys = [secrets.token_urlsafe(32)]
        try:
            server = xlc.Server(params)
        except RuntimeError as exc:
            raise Unavailable(f"llama.cpp could not load {path} (corrupt or unsupported GGUF?)") from exc
        # One-token warm-up. Besides priming the engine, it avoids a hang: a server that never ran a
        # request blocks forever in its destructor when ONNX Runtime is loaded in the same process.
        with contextlib.suppress(Exception):
            server.handle_completions({"prompt": "ok", "max_tokens": 1, "stream": True}, lambda _chunk: False)
        return server

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
        return self.generate_json_many(
            [prompt], schema, max_tokens=max_tokens, temperature=temperature, stop=stop, timeout=timeout
        )[0]

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
        prompts = check_batch(prompts, schema, max_tokens, temperature, timeout)
        if not prompts:
            return []
        server, pool = self._ensure()
        limit = timeout if timeout is not None else self._timeout
        deadline = time.monotonic() + limit
        body = {
            "max_tokens": max_tokens,
            "temperature": float(temperature),
            "json_schema": schema,
            "cache_prompt": True,
            "stream": True,
        }
        if stop:
            body["stop"] = list(stop)
        cancel = threading.Event()
        futures: list[Future[str]] = [
            pool.submit(_complete, server, {**body, "prompt": p}, max_tokens, cancel) for p in prompts
        ]
        try:
            texts = [f.result(timeout=max(deadline - time.monotonic(), 0.0)) for f in futures]
        except TimeoutError as exc:
            raise UpstreamTimeout(f"local LLM did not answer within {limit:g} s") from exc
        finally:
            if not all(f.done() for f in futures):
                cancel.set()
                for f in futures:
                    f.cancel()
        return [parse_json_output(t, schema, source="local LLM") for t in texts]


def _complete(server: Any, body: dict[str, Any], max_tokens: int, cancel: threading.Event) -> str:
    """Run one streamed completion; stop early when ``cancel`` is set."""
    parts: list[str] = []
    state: dict[str, Any] = {"finish": None, "error": None}

    def on_chunk(chunk: Any) -> bool:
        try:
            if isinstance(chunk, dict) and "error" in chunk:
                state["error"] = chunk["error"]
                return True
            choice = chunk["choices"][0]
            parts.append(choice.get("text") or "")
            state["finish"] = choice.get("finish_reason") or state["finish"]
        except (KeyError, IndexError, TypeError):
            state["error"] = {"message": f"unexpected stream chunk {str(chunk)[:120]}"}
            return True
        return cancel.is_set()

    if cancel.is_set():
        raise UpstreamTimeout("local LLM request cancelled before it started")
    try:
        server.handle_completions(body, on_chunk)
    except Exception as exc:  # the binding raises plain exceptions for engine failures
        raise UpstreamError(f"llama.cpp failed: {exc}") from exc
    if state["error"] is not None:
        raise _engine_error(state["error"])
    if cancel.is_set():
        raise UpstreamTimeout("local LLM request cancelled")
    if state["finish"] == "length":
        raise UpstreamError(f"local LLM output was cut off at max_tokens={max_tokens}; raise max_tokens")
    return "".join(parts)


def _engine_error(error: Any) -> Exception:
    if isinstance(error, dict) and error.get("type") == "exceed_context_size_error":
        return InvalidInput(
            f"prompt is too long for the model context ({error.get('n_prompt_tokens')} tokens, "
            f"{error.get('n_ctx')} per slot); shorten it or raise n_ctx"
        )
    message = error.get("message") if isinstance(error, dict) else error
    return UpstreamError(f"llama.cpp error: {str(message)[:200]}")


def _xllamacpp_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("xllamacpp")
    except PackageNotFoundError:
        return "not installed"


__all__ = ["LlamaCppModel"]
