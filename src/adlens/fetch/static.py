"""Static fetching over httpx: SSRF-guarded, size-capped, timed out, redirects followed by hand."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from urllib.parse import urldefrag, urljoin

import httpx

from adlens.errors import (
    InvalidInput,
    PayloadTooLarge,
    UnsupportedMedia,
    UpstreamError,
    UpstreamTimeout,
)
from adlens.fetch.charset import decode_html
from adlens.fetch.guard import UrlGuard
from adlens.fetch.robots import RobotsPolicy
from adlens.fetch.transport import GuardedTransport
from adlens.fetch.types import Page, Resource, UpstreamHTTPError

DEFAULT_USER_AGENT = "adlens/0.1 (+https://github.com/adlens/adlens)"
HTML_TYPES = ("text/html", "application/xhtml+xml", "application/xml", "text/xml", "text/plain")
IMAGE_TYPES = ("image/",)
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_ROBOTS_MAX_BYTES = 512 * 1024
_MAGIC: tuple[tuple[int, bytes, str], ...] = (
    (0, b"\x89PNG\r\n\x1a\n", "image/png"),
    (0, b"\xff\xd8\xff", "image/jpeg"),
    (0, b"GIF87a", "image/gif"),
    (0, b"GIF89a", "image/gif"),
    (8, b"WEBP", "image/webp"),
    (4, b"ftypavif", "image/avif"),
    (0, b"BM", "image/bmp"),
    (0, b"%PDF-", "application/pdf"),
)


def sniff_type(data: bytes) -> str:
    """Content type from magic bytes; ``application/octet-stream`` when unknown."""
    for offset, magic, kind in _MAGIC:
        if data[offset : offset + len(magic)] == magic:
            return kind
    return "application/octet-stream"


def _header_dict(headers: httpx.Headers) -> dict[str, str]:
    """Headers as a dict: repeated headers joined by ", ", except ``set-cookie`` (joined by newlines)."""
    out = dict(headers)
    cookies = headers.get_list("set-cookie")
    if len(cookies) > 1:
        out["set-cookie"] = "\n".join(cookies)
    return out


def _media_type(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


@dataclass
class RawResponse:
    """One HTTP exchange after redirects: status, headers and the (decoded, capped) body bytes."""

    url: str
    final_url: str
    status: int
    content_type: str
    headers: dict[str, str]
    body: bytes
    redirects: tuple[str, ...] = ()
    elapsed_s: float = 0.0


# Set by httpx itself, or meaningless when the request is re-sent from here.
_UNFORWARDED = frozenset(
    {"host", "content-length", "accept-encoding", "connection", "transfer-encoding", "accept"}
)


@dataclass(frozen=True)
class _Spec:
    method: str
    headers: dict[str, str]
    content: bytes | None
    accept: str
    max_bytes: int
    allowed_types: tuple[str, ...] | None

    def as_get(self) -> _Spec:
        headers = {k: v for k, v in self.headers.items() if not k.lower().startswith("content-")}
        return _Spec("GET", headers, None, self.accept, self.max_bytes, self.allowed_types)


class StaticFetcher:
    """Fetch pages and resources with httpx (no JavaScript).

    Timeouts: ``connect_timeout_s`` and ``read_timeout_s`` (per socket operation) and ``timeout_s`` for the
    whole fetch including redirects; exceeding any raises :class:`UpstreamTimeout`.
    """

    def __init__(
        self,
        *,
        guard: UrlGuard | None = None,
        user_agent: str = DEFAULT_USER_AGENT,
        timeout_s: float = 15.0,
        connect_timeout_s: float | None = None,
        read_timeout_s: float | None = None,
        max_bytes: int = 10 * 1024 * 1024,
        max_redirects: int = 5,
        respect_robots: bool = True,
        robots_ttl_s: float = 3600.0,
        verify_tls: bool = True,
    ) -> None:
        self.guard = guard or UrlGuard()
        self.user_agent = user_agent
        self.timeout_s = timeout_s
        self.max_bytes = max_bytes
        self.max_redirects = max_redirects
        self._timeout = httpx.Timeout(
            timeout_s,
            connect=connect_timeout_s if connect_timeout_s is not None else min(timeout_s, 10.0),
            read=read_timeout_s if read_timeout_s is not None else timeout_s,
        )
        self._verify_tls = verify_tls
        self._client: httpx.AsyncClient | None = None
        self.robots: RobotsPolicy | None = (
            RobotsPolicy(self._robots_text, user_agent=user_agent, ttl_s=robots_ttl_s)
            if respect_robots
            else None
        )

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(
                transport=GuardedTransport(self.guard, verify=self._verify_tls),
                headers={"User-Agent": self.user_agent},
                timeout=self._timeout,
                follow_redirects=False,
                trust_env=False,
            )
        return self._client

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def fetch(self, url: str) -> Page:
        """Fetch an HTML (or XML/plain text) page and decode it."""
        raw = await self._download(
            url,
            accept="text/html,application/xhtml+xml;q=0.9,*/*;q=0.5",
            allowed_types=HTML_TYPES,
            max_bytes=self.max_bytes,
        )
        html, encoding = decode_html(raw.body, raw.content_type)
        return Page(
            url=url,
            final_url=raw.final_url,
            status=raw.status,
            content_type=_media_type(raw.content_type) or "text/html",
            encoding=encoding,
            html=html,
            headers=raw.headers,
            redirects=raw.redirects,
            elapsed_s=raw.elapsed_s,
            rendered=False,
        )

    async def fetch_resource(
        self, url: str, *, max_bytes: int | None = None, accept: tuple[str, ...] = IMAGE_TYPES
    ) -> Resource:
        """Download a binary resource whose content type starts with one of ``accept``."""
        raw = await self._download(
            url,
            accept=",".join(f"{a}*" if a.endswith("/") else a for a in accept) + ",*/*;q=0.1",
            allowed_types=accept,
            max_bytes=max_bytes or self.max_bytes,
        )
        kind = _media_type(raw.content_type)
        if not kind or kind == "application/octet-stream":
            kind = sniff_type(raw.body)
            if not kind.startswith(accept):
                raise UnsupportedMedia(f"{raw.final_url} is {kind}, expected {', '.join(accept)}")
        return Resource(url, raw.final_url, kind, raw.body, raw.status, raw.redirects)

    async def _robots_text(self, url: str) -> tuple[int, str]:
        raw = await self._download(
            url,
            accept="text/plain,*/*;q=0.5",
            max_bytes=_ROBOTS_MAX_BYTES,
            robots=False,
            raise_status=False,
            truncate=True,
        )
        return raw.status, raw.body.decode("utf-8", "replace")

    async def request(
        self,
        url: str,
        *,
        method: str = "GET",
        headers: dict[str, str] | None = None,
        content: bytes | None = None,
        max_bytes: int | None = None,
        robots: bool = False,
    ) -> RawResponse:
        """A guarded request of any method; redirects followed by hand; any status returned, not raised."""
        return await self._download(
            url,
            accept=(headers or {}).get("accept", "*/*"),
            max_bytes=max_bytes or self.max_bytes,
            robots=robots,
            raise_status=False,
            method=method,
            headers=headers,
            content=content,
        )

    async def _download(
        self,
        url: str,
        *,
        accept: str,
        max_bytes: int,
        allowed_types: tuple[str, ...] | None = None,
        robots: bool = True,
        raise_status: bool = True,
        truncate: bool = False,
        method: str = "GET",
        headers: dict[str, str] | None = None,
        content: bytes | None = None,
    ) -> RawResponse:
        started = time.monotonic()
        spec = _Spec(method.upper(), dict(headers or {}), content, accept, max_bytes, allowed_types)
        try:
            async with asyncio.timeout(self.timeout_s):
                raw = await self._follow(url, spec, robots, raise_status, truncate)
        except TimeoutError:
            raise UpstreamTimeout(f"fetching {url} took longer than {self.timeout_s:g} s") from None
        raw.elapsed_s = time.monotonic() - started
        return raw

    async def _follow(
        self, url: str, spec: _Spec, robots: bool, raise_status: bool, truncate: bool
    ) -> RawResponse:
        current = urldefrag(url.strip())[0]
        chain: list[str] = []
        seen = {current}
        for _hop in range(self.max_redirects + 1):
            await self.guard.vet(current)  # every hop, before any connection
            if robots and self.robots is not None:
                await self.robots.check(current)
            response = await self._send(current, spec)
            try:
                location = response.headers.get("location")
                if response.status_code in _REDIRECTS and location:
                    target = urldefrag(urljoin(current, location.strip()))[0]
                    chain.append(current)
                    if target in seen:
                        raise UpstreamError(
                            f"redirect loop: {target} was already visited", detail={"url": url}
                        )
                    seen.add(target)
                    current = target
                    if response.status_code in (301, 302, 303) and spec.method != "HEAD":
                        spec = spec.as_get()  # what browsers do
                    continue
                if raise_status and response.status_code >= 400:
                    raise UpstreamHTTPError(current, response.status_code)
                content_type = response.headers.get("content-type", "")
                kind = _media_type(content_type)
                allowed = spec.allowed_types
                if (
                    allowed is not None
                    and kind not in ("", "application/octet-stream")
                    and not kind.startswith(allowed)
                ):
                    raise UnsupportedMedia(f"{current} is {kind}, expected {', '.join(allowed)}")
                body = await self._read_capped(response, current, spec.max_bytes, truncate=truncate)
                return RawResponse(
                    url=url,
                    final_url=current,
                    status=response.status_code,
                    content_type=content_type,
                    headers=_header_dict(response.headers),
                    body=body,
                    redirects=tuple(chain),
                )
            finally:
                await response.aclose()
        raise UpstreamError(
            f"too many redirects (more than {self.max_redirects}) from {url}", detail={"url": url}
        )

    async def _send(self, url: str, spec: _Spec) -> httpx.Response:
        client = self._http()
        headers = {k: v for k, v in spec.headers.items() if k.lower() not in _UNFORWARDED}
        headers["Accept"] = spec.accept
        try:
            request = client.build_request(spec.method, url, headers=headers, content=spec.content)
            return await client.send(request, stream=True)
        except httpx.TimeoutException as exc:
            raise UpstreamTimeout(f"timed out fetching {url} ({type(exc).__name__})") from None
        except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
            raise InvalidInput(f"cannot fetch {url!r}: {exc}") from None
        except httpx.HTTPError as exc:
            raise UpstreamError(f"cannot fetch {url}: {type(exc).__name__} {exc}".rstrip()) from None

    @staticmethod
    async def _read_capped(response: httpx.Response, url: str, max_bytes: int, *, truncate: bool) -> bytes:
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > max_bytes and not truncate:
            raise PayloadTooLarge(f"{url} is {int(declared)} bytes, more than the {max_bytes}-byte limit")
        buf = bytearray()
        try:
            async for chunk in response.aiter_bytes():
                buf += chunk
                if len(buf) > max_bytes:
                    if truncate:
                        return bytes(buf[:max_bytes])
                    raise PayloadTooLarge(f"{url} is larger than the {max_bytes}-byte limit")
        except httpx.TimeoutException as exc:
            raise UpstreamTimeout(f"timed out reading {url} ({type(exc).__name__})") from None
        except httpx.HTTPError as exc:
            raise UpstreamError(f"error reading {url}: {type(exc).__name__} {exc}".rstrip()) from None
        return bytes(buf)


__all__ = ["DEFAULT_USER_AGENT", "HTML_TYPES", "IMAGE_TYPES", "RawResponse", "StaticFetcher", "sniff_type"]
