"""httpx transport that connects only to addresses the :class:`UrlGuard` vetted (DNS-rebinding safe).

httpcore asks its network backend to ``connect_tcp(host, port)``; our backend resolves ``host`` itself,
vets every address and connects to those same addresses. TLS still uses the host name for SNI and
certificate checks, because httpcore passes the original host to ``start_tls``.
"""

from __future__ import annotations

import typing

import httpcore
import httpx

from adlens.fetch.guard import UrlGuard


class GuardedNetworkBackend(httpcore.AsyncNetworkBackend):
    """Resolve, vet, then connect to the vetted address (never re-resolving)."""

    def __init__(self, guard: UrlGuard, inner: httpcore.AsyncNetworkBackend | None = None) -> None:
        self.guard = guard
        self.inner = inner or httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[typing.Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await self.guard.resolve(host, port)  # raises Forbidden before any connect
        last: Exception | None = None
        for ip in addresses:
            try:
                return await self.inner.connect_tcp(
                    str(ip), port, timeout=timeout, local_address=local_address, socket_options=socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc
        assert last is not None
        raise last

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: typing.Iterable[typing.Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("unix sockets are not allowed")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """``httpx.AsyncHTTPTransport`` whose connection pool uses :class:`GuardedNetworkBackend`.

    No proxy and no environment configuration: a proxy would make the connect-time check vet the proxy
    instead of the target.
    """

    def __init__(self, guard: UrlGuard, *, limits: httpx.Limits | None = None, verify: bool = True) -> None:
        limits = limits or httpx.Limits(max_connections=64, max_keepalive_connections=16)
        super().__init__(verify=verify, trust_env=False, limits=limits)
        # httpx builds its pool in __init__ without a network_backend parameter; replace it (httpx 0.28 API).
        ssl_context = httpx.create_ssl_context(verify=verify, trust_env=False)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=GuardedNetworkBackend(guard),
        )


__all__ = ["GuardedNetworkBackend", "GuardedTransport"]
