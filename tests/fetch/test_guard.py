"""SSRF guard: addresses, URL forms, DNS names, and the connect-time check in the transport."""

from __future__ import annotations

import asyncio
import ipaddress

import httpx
import pytest

from adlens.errors import Forbidden, InvalidInput
from adlens.fetch import GuardedTransport, UrlGuard, is_public_address

REFUSED = [
    "127.0.0.1",
    "127.8.9.10",
    "10.0.0.1",
    "172.16.5.4",
    "192.168.1.1",
    "169.254.169.254",
    "100.64.0.1",  # CGNAT
    "0.0.0.0",
    "224.0.0.1",  # multicast
    "240.0.0.1",  # reserved
    "255.255.255.255",
    "198.18.0.1",
    "::1",
    "::",
    "fe80::1",
    "fc00::1",
    "fd12:3456::1",
    "ff02::1",
    "::ffff:127.0.0.1",  # IPv4-mapped loopback
    "::ffff:10.0.0.1",
    "::ffff:169.254.169.254",
    "::127.0.0.1",  # IPv4-compatible (deprecated)
    "2002:7f00:0001::1",  # 6to4 of 127.0.0.1
    "2002:0a00:0001::1",  # 6to4 of 10.0.0.1
    "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
    "2001:db8::1",  # documentation
]
PUBLIC = [
    "93.184.215.14",
    "8.8.8.8",
    "1.1.1.1",
    "2606:4700:4700::1111",
    "::ffff:8.8.8.8",
    "2002:0808:0808::1",
]


@pytest.mark.parametrize("address", REFUSED)
def test_non_public_addresses_are_refused(address: str) -> None:
    ip = ipaddress.ip_address(address)
    assert not is_public_address(ip)
    assert not UrlGuard().address_allowed(ip)


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_are_allowed(address: str) -> None:
    assert is_public_address(ipaddress.ip_address(address))
    assert UrlGuard().address_allowed(ipaddress.ip_address(address))


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "http://10.0.0.1:8080/x",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://[fe80::1%25eth0]/",
        "http://169.254.169.254/latest/meta-data/",
        "http://localhost/",
        "http://LOCALHOST./",
        "http://2130706433/",  # 127.0.0.1 as a decimal integer
        "http://0x7f.1/",  # 127.0.0.1, hex + short form
    ],
)
def test_urls_to_private_hosts_are_refused(url: str) -> None:
    with pytest.raises(Forbidden, match="refusing"):
        asyncio.run(UrlGuard().vet(url))


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "ftp://example.com/", "gopher://x/", "javascript:alert(1)"]
)
def test_other_schemes_are_refused(url: str) -> None:
    with pytest.raises(Forbidden, match="scheme"):
        asyncio.run(UrlGuard().vet(url))


def test_malformed_urls_are_invalid_input() -> None:
    with pytest.raises(InvalidInput):
        asyncio.run(UrlGuard().vet("http://"))
    with pytest.raises(InvalidInput):
        asyncio.run(UrlGuard().vet("http://example.com:99999/"))


def test_credentials_in_url_are_refused() -> None:
    with pytest.raises(Forbidden, match="credentials"):
        UrlGuard.split("http://user:pw@example.com/")


def test_allow_private_networks_still_refuses_metadata() -> None:
    guard = UrlGuard(allow_private_networks=True)
    target = asyncio.run(guard.vet("http://127.0.0.1:8000/x"))
    assert [str(a) for a in target.addresses] == ["127.0.0.1"]
    for meta in ("169.254.169.254", "::ffff:169.254.169.254", "100.100.100.200"):
        assert not guard.address_allowed(ipaddress.ip_address(meta))


def test_allowed_networks_allow_only_what_they_name() -> None:
    guard = UrlGuard(allowed_networks=["127.0.0.1/32"])
    assert guard.address_allowed(ipaddress.ip_address("127.0.0.1"))
    assert guard.address_allowed(ipaddress.ip_address("::ffff:127.0.0.1"))
    assert not guard.address_allowed(ipaddress.ip_address("127.0.0.2"))
    assert not guard.address_allowed(ipaddress.ip_address("10.0.0.1"))
    with pytest.raises(InvalidInput):
        UrlGuard(allowed_networks=["not-a-network"])


def test_transport_refuses_at_connect_time_even_without_precheck(server) -> None:
    """The connect-time check alone (no URL pre-check) stops a request to loopback."""

    async def go(guard: UrlGuard) -> int:
        async with httpx.AsyncClient(transport=GuardedTransport(guard)) as client:
            return (await client.get(server.url("/utf8"))).status_code

    before = server.count("/utf8")
    with pytest.raises(Forbidden):
        asyncio.run(go(UrlGuard()))
    assert server.count("/utf8") == before  # nothing reached the server
    assert asyncio.run(go(UrlGuard(allow_private_networks=True))) == 200
