"""How commands print: one JSON document with ``--json``, a readable rendering otherwise."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import math
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import orjson
from rich.console import Console

console = Console()
err_console = Console(stderr=True)


def to_jsonable(obj: Any) -> Any:
    """Convert numpy/pandas/dataclass/pydantic values to plain JSON types; NaN and inf become ``None``."""
    if obj is None or isinstance(obj, (str, bool)):
        return obj
    if isinstance(obj, int):
        return obj
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, Mapping):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, set, frozenset)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, (dt.datetime, dt.date)):
        return obj.isoformat()
    if isinstance(obj, Path):
        return str(obj)
    if isinstance(obj, enum.Enum):
        return to_jsonable(obj.value)
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return to_jsonable(dataclasses.asdict(obj))
    if hasattr(obj, "model_dump"):  # pydantic
        return to_jsonable(obj.model_dump(mode="json"))
    module = type(obj).__module__
    if module.startswith("numpy"):
        if hasattr(obj, "tolist"):
            return to_jsonable(obj.tolist())
        return to_jsonable(obj.item())
    if module.startswith("pandas"):
        if hasattr(obj, "to_dict"):
            try:
                return to_jsonable(obj.to_dict(orient="records"))  # DataFrame
            except TypeError:
                return to_jsonable(obj.to_dict())  # Series
        if hasattr(obj, "isoformat"):
            return obj.isoformat()
    if hasattr(obj, "item"):
        try:
            return to_jsonable(obj.item())
        except (TypeError, ValueError):
            pass
    return str(obj)


def dumps(data: Any, *, indent: bool = False) -> bytes:
    option = orjson.OPT_INDENT_2 if indent else 0
    return orjson.dumps(to_jsonable(data), option=option)


def emit(data: Any, as_json: bool, human: Callable[[Any], None] | None = None) -> None:
    """Print ``data``: exactly one JSON document on stdout with ``as_json``, else ``human(data)``."""
    if as_json:
        sys.stdout.write(dumps(data, indent=True).decode() + "\n")
        sys.stdout.flush()
        return
    if human is not None:
        human(data)
    else:
        console.print_json(dumps(data).decode())


__all__ = ["console", "dumps", "emit", "err_console", "to_jsonable"]
