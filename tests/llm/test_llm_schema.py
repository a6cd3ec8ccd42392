"""The JSON-Schema subset checker and validator."""

from __future__ import annotations

import pytest

from adlens.errors import InvalidInput, UpstreamError
from adlens.llm.schema import check_schema, parse_json_output, validate

SCHEMA = {
    "type": "object",
    "properties": {
        "label": {"type": "string", "enum": ["a", "b"]},
        "ok": {"type": "boolean"},
        "score": {"type": "number", "minimum": 0, "maximum": 1},
        "count": {"type": "integer", "minimum": 1},
        "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 2},
    },
    "required": ["label", "ok"],
    "additionalProperties": False,
}


def test_valid_instance_has_no_errors() -> None:
    check_schema(SCHEMA)
    assert validate({"label": "a", "ok": False, "score": 0.5, "count": 3, "tags": ["x"]}, SCHEMA) == []
    assert validate({"label": "b", "ok": True, "count": 2.0}, SCHEMA) == []


@pytest.mark.parametrize(
    ("instance", "fragment"),
    [
        ({"ok": True}, "missing required property 'label'"),
        ({"label": "c", "ok": True}, "is not one of"),
        ({"label": "a", "ok": 1}, "expected boolean"),
        ({"label": "a", "ok": True, "score": 1.5}, "greater than the maximum"),
        ({"label": "a", "ok": True, "score": -1}, "less than the minimum"),
        ({"label": "a", "ok": True, "count": True}, "expected integer"),
        ({"label": "a", "ok": True, "count": 1.5}, "expected integer"),
        ({"label": "a", "ok": True, "tags": ["x", 2]}, "$.tags[1]: expected string"),
        ({"label": "a", "ok": True, "tags": ["x", "y", "z"]}, "more than 2 items"),
        ({"label": "a", "ok": True, "extra": 1}, "unexpected property 'extra'"),
        ([1], "expected object"),
    ],
)
def test_violations_are_reported(instance: object, fragment: str) -> None:
    errors = validate(instance, SCHEMA)
    assert errors and any(fragment in e for e in errors), errors


@pytest.mark.parametrize(
    ("schema", "fragment"),
    [
        ({"type": "foo"}, "unknown JSON Schema type 'foo'"),
        ({"type": "string", "pattern": "^a"}, "unsupported JSON Schema keyword 'pattern'"),
        ({"type": "object", "properties": {"a": {"$ref": "#/x"}}}, "'$ref' at $.properties.a"),
        ({"type": "object", "properties": {"a": {}}, "required": ["b"]}, "'b'"),
        ({"type": "string", "enum": []}, "non-empty list"),
        ({"type": "number", "minimum": "0"}, "'minimum'"),
        ({"type": "object", "additionalProperties": {"type": "string"}}, "true or false"),
        ([], "must be an object"),
    ],
)
def test_unsupported_or_malformed_schemas_are_refused(schema: object, fragment: str) -> None:
    with pytest.raises(InvalidInput) as info:
        check_schema(schema)
    assert fragment in info.value.message


def test_parse_json_output() -> None:
    assert parse_json_output('{"label": "a", "ok": true}', SCHEMA) == {"label": "a", "ok": True}
    with pytest.raises(UpstreamError, match="not valid JSON"):
        parse_json_output('{"label": "a", "ok": tr', SCHEMA)
    with pytest.raises(UpstreamError, match="expected an object"):
        parse_json_output("[1, 2]", SCHEMA)
    with pytest.raises(UpstreamError, match="does not match the schema") as info:
        parse_json_output('{"label": "z", "ok": true}', SCHEMA)
    assert info.value.detail["violations"]
