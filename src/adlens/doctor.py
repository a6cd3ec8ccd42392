"""Self-checks behind ``adlens doctor``: load every model, open the store, drive Chromium.

Each check returns ``{"name", "ok", "required", "seconds", "detail"}``; the embedded defaults are
*required*, scale-out servers (Redis, Milvus) are reported but optional unless configured.
"""

from __future__ import annotations

import asyncio
import io
import time
from collections.abc import Callable
from typing import Any

from adlens.runtime import Runtime


def _check(name: str, required: bool, fn: Callable[[], Any]) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        detail = fn()
        ok = True
    except Exception as exc:
        detail, ok = f"{type(exc).__name__}: {exc}"[:300], False
    return {
        "name": name,
        "ok": ok,
        "required": required,
        "seconds": round(time.perf_counter() - started, 3),
        "detail": detail,
    }


def _sample_png() -> bytes:
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (320, 120), "white")
    ImageDraw.Draw(img).rectangle((20, 20, 300, 100), fill=(200, 30, 30))
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def run_checks(runtime: Runtime, *, include_llm: bool = True) -> list[dict[str, Any]]:
    s = runtime.settings
    checks: list[dict[str, Any]] = []

    def text() -> str:
        vec = runtime.text_embedder.embed(["doctor check"])
        return f"text embedder ok: {vec.shape[1]}-d"

    def image() -> str:
        analysis = runtime.image_embedder.analyze(_sample_png(), ocr=s.ocr_enabled)
        return f"image embedder ok: visual {len(analysis.visual)}-d, top concept {analysis.concepts[0][0]!r}"

    def store() -> str:
        return f"{s.store_backend} store ok: {len(runtime.store.list_collections())} collections"

    def cache() -> str:
        runtime.cache.set("doctor", "ping", b"pong", ttl=60)
        if runtime.cache.get("doctor", "ping") != b"pong":
            raise RuntimeError("cache did not return what was written")
        return f"{s.cache_backend} cache ok"

    def llm() -> str:
        prompt = (
            "Classify the sentiment of each review as JSON.\n"
            'Review: I love it, works great.\nJSON: {"sentiment": "positive"}\n'
            'Review: Broke after a day, awful.\nJSON: {"sentiment": "negative"}\n'
            "Review: Fantastic quality, would buy again.\nJSON: "
        )
        schema = {
            "type": "object",
            "properties": {"sentiment": {"type": "string", "enum": ["positive", "negative"]}},
            "required": ["sentiment"],
            "additionalProperties": False,
        }
        out = runtime.llm.generate_json(prompt, schema, max_tokens=64)
        return f"language model ok: {out}"

    def chromium() -> str:
        from playwright.async_api import async_playwright

        async def go() -> str:
            async with async_playwright() as p:
                browser = await p.chromium.launch(
                    executable_path=s.chromium_path,
                    args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
                )
                try:
                    page = await browser.new_page()
                    await page.set_content("<title>ok</title><p id=x>adlens</p>")
                    return f"chromium {browser.version} ok: rendered {await page.inner_text('#x')!r}"
                finally:
                    await browser.close()

        return asyncio.run(go())

    checks.append(_check("text_embedder", True, text))
    checks.append(_check("image_embedder", True, image))
    checks.append(_check("store", True, store))
    checks.append(_check("cache", True, cache))
    checks.append(_check("chromium", True, chromium))
    if include_llm:
        checks.append(_check("llm", True, llm))
    if s.cache_backend != "redis":
        checks.append(_check("redis (optional)", False, _ping_redis(s.redis_url.get_secret_value())))
    if s.store_backend != "milvus":
        checks.append(_check("milvus (optional)", False, _ping_milvus(s.milvus_uri)))
    return checks


def _ping_redis(url: str) -> Callable[[], str]:
    def go() -> str:
        import redis

        client = redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5)
        client.ping()
        return "redis reachable"

    return go


def _ping_milvus(uri: str) -> Callable[[], str]:
    def go() -> str:
        import socket
        from urllib.parse import urlparse

        parsed = urlparse(uri)
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or 19530), timeout=0.5):
            return "milvus port reachable"

    return go


__all__ = ["run_checks"]
