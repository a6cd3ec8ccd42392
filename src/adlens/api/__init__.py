"""The REST API (FastAPI): ``create_app`` builds it."""

from adlens.api.app import create_app

__all__ = ["create_app"]
