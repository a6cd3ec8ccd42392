"""The web UI: static pages served by the API server itself (no Node build step)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

from adlens.errors import NotFound

WEB_DIR = Path(__file__).resolve().parent.parent / "web"
PAGES = WEB_DIR / "pages"
STATIC = WEB_DIR / "static"


def install_web(app: FastAPI) -> None:
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(PAGES / "index.html", media_type="text/html")

    @app.get("/{page}", include_in_schema=False)
    def page(page: str) -> FileResponse:
        if not page.replace("-", "").isalnum():
            raise NotFound(f"no page '{page}'")
        path = PAGES / f"{page}.html"
        if not path.is_file():
            path = PAGES / "missing.html"
        return FileResponse(path, media_type="text/html")


__all__ = ["install_web"]
