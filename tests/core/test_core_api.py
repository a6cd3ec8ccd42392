"""The API shell: problem+json errors, request ids, auth, CORS, health, web pages."""

from __future__ import annotations

import pytest
from fastapi import APIRouter
from fastapi.testclient import TestClient
from pydantic import BaseModel, Field

from adlens.api import create_app
from adlens.config import Settings
from adlens.errors import InvalidInput


class Body(BaseModel):
    k: int = Field(ge=1, le=100)


def _app(settings: Settings):
    app = create_app(settings)
    extra = APIRouter(prefix="/api/v1/test")

    @extra.post("/echo")
    def echo(body: Body) -> dict:
        return {"k": body.k}

    @extra.get("/domain-error")
    def domain_error() -> dict:
        raise InvalidInput("the filter 'followers' must be a number")

    @extra.get("/boom")
    def boom() -> dict:
        raise RuntimeError("secret internals")

    app.include_router(extra)
    return app


@pytest.fixture()
def client(fresh_settings: Settings):
    with TestClient(_app(fresh_settings), raise_server_exceptions=False) as c:
        yield c


def test_health_reports_versions_apps_and_seams(client: TestClient) -> None:
    r = client.get("/api/v1/health")
    assert r.status_code == 200
    body = r.json()
    assert body["version"]
    assert {a["name"] for a in body["apps"]} == {
        "contextual",
        "images",
        "adclass",
        "creators",
        "recommend",
        "analytics",
    }
    assert "onnxruntime" in body["versions"]
    assert "database_connected" in body and "model_loaded" in body


def test_errors_are_problem_json_with_request_id(client: TestClient) -> None:
    r = client.get("/api/v1/nope", headers={"X-Request-ID": "abc-123"})
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.headers["x-request-id"] == "abc-123"
    assert r.json()["status"] == 404

    r = client.post("/api/v1/test/echo", json={"k": 1000})
    assert r.status_code == 422
    doc = r.json()
    assert doc["title"] == "Invalid input" and "k" in doc["detail"]

    r = client.get("/api/v1/test/domain-error")
    assert r.status_code == 422 and "followers" in r.json()["detail"]

    r = client.get("/api/v1/test/boom")
    assert r.status_code == 500
    assert "secret internals" not in r.text and "Traceback" not in r.text
    assert r.json()["request_id"]


def test_api_key_required_when_configured(fresh_settings: Settings) -> None:
    from pydantic import SecretStr

    fresh_settings.api_key = SecretStr("k3y")
    with TestClient(_app(fresh_settings), raise_server_exceptions=False) as c:
        assert c.get("/api/v1/health").status_code == 200  # health stays open for probes
        r = c.post("/api/v1/test/echo", json={"k": 1})
        assert r.status_code == 401 and r.headers["content-type"].startswith("application/problem+json")
        assert c.post("/api/v1/test/echo", json={"k": 1}, headers={"X-API-Key": "wrong"}).status_code == 401
        assert c.post("/api/v1/test/echo", json={"k": 1}, headers={"X-API-Key": "k3y"}).status_code == 200
        assert (
            c.post("/api/v1/test/echo", json={"k": 1}, headers={"Authorization": "Bearer k3y"}).status_code
            == 200
        )
        assert c.get("/").status_code == 200  # the UI shell itself is static


def test_cors_when_configured(fresh_settings: Settings) -> None:
    fresh_settings.cors_origins = ["https://brand.example"]
    with TestClient(_app(fresh_settings)) as c:
        r = c.options(
            "/api/v1/health",
            headers={"Origin": "https://brand.example", "Access-Control-Request-Method": "GET"},
        )
        assert r.headers.get("access-control-allow-origin") == "https://brand.example"
        r = c.get("/api/v1/health", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in r.headers


def test_web_shell_pages(client: TestClient) -> None:
    r = client.get("/")
    assert r.status_code == 200 and "adlens" in r.text
    assert client.get("/static/adlens.js").status_code == 200
    assert "Not available" in client.get("/recommend").text or client.get("/recommend").status_code == 200
    assert client.get("/api/openapi.json").status_code == 200
