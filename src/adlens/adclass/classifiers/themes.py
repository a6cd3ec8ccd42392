"""Ad themes: the built-in set (``data/themes.yaml``) or a deployment's own YAML file."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from adlens.errors import InvalidInput

UNRELATED = "Unrelated"


@dataclass(frozen=True)
class Theme:
    """One theme: a name, what it means, and a few example texts written by us."""

    name: str
    description: str
    examples: tuple[str, ...] = ()

    def prototype_texts(self) -> list[str]:
        """Texts whose embeddings define the zero-shot prototype of this theme."""
        return [f"{self.name}: {self.description}", *self.examples]


@dataclass(frozen=True)
class ThemeSet:
    """An ordered set of themes; ``version`` changes whenever a name or description changes."""

    themes: tuple[Theme, ...]

    def __post_init__(self) -> None:
        if not self.themes:
            raise InvalidInput("a theme set needs at least one theme")
        names = [t.name for t in self.themes]
        if len(set(names)) != len(names):
            raise InvalidInput("theme names must be unique")

    @property
    def names(self) -> list[str]:
        return [t.name for t in self.themes]

    @property
    def version(self) -> str:
        payload = json.dumps([[t.name, t.description] for t in self.themes], ensure_ascii=False)
        return hashlib.sha256(payload.encode()).hexdigest()[:12]

    @property
    def fallback(self) -> str:
        """Theme for ads that are not about the brand (``Unrelated`` if present, else the last one)."""
        return UNRELATED if UNRELATED in self.names else self.names[-1]

    def __contains__(self, name: object) -> bool:
        return name in self.names

    def get(self, name: str) -> Theme:
        for theme in self.themes:
            if theme.name == name:
                return theme
        raise InvalidInput(f"unknown theme {name!r}; known: {', '.join(self.names)}")

    @classmethod
    def default(cls) -> ThemeSet:
        text = resources.files("adlens.adclass").joinpath("data/themes.yaml").read_text(encoding="utf-8")
        return cls.from_mapping(yaml.safe_load(text), source="built-in themes.yaml")

    @classmethod
    def from_yaml(cls, path: Path | str) -> ThemeSet:
        path = Path(path)
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise InvalidInput(f"cannot read themes file {path}: {exc.strerror or exc}") from exc
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            raise InvalidInput(f"themes file {path} is not valid UTF-8 YAML: {exc}") from exc
        return cls.from_mapping(data, source=str(path))

    @classmethod
    def from_mapping(cls, data: Any, source: str = "themes") -> ThemeSet:
        """Build from ``{"themes": [{"name", "description", "examples"?}, ...]}`` (or the bare list)."""
        items = data.get("themes") if isinstance(data, dict) else data
        if not isinstance(items, list) or not items:
            raise InvalidInput(f"{source}: expected a non-empty list under 'themes'")
        themes: list[Theme] = []
        for i, item in enumerate(items):
            if not isinstance(item, dict):
                raise InvalidInput(f"{source}: theme #{i + 1} must be a mapping")
            name, desc = item.get("name"), item.get("description")
            if not isinstance(name, str) or not name.strip():
                raise InvalidInput(f"{source}: theme #{i + 1} needs a non-empty 'name'")
            if not isinstance(desc, str) or not desc.strip():
                raise InvalidInput(f"{source}: theme {name!r} needs a non-empty 'description'")
            examples = item.get("examples") or []
            if not isinstance(examples, list) or not all(isinstance(e, str) for e in examples):
                raise InvalidInput(f"{source}: 'examples' of theme {name!r} must be a list of strings")
            themes.append(Theme(name.strip(), " ".join(desc.split()), tuple(e.strip() for e in examples)))
        return cls(tuple(themes))


__all__ = ["UNRELATED", "Theme", "ThemeSet"]
