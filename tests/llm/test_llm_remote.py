"""The OpenAI-compatible client, against servers the tests run on 127.0.0.1.

First against llama.cpp's own OpenAI-compatible HTTP server (xllamacpp, serving the packaged Gemma
GGUF, with an API key); then against a small ``http.server`` app that produces the failure modes a
real server shows only rarely (5xx, slowness, non-JSON, replies that break the schema).
"""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from adlens.errors import InvalidInput, Unavailable, UpstreamError, UpstreamTimeout
from adlens.llm import LanguageModel, OpenAICompatibleModel

KEY = "sk-test-4f9a2c"
ADS = ["Order pizza tonight, free delivery!", "Cheap flights to Rome from $99", "Laptop sale: 20% off"]


# -- a real llama.cpp server ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def llama_server(gguf_path: Path) -> Iterator[str]:
    import xllamacpp as xlc

    params = xlc.CommonParams()
    params.model.path = str(gguf_path)
    params.n_ctx = 1024
    params.n_parallel = 2
    params.cpuparams.n_threads = 1
    params.cpuparams_batch.n_threads = 1
    params.swa_full = True
    params.warmup = False
    params.verbosity = 0
    params.hostnames = ["127.0.0.1"]
    params.api_keys = [KEY]
    server = xlc.Server(params)
    address = server.listening_address
    assert address.startswith("http://127.0.0.1:")
    yield address
    del server


def test_real_server_completions_endpoint(
    llama_server: str, schema: dict[str, Any], make_prompt: Callable[[str], str], assert_valid_ad: Any
) -> None:
    with OpenAICompatibleModel(llama_server, "gemma", KEY, endpoint="completions", timeout=60) as model:
        assert isinstance(model, LanguageModel)
        assert_valid_ad(model.generate_json(make_prompt(ADS[0]), schema, max_tokens=48))
        answers = model.generate_json_many([make_prompt(t) for t in ADS[1:]], schema, max_tokens=48)
        assert len(answers) == 2
        for a in answers:
            assert_valid_ad(a)
        assert model.info()["loaded"] is True


def test_real_server_chat_endpoint(llama_server: str, schema: dict[str, Any], assert_valid_ad: Any) -> None:
    with OpenAICompatibleModel(llama_server + "/v1/", "gemma", KEY, endpoint="chat", timeout=60) as model:
        answer = model.generate_json(
            "Classify this ad as JSON with a category and whether it is an ad: Order pizza tonight!",
            schema,
            max_tokens=48,
        )
        assert_valid_ad(answer)


def test_real_server_rejects_a_wrong_key(llama_server: str, schema: dict[str, Any]) -> None:
    model = OpenAICompatibleModel(llama_server, "gemma", "wrong-key", endpoint="completions")
    with pytest.raises(UpstreamError, match=r"rejected the API key \(401\)"):
        model.generate_json("Text: hi\nJSON:", schema, max_tokens=16)


# -- a scripted server for failure modes ---------------------------------------------------------

GOOD = json.dumps({"category": "food", "is_ad": True})


class _Handler(BaseHTTPRequestHandler):
    server: _ScriptedServer

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
        self.server.seen.append({"path": self.path, "auth": self.headers.get("Authorization"), "body": body})
        if self.headers.get("Authorization") != f"Bearer {KEY}":
            return self._json(401, {"error": {"message": "Invalid API Key", "type": "authentication_error"}})
        mode = body.get("model", "")
        if mode == "slow":
            time.sleep(1.5)
        if mode == "status-500":
            return self._json(500, {"error": {"message": "CUDA out of memory"}})
        if mode == "status-503-html":
            return self._raw(503, b"<html>down for maintenance</html>", "text/html")
        if mode == "not-json":
            return self._raw(200, b"<html>hello</html>", "text/html")
        if mode == "no-choices":
            return self._json(200, {"object": "list", "data": []})
        content = {
            "bad-content": "Sure! Here is your JSON:",
            "schema-violation": json.dumps({"category": "cars", "is_ad": True}),
        }.get(mode, GOOD)
        if mode == "echo-prompt":  # answer with a category taken from the prompt, to check ordering
            text = body.get("prompt") or body["messages"][0]["content"]
            content = json.dumps({"category": text.split()[-1], "is_ad": True})
        finish = "length" if mode == "truncated" else "stop"
        if self.path.endswith("/chat/completions"):
            choice = {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": finish,
            }
        else:
            choice = {"index": 0, "text": content, "finish_reason": finish}
        return self._json(200, {"object": "chat.completion", "choices": [choice]})

    def _json(self, status: int, doc: Any) -> None:
        self._raw(status, json.dumps(doc).encode(), "application/json")

    def _raw(self, status: int, data: bytes, ctype: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


class _ScriptedServer(ThreadingHTTPServer):
    daemon_threads = True
    seen: list[dict[str, Any]]

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # the client hung up first (the timeout tests do that on purpose)


@pytest.fixture(scope="module")
def scripted() -> Iterator[_ScriptedServer]:
    server = _ScriptedServer(("127.0.0.1", 0), _Handler)
    server.seen = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _url(server: _ScriptedServer) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}"


def test_chat_request_shape(scripted: _ScriptedServer, schema: dict[str, Any]) -> None:
    model = OpenAICompatibleModel(_url(scripted), "ok", KEY)
    assert model.generate_json("Classify: pizza", schema, max_tokens=32, stop=["\n"]) == json.loads(GOOD)
    seen = scripted.seen[-1]
    assert seen["path"] == "/v1/chat/completions"
    assert seen["auth"] == f"Bearer {KEY}"
    body = seen["body"]
    assert body["messages"] == [{"role": "user", "content": "Classify: pizza"}]
    assert body["response_format"]["type"] == "json_schema"
    assert body["response_format"]["json_schema"]["schema"] == schema
    assert body["response_format"]["json_schema"]["strict"] is True
    assert (body["max_tokens"], body["temperature"], body["stop"]) == (32, 0.0, ["\n"])


def test_completions_request_shape(scripted: _ScriptedServer, schema: dict[str, Any]) -> None:
    model = OpenAICompatibleModel(_url(scripted) + "/v1", "ok", KEY, endpoint="completions")
    assert model.generate_json("Text: pizza\nJSON:", schema) == json.loads(GOOD)
    seen = scripted.seen[-1]
    assert seen["path"] == "/v1/completions"
    assert seen["body"]["prompt"] == "Text: pizza\nJSON:"
    assert seen["body"]["json_schema"] == schema


def test_many_keeps_prompt_order(scripted: _ScriptedServer, schema: dict[str, Any]) -> None:
    model = OpenAICompatibleModel(_url(scripted), "echo-prompt", KEY, max_concurrency=3)
    cats = ["food", "tech", "fashion", "travel", "finance", "other", "food"]
    answers = model.generate_json_many([f"Category: {c}" for c in cats], schema)
    assert [a["category"] for a in answers] == cats


@pytest.mark.parametrize(
    ("mode", "error", "fragment"),
    [
        ("status-500", UpstreamError, r"failed \(500\): CUDA out of memory"),
        ("status-503-html", UpstreamError, r"failed \(503\)"),
        ("not-json", UpstreamError, "non-JSON content"),
        ("no-choices", UpstreamError, "not an OpenAI-compatible reply"),
        ("bad-content", UpstreamError, "not valid JSON"),
        ("schema-violation", UpstreamError, "does not match the schema"),
        ("truncated", UpstreamError, "cut off at max_tokens"),
    ],
)
def test_server_failures_become_clear_errors(
    scripted: _ScriptedServer, schema: dict[str, Any], mode: str, error: type[Exception], fragment: str
) -> None:
    model = OpenAICompatibleModel(_url(scripted), mode, KEY)
    with pytest.raises(error, match=fragment):
        model.generate_json("x", schema)


def test_wrong_key(scripted: _ScriptedServer, schema: dict[str, Any]) -> None:
    with pytest.raises(UpstreamError, match=r"rejected the API key \(401\): Invalid API Key"):
        OpenAICompatibleModel(_url(scripted), "ok", "nope").generate_json("x", schema)


def test_timeout(scripted: _ScriptedServer, schema: dict[str, Any]) -> None:
    model = OpenAICompatibleModel(_url(scripted), "slow", KEY, timeout=30)
    started = time.monotonic()
    with pytest.raises(UpstreamTimeout, match=r"did not answer within 0\.3 s"):
        model.generate_json("x", schema, timeout=0.3)
    with pytest.raises(UpstreamTimeout):
        model.generate_json_many(["a", "b"], schema, timeout=0.3)
    assert time.monotonic() - started < 5


def test_unreachable_server(schema: dict[str, Any]) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(Unavailable, match="unreachable"):
        OpenAICompatibleModel(f"http://127.0.0.1:{port}", "ok", KEY).generate_json("x", schema)


def test_key_never_shown(
    scripted: _ScriptedServer, schema: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    model = OpenAICompatibleModel(_url(scripted), "status-500", KEY)
    with pytest.raises(UpstreamError) as info:
        model.generate_json("x", schema)
    shown = [repr(model), json.dumps(model.info()), info.value.message, caplog.text]
    assert all(KEY not in s for s in shown)
    assert model.info()["api_key"] == "***"


def test_bad_configuration(schema: dict[str, Any]) -> None:
    with pytest.raises(InvalidInput, match="http"):
        OpenAICompatibleModel("127.0.0.1:8080", "m")
    with pytest.raises(InvalidInput, match="endpoint"):
        OpenAICompatibleModel("http://127.0.0.1:1", "m", endpoint="embeddings")  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="unknown JSON Schema type"):
        OpenAICompatibleModel("http://127.0.0.1:1", "m").generate_json("x", {"type": "nope"})
