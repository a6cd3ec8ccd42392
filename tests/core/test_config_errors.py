from __future__ import annotations

import pytest

from adlens.config import Settings
from adlens.errors import AdlensError, InvalidInput, NotFound, PayloadTooLarge
from adlens.observability import redact


def test_env_overrides_and_secrets_masked(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setenv("ADLENS_HOME", str(tmp_path))
    monkeypatch.setenv("ADLENS_API_KEY", "s3cret-key")
    monkeypatch.setenv("ADLENS_PORT", "9999")
    monkeypatch.setenv("ADLENS_REDIS_URL", "redis://:hunter2@127.0.0.1:6379/0")
    s = Settings()
    assert s.port == 9999
    assert s.home == tmp_path
    masked = s.masked()
    assert masked["api_key"] == "***"
    assert masked["redis_url"] == "***"
    assert "s3cret-key" not in str(masked) and "hunter2" not in str(masked)
    assert s.models_dir == tmp_path / "models" or s.model_dir is not None


def test_bad_setting_is_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADLENS_STORE_BACKEND", "oracle")
    with pytest.raises(ValueError, match="store_backend"):
        Settings()


@pytest.mark.parametrize(
    ("exc", "status", "code"),
    [
        (InvalidInput("x"), 422, "invalid-input"),
        (NotFound("x"), 404, "not-found"),
        (PayloadTooLarge("x"), 413, "payload-too-large"),
    ],
)
def test_problem_documents(exc: AdlensError, status: int, code: str) -> None:
    doc = exc.to_problem(instance="/api/v1/thing")
    assert doc["status"] == status
    assert doc["type"].endswith(code)
    assert doc["detail"] == "x" and doc["instance"] == "/api/v1/thing"


def test_redact_hides_secrets() -> None:
    line = 'api_key=abc123 Authorization: Bearer tok.en-1 url=redis://user:pw@host:6379 "password": "p@ss"'
    out = redact(line)
    for secret in ("abc123", "tok.en-1", ":pw@", "p@ss"):
        assert secret not in out
    assert "***" in out
