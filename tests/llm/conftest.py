"""Fixtures for the llm seam: the packaged Gemma 3 270M GGUF, few-shot ad prompts, a schema."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from adlens.llm import packaged_model_path

CATEGORIES = ["food", "tech", "fashion", "travel", "finance", "other"]

AD_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "category": {"type": "string", "enum": CATEGORIES},
        "is_ad": {"type": "boolean"},
    },
    "required": ["category", "is_ad"],
    "additionalProperties": False,
}

FEW_SHOT = """Classify each text: its category and whether it is an advertisement. Answer in JSON.
Text: Get 50% off running shoes this weekend only!
JSON: {"category": "fashion", "is_ad": true}
Text: The weather in Paris was mild yesterday.
JSON: {"category": "travel", "is_ad": false}
Text: New smartphone with 5G, buy now at $499.
JSON: {"category": "tech", "is_ad": true}
Text: Open a savings account with 4% interest today.
JSON: {"category": "finance", "is_ad": true}
"""


def ad_prompt(text: str) -> str:
    return FEW_SHOT + f"Text: {text}\nJSON:"


@pytest.fixture(scope="session")
def gguf_path() -> Path:
    """The packaged GGUF, assembled once into the shared test model cache."""
    cache = Path(os.environ.get("ADLENS_MODEL_DIR", str(Path.home() / ".adlens" / "models")))
    return packaged_model_path(cache)


@pytest.fixture(scope="session")
def schema() -> dict[str, Any]:
    return AD_SCHEMA


@pytest.fixture(scope="session")
def make_prompt() -> Callable[[str], str]:
    return ad_prompt


def _assert_valid_ad(answer: dict[str, Any]) -> None:
    assert set(answer) == {"category", "is_ad"}, answer
    assert answer["category"] in CATEGORIES, answer
    assert isinstance(answer["is_ad"], bool), answer


@pytest.fixture(scope="session")
def assert_valid_ad() -> Callable[[dict[str, Any]], None]:
    """Checks an answer against the ad schema independently of the code under test."""
    return _assert_valid_ad
