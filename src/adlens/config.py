"""Settings: one pydantic-settings object, read from ``ADLENS_*`` environment variables and ``.env``.

``adlens config`` prints the effective values with secrets masked.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_home() -> Path:
    return Path(os.path.expanduser("~/.adlens"))


class Settings(BaseSettings):
    # env_ignore_empty: ``ADLENS_X=`` means "unset" (the default), not an empty value to validate
    model_config = SettingsConfigDict(
        env_prefix="ADLENS_", env_file=".env", extra="ignore", env_ignore_empty=True
    )

    # where everything lives
    home: Path = Field(default_factory=_default_home, description="Data directory (store, caches, models).")

    # server
    host: str = "127.0.0.1"
    port: int = 8765
    workers: int = Field(
        default=1,
        ge=1,
        le=64,
        description="Server worker processes (`adlens serve --workers`); each holds its own copy of "
        "the models and the store's in-memory index.",
    )
    api_key: SecretStr | None = Field(
        default=None, description="When set, /api/v1 requires it (X-API-Key or Bearer)."
    )
    cors_origins: list[str] = Field(default_factory=list)
    max_upload_bytes: int = 25 * 1024 * 1024

    # models / runtime
    model_dir: Path | None = Field(
        default=None, description="Cache of exported/assembled models (default: HOME/models); shareable."
    )
    threads: int = Field(default=2, description="Threads per ONNX Runtime / llama.cpp session.")
    onnx_provider: Literal["cpu", "cuda", "auto"] = "cpu"
    clip_model_path: Path | None = Field(default=None, description="Local OpenCLIP/HF CLIP/SigLIP folder.")
    ocr_enabled: bool = True

    # store
    store_backend: Literal["embedded", "milvus"] = "embedded"
    milvus_uri: str = "http://127.0.0.1:19530"
    milvus_token: SecretStr | None = None
    exact_scan_threshold: int | None = Field(
        default=None,
        ge=0,
        description=(
            "Filtered queries matching fewer rows than this are answered by exact scan; unset: "
            "size-aware, max(20,000, 500 x rows^(1/3)) (23k at 100k rows, 50k at 1M)."
        ),
    )

    # fetch
    allow_private_networks: bool = Field(
        default=False, description="Allow fetching private/loopback/link-local addresses (tests, demo)."
    )
    user_agent: str = "adlens/0.1 (+https://github.com/adlens/adlens)"
    fetch_timeout_s: float = 15.0
    fetch_max_bytes: int = 10 * 1024 * 1024
    fetch_max_redirects: int = 5
    respect_robots: bool = True
    chromium_path: str = "/usr/bin/chromium"

    # cache
    cache_backend: Literal["disk", "redis"] = "disk"
    redis_url: SecretStr = SecretStr("redis://127.0.0.1:6379/0")
    cache_ttl_s: int = 7 * 24 * 3600

    # llm
    llm_backend: Literal["local", "openai"] = "local"
    llm_model_path: Path | None = Field(
        default=None, description="GGUF path; default: packaged Gemma 3 270M."
    )
    llm_base_url: str | None = None
    llm_model: str = "default"
    llm_api_key: SecretStr | None = None
    llm_timeout_s: float = 60.0
    llm_threads: int | None = Field(
        default=None,
        description="llama.cpp threads (default: ADLENS_THREADS); 1 is faster on a busy 2-core box.",
    )

    # jobs
    job_workers: int = 2

    # applications
    images_max_crawls: int = Field(
        default=2, ge=1, description="Server-wide limit of active crawls (429 beyond)."
    )
    context_front_entries: int = Field(
        default=100_000, ge=0, description="In-process LRU entries in front of the bid-time context cache."
    )
    adclass_database_url: str | None = Field(
        default=None, description="SQLAlchemy URL of the ads database (default: SQLite under ADLENS_HOME)."
    )
    adclass_themes_path: Path | None = Field(
        default=None, description="YAML of the deployment's ad themes (default: the packaged themes.yaml)."
    )
    adclass_brands_path: Path | None = Field(
        default=None, description="YAML of brand knowledge merged over the packaged brands.yaml."
    )

    # demo
    demo: bool = Field(default=False, description="Seed demo data on start.")
    demo_apps: str = Field(default="", description="Comma-separated applications to seed (empty: all).")

    @property
    def data_dir(self) -> Path:
        return self.home / "data"

    @property
    def cache_dir(self) -> Path:
        return self.home / "cache"

    @property
    def models_dir(self) -> Path:
        return self.model_dir or self.home / "models"

    def ensure_dirs(self) -> None:
        for d in (self.home, self.data_dir, self.cache_dir, self.models_dir):
            d.mkdir(parents=True, exist_ok=True)

    def masked(self) -> dict[str, Any]:
        """Effective settings as plain JSON-able values, secrets replaced by ``'***'``."""
        out: dict[str, Any] = {}
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, SecretStr):
                out[name] = "***" if value.get_secret_value() else None
            elif isinstance(value, Path):
                out[name] = str(value)
            else:
                out[name] = value
        return out


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


def reset_settings() -> None:
    """Forget cached settings (tests change the environment)."""
    get_settings.cache_clear()


__all__ = ["Settings", "get_settings", "reset_settings"]
