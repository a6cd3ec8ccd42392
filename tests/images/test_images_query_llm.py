"""The LLM query parser through the real llm seam client, against a local OpenAI-compatible fixture
server on 127.0.0.1 (canned answers), and its fallback to the rule parser."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from adlens.images.query_llm import SCHEMA, build_prompt, parse_query_llm
from adlens.llm import OpenAICompatibleModel, validate

ANSWERS = {
    "Find PNG images of Apple Watch": {"semantic": "Apple Watch", "formats": ["png"], "exclude_concepts": [], "count": None},
    "three shots of sneakers with no humans, on the shop page": {
        "semantic": "sneakers", "formats": [], "exclude_concepts": ["people"], "page_terms": ["shop"], "count": 3,
    },
    "broken answer please": {"semantic": "x", "formats": ["jpeg2000"], "exclude_concepts": [], "count": None},
    "a query the model empties": {"semantic": "", "formats": [], "exclude_concepts": [], "count": None},
}  # fmt: skip


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        request = body["prompt"].rsplit("Request: ", 1)[1].split("\n", 1)[0]
        answer = json.dumps(ANSWERS.get(request, {"nonsense": True}))
        doc = {"choices": [{"text": answer, "finish_reason": "stop"}]}
        data = json.dumps(doc).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def llm() -> Iterator[OpenAICompatibleModel]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    model = OpenAICompatibleModel(
        f"http://127.0.0.1:{server.server_address[1]}", endpoint="completions", timeout=10
    )
    yield model
    model.close()
    server.shutdown()


def test_images_llm_parser_maps_the_answer(llm: OpenAICompatibleModel) -> None:
    q = parse_query_llm("Find PNG images of Apple Watch", llm)
    assert (q.parser, q.semantic, q.formats, q.notes) == ("llm", "Apple Watch", ["png"], [])
    q = parse_query_llm("three shots of sneakers with no humans, on the shop page", llm)
    assert (
        q.parser == "llm" and q.count == 3 and q.exclude_concepts == ["people"] and q.page_terms == ["shop"]
    )
    assert q.where() == {"has_people": {"$ne": True}}


@pytest.mark.parametrize(
    "query", ["broken answer please", "a query the model empties", "not in the canned answers"]
)
def test_images_llm_parser_falls_back_on_bad_answers(llm: OpenAICompatibleModel, query: str) -> None:
    q = parse_query_llm(query, llm)
    assert q.parser == "rules" and q.notes and "LLM parser failed" in q.notes[0]


def test_images_llm_parser_falls_back_when_unreachable() -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again when the block ends: nothing listens there
    model = OpenAICompatibleModel(f"http://127.0.0.1:{port}", endpoint="completions", timeout=5)
    q = parse_query_llm("PNG images of shoes", model)
    assert q.parser == "rules" and q.formats == ["png"] and "Unavailable" in q.notes[0]
    assert parse_query_llm("PNG images of shoes", None).notes


def test_images_llm_prompt_examples_fit_the_schema() -> None:
    prompt = build_prompt("red shoes")
    assert prompt.endswith("Request: red shoes\nJSON:")
    for line in prompt.splitlines():
        if line.startswith("JSON: "):
            assert validate(json.loads(line[6:]), SCHEMA) == [], line
