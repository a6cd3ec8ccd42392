"""The llama.cpp backend with the real packaged Gemma 3 270M base model."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from adlens.errors import InvalidInput, Unavailable, UpstreamError, UpstreamTimeout
from adlens.llm import LanguageModel, LlamaCppModel

ADS = [
    "Order pizza tonight, free delivery on all orders!",
    "Fly to Rome from $99 with our summer fares.",
    "The new X200 laptop: 16 GB RAM, now only $799.",
    "Designer dresses 30% off, this week only.",
]


@pytest.fixture(scope="module")
def model(gguf_path: Path) -> Iterator[LlamaCppModel]:
    m = LlamaCppModel(gguf_path, n_ctx=1024, threads=1, parallel=2, timeout=60)
    yield m
    m.close()


def test_single_prompts_give_schema_valid_json(
    model: LlamaCppModel,
    gguf_path: Path,
    schema: dict[str, Any],
    make_prompt: Callable[[str], str],
    assert_valid_ad: Any,
) -> None:
    assert isinstance(model, LanguageModel)
    for text in ADS[:2]:
        answer = model.generate_json(make_prompt(text), schema, max_tokens=48)
        assert_valid_ad(answer)
    info = model.info()
    assert (info["loaded"], info["model_path"], info["backend"]) == (True, str(gguf_path), "llama.cpp")


def test_batch_of_prompts(
    model: LlamaCppModel, schema: dict[str, Any], make_prompt: Callable[[str], str], assert_valid_ad: Any
) -> None:
    answers = model.generate_json_many([make_prompt(t) for t in ADS], schema, max_tokens=48)
    assert len(answers) == len(ADS)
    for a in answers:
        assert_valid_ad(a)
    assert model.generate_json_many([], schema) == []
    with pytest.raises(InvalidInput, match="list of strings"):
        model.generate_json_many("one prompt", schema)  # type: ignore[arg-type]


def test_batch_answers_come_back_in_prompt_order(model: LlamaCppModel) -> None:
    # a copy task even a 270M base model gets right, so each answer identifies its prompt
    schema = {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}
    shots = 'Repeat the number.\nInput: 7\nJSON: {"n": 7}\nInput: 42\nJSON: {"n": 42}\n'
    numbers = [13, 8, 271, 64, 9]
    answers = model.generate_json_many([f"{shots}Input: {n}\nJSON:" for n in numbers], schema, max_tokens=16)
    assert [a["n"] for a in answers] == numbers


def test_concurrent_callers_share_one_model(
    model: LlamaCppModel, schema: dict[str, Any], make_prompt: Callable[[str], str], assert_valid_ad: Any
) -> None:
    results: list[dict[str, Any]] = []
    errors: list[BaseException] = []

    def call(text: str) -> None:
        try:
            results.append(model.generate_json(make_prompt(text), schema, max_tokens=48))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=call, args=(t,)) for t in ADS[:3]]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(results) == 3
    for a in results:
        assert_valid_ad(a)


def test_numbers_and_arrays_respect_the_schema(model: LlamaCppModel) -> None:
    schema = {
        "type": "object",
        "properties": {
            "score": {"type": "integer", "minimum": 1, "maximum": 5},
            "keywords": {"type": "array", "items": {"type": "string", "maxLength": 12}, "maxItems": 2},
        },
        "required": ["score", "keywords"],
        "additionalProperties": False,
    }
    prompt = (
        'Rate the ad from 1 to 5 and list keywords.\nAd: Cheap shoes!\nJSON: {"score": 2, "keywords": ["shoes"]}\n'
        "Ad: Luxury watches, free shipping\nJSON:"
    )
    answer = model.generate_json(prompt, schema, max_tokens=64)
    assert 1 <= answer["score"] <= 5
    assert isinstance(answer["keywords"], list) and len(answer["keywords"]) <= 2
    assert all(isinstance(k, str) and len(k) <= 12 for k in answer["keywords"])


def test_timeout_then_model_still_works(
    model: LlamaCppModel, schema: dict[str, Any], make_prompt: Callable[[str], str], assert_valid_ad: Any
) -> None:
    with pytest.raises(UpstreamTimeout, match="did not answer within"):
        model.generate_json(make_prompt("Buy one burger, get one free"), schema, max_tokens=48, timeout=0.02)
    assert_valid_ad(model.generate_json(make_prompt("Buy one burger, get one free"), schema, max_tokens=48))


def test_output_cut_off_by_max_tokens(
    model: LlamaCppModel, schema: dict[str, Any], make_prompt: Callable[[str], str]
) -> None:
    with pytest.raises(UpstreamError, match="cut off at max_tokens=3"):
        model.generate_json(make_prompt(ADS[0]), schema, max_tokens=3)


def test_prompt_longer_than_the_context(model: LlamaCppModel, schema: dict[str, Any]) -> None:
    with pytest.raises(InvalidInput, match="too long for the model context"):
        model.generate_json("word " * 2000, schema, max_tokens=8)


@pytest.mark.parametrize(
    ("prompt", "schema", "kwargs", "fragment"),
    [
        ("", {"type": "object"}, {}, "non-empty string"),
        ("x", {"type": "nope"}, {}, "unknown JSON Schema type"),
        ("x", {"type": "string", "format": "email"}, {}, "unsupported JSON Schema keyword 'format'"),
        ("x", {"type": "object"}, {"max_tokens": 0}, "max_tokens"),
        ("x", {"type": "object"}, {"temperature": 5}, "temperature"),
        ("x", {"type": "object"}, {"timeout": -1}, "timeout"),
    ],
)
def test_bad_arguments_are_refused_before_loading(
    prompt: str, schema: dict[str, Any], kwargs: dict[str, Any], fragment: str, tmp_path: Path
) -> None:
    m = LlamaCppModel(tmp_path / "never-loaded.gguf")
    with pytest.raises(InvalidInput, match=fragment):
        m.generate_json(prompt, schema, **kwargs)
    assert m.info()["loaded"] is False


def test_missing_model_file(tmp_path: Path, schema: dict[str, Any]) -> None:
    m = LlamaCppModel(tmp_path / "nowhere" / "model.gguf")
    assert m.info()["loaded"] is False
    with pytest.raises(Unavailable, match=r"LLM model file not found: .*nowhere/model\.gguf"):
        m.generate_json("hello", schema)


def test_file_that_is_not_gguf(tmp_path: Path, schema: dict[str, Any]) -> None:
    bad = tmp_path / "model.gguf"
    bad.write_bytes(b"<html>not a model</html>")
    with pytest.raises(Unavailable, match="not a GGUF model file"):
        LlamaCppModel(bad).load()


def test_truncated_gguf(tmp_path: Path, gguf_path: Path) -> None:
    bad = tmp_path / "truncated.gguf"
    with gguf_path.open("rb") as src:
        bad.write_bytes(src.read(1 << 20))
    with pytest.raises(Unavailable, match="could not load"):
        LlamaCppModel(bad, n_ctx=256, parallel=1).load()


def test_invalid_construction() -> None:
    with pytest.raises(InvalidInput):
        LlamaCppModel(parallel=0)
    with pytest.raises(InvalidInput, match="too small"):
        LlamaCppModel(n_ctx=100)


def test_engine_listener_is_locked_and_close_reloads(
    gguf_path: Path, schema: dict[str, Any], make_prompt: Callable[[str], str], assert_valid_ad: Any
) -> None:
    import httpx

    m = LlamaCppModel(gguf_path, n_ctx=512, threads=1, parallel=1)
    m.load()
    # llama.cpp's server core also listens on a loopback port: nobody else may use it
    address = m._server.listening_address
    assert address.startswith("http://127.0.0.1:")
    reply = httpx.post(address + "/v1/completions", json={"prompt": "hi", "max_tokens": 1}, timeout=10)
    assert reply.status_code == 401
    m.close()
    assert m.info()["loaded"] is False
    assert_valid_ad(m.generate_json(make_prompt(ADS[0]), schema, max_tokens=48))
    m.close()
