"""The six applications and how the interfaces find them.

An application is a subpackage ``adlens.<name>`` that may provide ``api.router`` (FastAPI),
``cli.app`` (Typer) and a web page ``web/pages/<name>.html``. The API, CLI and web navigation are
built from this one list, so an application is either fully reachable or clearly marked absent.
"""

from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PAGES_DIR = Path(__file__).parent / "web" / "pages"


@dataclass(frozen=True)
class AppInfo:
    name: str
    title: str
    summary: str
    cli_extra: tuple[str, ...] = ()  # top-level commands/groups from ``cli.commands`` / ``cli.groups``

    def _has(self, module: str) -> bool:
        try:
            return importlib.util.find_spec(f"adlens.{self.name}.{module}") is not None
        except ModuleNotFoundError:
            return False

    @property
    def has_api(self) -> bool:
        return self._has("api")

    @property
    def has_cli(self) -> bool:
        return self._has("cli")

    @property
    def has_page(self) -> bool:
        return (PAGES_DIR / f"{self.name}.html").is_file()

    @property
    def available(self) -> bool:
        return self.has_api and self.has_cli and self.has_page

    def load(self, module: str, attr: str) -> Any:
        return getattr(importlib.import_module(f"adlens.{self.name}.{module}"), attr)

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "summary": self.summary,
            "available": self.available,
            "api": self.has_api,
            "cli": self.has_cli,
            "page": f"/{self.name}" if self.has_page else None,
        }


APPS: tuple[AppInfo, ...] = (
    AppInfo(
        "contextual",
        "Contextual targeting",
        "URL → IAB/Google/Meta categories, brand safety, OpenRTB segments",
        ("analyze", "taxonomy"),
    ),
    AppInfo("images", "Image search", "Crawl a site and search its images in plain language", ("crawl",)),
    AppInfo(
        "adclass", "Ad classification", "Relevance and theme of stored ads for a brand keyword", ("ads",)
    ),
    AppInfo("creators", "Creator discovery", "Search creator profiles by text, photo or both, with filters"),
    AppInfo("recommend", "Recommendation", "Two-tower multimodal recommender with ranking metrics"),
    AppInfo("analytics", "Advertiser analytics", "A/B tests, difference-in-differences, synthetic control"),
)


def get_app(name: str) -> AppInfo | None:
    return next((a for a in APPS if a.name == name), None)


__all__ = ["APPS", "AppInfo", "get_app"]
