"""A small JSON-Schema checker and validator for the subset the LLM seam uses.

Supported keywords: ``type`` (object, array, string, number, integer, boolean, null, or a list of them),
``properties``, ``required``, ``additionalProperties`` (boolean), ``items``, ``enum``, ``const``,
``minimum``/``maximum``, ``minItems``/``maxItems``, ``minLength``/``maxLength``, plus the annotations
``title``, ``description``, ``default``, ``examples`` and ``$schema``. Anything else is refused by
:func:`check_schema`, so a schema we cannot validate is never silently accepted (llama.cpp, for one,
ignores a schema it does not understand and generates unconstrained text).
"""

from __future__ import annotations

import json
from typing import Any

from adlens.errors import InvalidInput, UpstreamError

_TYPES = {"object", "array", "string", "number", "integer", "boolean", "null"}
_ANNOTATIONS = {"title", "description", "default", "examples", "$schema"}
_KEYWORDS = {
    "type",
    "properties",
    "required",
    "additionalProperties",
    "items",
    "enum",
    "const",
    "minimum",
    "maximum",
    "minItems",
    "maxItems",
    "minLength",
    "maxLength",
} | _ANNOTATIONS


def check_schema(schema: Any, path: str = "$") -> None:
    """Raise :class:`InvalidInput` unless ``schema`` is well-formed and inside the supported subset."""
    if not isinstance(schema, dict):
        raise InvalidInput(f"JSON schema at {path} must be an object, got {type(schema).__name__}")
    unknown = sorted(set(schema) - _KEYWORDS)
    if unknown:
        raise InvalidInput(f"unsupported JSON Schema keyword {unknown[0]!r} at {path}")
    kind = schema.get("type")
    kinds = kind if isinstance(kind, list) else [kind] if kind is not None else []
    for k in kinds:
        if k not in _TYPES:
            raise InvalidInput(f"unknown JSON Schema type {k!r} at {path}")
    props = schema.get("properties", {})
    if not isinstance(props, dict):
        raise InvalidInput(f"'properties' at {path} must be an object")
    for name, sub in props.items():
        check_schema(sub, f"{path}.properties.{name}")
    required = schema.get("required", [])
    if not isinstance(required, list) or not all(isinstance(r, str) for r in required):
        raise InvalidInput(f"'required' at {path} must be a list of property names")
    missing = [r for r in required if props and r not in props]
    if missing:
        raise InvalidInput(f"required property {missing[0]!r} at {path} is not in 'properties'")
    if "additionalProperties" in schema and not isinstance(schema["additionalProperties"], bool):
        raise InvalidInput(f"'additionalProperties' at {path} must be true or false")
    if "items" in schema:
        check_schema(schema["items"], f"{path}.items")
    if "enum" in schema and (not isinstance(schema["enum"], list) or not schema["enum"]):
        raise InvalidInput(f"'enum' at {path} must be a non-empty list")
    for key in ("minimum", "maximum"):
        if key in schema and not _is_number(schema[key]):
            raise InvalidInput(f"{key!r} at {path} must be a number")
    for key in ("minItems", "maxItems", "minLength", "maxLength"):
        if key in schema and not (_is_integer(schema[key]) and schema[key] >= 0):
            raise InvalidInput(f"{key!r} at {path} must be a non-negative integer")


def validate(instance: Any, schema: dict[str, Any], path: str = "$") -> list[str]:
    """Return the list of violations of ``schema`` by ``instance`` (empty when valid)."""
    errors: list[str] = []
    kind = schema.get("type")
    kinds = kind if isinstance(kind, list) else [kind] if kind is not None else []
    if kinds and not any(_has_type(instance, k) for k in kinds):
        return [f"{path}: expected {' or '.join(kinds)}, got {_type_name(instance)}"]
    if "enum" in schema and not any(_json_equal(instance, v) for v in schema["enum"]):
        errors.append(f"{path}: {instance!r} is not one of {schema['enum']!r}")
    if "const" in schema and not _json_equal(instance, schema["const"]):
        errors.append(f"{path}: {instance!r} is not {schema['const']!r}")
    if _is_number(instance):
        if "minimum" in schema and instance < schema["minimum"]:
            errors.append(f"{path}: {instance} is less than the minimum {schema['minimum']}")
        if "maximum" in schema and instance > schema["maximum"]:
            errors.append(f"{path}: {instance} is greater than the maximum {schema['maximum']}")
    if isinstance(instance, str):
        if "minLength" in schema and len(instance) < schema["minLength"]:
            errors.append(f"{path}: string shorter than {schema['minLength']}")
        if "maxLength" in schema and len(instance) > schema["maxLength"]:
            errors.append(f"{path}: string longer than {schema['maxLength']}")
    if isinstance(instance, list):
        if "minItems" in schema and len(instance) < schema["minItems"]:
            errors.append(f"{path}: fewer than {schema['minItems']} items")
        if "maxItems" in schema and len(instance) > schema["maxItems"]:
            errors.append(f"{path}: more than {schema['maxItems']} items")
        if "items" in schema:
            for i, item in enumerate(instance):
                errors.extend(validate(item, schema["items"], f"{path}[{i}]"))
    if isinstance(instance, dict):
        props: dict[str, Any] = schema.get("properties", {})
        for name in schema.get("required", []):
            if name not in instance:
                errors.append(f"{path}: missing required property {name!r}")
        for name, value in instance.items():
            if name in props:
                errors.extend(validate(value, props[name], f"{path}.{name}"))
            elif schema.get("additionalProperties") is False:
                errors.append(f"{path}: unexpected property {name!r}")
    return errors


def parse_json_output(text: str, schema: dict[str, Any], *, source: str = "language model") -> dict[str, Any]:
    """Parse a model's JSON answer and check it against ``schema``; :class:`UpstreamError` if either fails."""
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise UpstreamError(f"{source} returned text that is not valid JSON: {_preview(text)}") from exc
    if not isinstance(value, dict):
        raise UpstreamError(f"{source} returned JSON {_type_name(value)}, expected an object")
    problems = validate(value, schema)
    if problems:
        raise UpstreamError(
            f"{source} output does not match the schema: {problems[0]}", detail={"violations": problems}
        )
    return value


def _preview(text: str, limit: int = 120) -> str:
    return repr(text if len(text) <= limit else text[:limit] + "…")


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_integer(value: Any) -> bool:
    return (isinstance(value, int) and not isinstance(value, bool)) or (
        isinstance(value, float) and value.is_integer()
    )


def _has_type(value: Any, kind: str) -> bool:
    return {
        "object": lambda v: isinstance(v, dict),
        "array": lambda v: isinstance(v, list),
        "string": lambda v: isinstance(v, str),
        "number": _is_number,
        "integer": _is_integer,
        "boolean": lambda v: isinstance(v, bool),
        "null": lambda v: v is None,
    }[kind](value)


def _type_name(value: Any) -> str:
    for kind in ("null", "boolean", "integer", "number", "string", "array", "object"):
        if _has_type(value, kind):
            return kind
    return type(value).__name__


def _json_equal(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    return bool(a == b)


__all__ = ["check_schema", "parse_json_output", "validate"]
