"""SSRF guard: which URLs and addresses adlens may contact.

A URL is allowed only when its scheme is http/https and **every** address its host resolves to is public.
Refused: private, loopback, link-local, multicast, reserved, unspecified, CGNAT/shared (100.64/10),
and IPv6 forms that embed such an IPv4 address (IPv4-mapped, IPv4-compatible, 6to4, Teredo, NAT64).
``allow_private_networks=True`` lifts that rule (tests, demo, intranet use) except for the well-known
cloud metadata endpoints, which stay refused unless listed explicitly in ``allowed_networks``.

The guard is enforced twice by :mod:`adlens.fetch.static`: on every URL before a request (clear error,
also for every redirect hop) and again at connect time (:class:`GuardedNetworkBackend`), which connects
to the very addresses it vetted — so a DNS answer that changes between the check and the connect
(DNS rebinding) cannot reach a private address. The rendered fetcher sends every browser request
through the same transport (see :mod:`adlens.fetch.rendered`).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from adlens.errors import Forbidden, InvalidInput, UpstreamError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

ALLOWED_SCHEMES = frozenset({"http", "https"})

# Not covered (or not reliably covered) by ``ipaddress`` flags on every Python version.
_EXTRA_BLOCKED: tuple[IPNetwork, ...] = (
    ipaddress.ip_network("100.64.0.0/10"),  # CGNAT / shared address space (RFC 6598)
    ipaddress.ip_network("192.0.0.0/24"),  # IETF protocol assignments
    ipaddress.ip_network("198.18.0.0/15"),  # benchmarking
    ipaddress.ip_network("0.0.0.0/8"),  # "this network"
)
# Cloud metadata services: refused even when private networks are allowed.
METADATA_ADDRESSES: frozenset[IPAddress] = frozenset(
    ipaddress.ip_address(a) for a in ("169.254.169.254", "fd00:ec2::254", "100.100.100.200")
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def embedded_ipv4(ip: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries (mapped, compatible, 6to4, Teredo, NAT64), if any."""
    if not isinstance(ip, ipaddress.IPv6Address):
        return None
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]  # the client address
    packed = ip.packed
    if ip in _NAT64 or (packed[:12] == bytes(12) and int(ip) > 1):  # NAT64 or deprecated ::a.b.c.d
        return ipaddress.IPv4Address(packed[12:])
    return None


def is_public_address(ip: IPAddress) -> bool:
    """True when ``ip`` (and any IPv4 address embedded in it) is globally routable unicast."""
    inner = embedded_ipv4(ip)
    if inner is not None:
        if not is_public_address(inner):
            return False
        if isinstance(ip, ipaddress.IPv6Address) and (ip.ipv4_mapped is not None or ip in _NAT64):
            return True  # only a translation of the IPv4 address, which is public
    if (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or not ip.is_global
    ):
        return False
    return not any(ip.version == net.version and ip in net for net in _EXTRA_BLOCKED)


@dataclass(frozen=True)
class Target:
    """A vetted URL: scheme, host, port and the addresses that may be connected to."""

    scheme: str
    host: str
    port: int
    addresses: tuple[IPAddress, ...]


class UrlGuard:
    """Decides whether a URL or address may be contacted.

    ``allowed_networks`` are CIDRs that are always allowed (e.g. ``["127.0.0.1/32"]`` in tests, or an
    intranet proxy); they take precedence over every other rule.
    """

    def __init__(self, *, allow_private_networks: bool = False, allowed_networks: Iterable[str] = ()) -> None:
        self.allow_private_networks = allow_private_networks
        try:
            self.allowed_networks: tuple[IPNetwork, ...] = tuple(
                ipaddress.ip_network(n, strict=False) for n in allowed_networks
            )
        except ValueError as exc:
            raise InvalidInput(f"bad network in allowed_networks: {exc}") from None

    def address_allowed(self, ip: IPAddress) -> bool:
        """Whether a connection to ``ip`` is permitted by this policy."""
        candidates = [ip]
        inner = embedded_ipv4(ip)
        if inner is not None:
            candidates.append(inner)
        if any(c.version == n.version and c in n for c in candidates for n in self.allowed_networks):
            return True
        if any(c in METADATA_ADDRESSES for c in candidates):
            return False
        return self.allow_private_networks or is_public_address(ip)

    def check_address(self, ip: IPAddress, host: str) -> None:
        """Raise :class:`Forbidden` when ``ip`` (an address of ``host``) may not be contacted."""
        if not self.address_allowed(ip):
            shown = host if host == str(ip) else f"{host} ({ip})"
            raise Forbidden(
                f"refusing to fetch {shown}: private, loopback, link-local or reserved address",
                detail={"host": host, "address": str(ip)},
            )

    @staticmethod
    def split(url: str) -> tuple[str, str, int]:
        """Validate the URL's form; return ``(scheme, host, port)``."""
        try:
            parts = urlsplit(url.strip())
            port = parts.port
        except ValueError as exc:
            raise InvalidInput(f"malformed URL {url!r}: {exc}") from None
        scheme = parts.scheme.lower()
        if scheme not in ALLOWED_SCHEMES:
            raise Forbidden(f"refusing URL scheme {scheme or '(none)'!r}: only http and https are fetched")
        host = (parts.hostname or "").rstrip(".")
        if not host:
            raise InvalidInput(f"URL has no host: {url!r}")
        if parts.username is not None or parts.password is not None:
            raise Forbidden("refusing URL with credentials in it")
        return scheme, host, port or (443 if scheme == "https" else 80)

    async def resolve(self, host: str, port: int) -> tuple[IPAddress, ...]:
        """All addresses of ``host``, each one vetted; raise :class:`Forbidden` if any is refused."""
        try:
            literal: IPAddress | None = ipaddress.ip_address(host.strip("[]").split("%")[0])
        except ValueError:
            literal = None
        if literal is not None:
            addresses: tuple[IPAddress, ...] = (literal,)
        else:
            loop = asyncio.get_running_loop()
            try:
                infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
            except (socket.gaierror, UnicodeError) as exc:
                raise _unresolvable(host, exc) from None
            seen: dict[IPAddress, None] = {}
            for _family, _type, _proto, _canon, sockaddr in infos:
                seen[ipaddress.ip_address(str(sockaddr[0]).split("%")[0])] = None
            addresses = tuple(seen)
            if not addresses:
                raise _unresolvable(host, None)
        for ip in addresses:
            self.check_address(ip, host)
        return addresses

    async def vet(self, url: str) -> Target:
        """Check a URL completely (form, scheme, DNS, every address)."""
        scheme, host, port = self.split(url)
        return Target(scheme, host, port, await self.resolve(host, port))


def _unresolvable(host: str, exc: BaseException | None) -> UpstreamError:
    reason = f": {exc}" if exc else ""
    return UpstreamError(f"cannot resolve host {host!r}{reason}", detail={"host": host})


__all__ = ["METADATA_ADDRESSES", "Target", "UrlGuard", "embedded_ipv4", "is_public_address"]
