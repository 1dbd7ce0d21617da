"""Where a person's own provider may point: a guard against server-side request forgery.

A provider's base URL is typed by whoever signs up, and the server connects to it.
Unless the operator allows private addresses, a base URL must be http(s) and its host
must resolve only to public addresses: never loopback, private, link-local (cloud
metadata at 169.254.169.254 or fd00:ec2::254), carrier-grade NAT (100.64/10),
unspecified, multicast or reserved ones, whatever spelling the address comes in:

>>> check_base_url("http://2130706433/v1")
Traceback (most recent call last):
  ...
chat.providers.netguard.Refused: The host 2130706433 is a private, local or reserved address \
(127.0.0.1): this server does not connect to those.
>>> check_base_url("https://[2606:4700::1111]/v1") is None
True

IPv4-mapped, NAT64, 6to4 and Teredo IPv6 addresses are judged by the IPv4 address
they carry; the decimal, hex, octal and short IPv4 forms that `inet_aton` (and so
`getaddrinfo`) accepts are read the same way, so `0x7f000001` and `127.1` are loopback.

Pure: no Django. The resolver is a parameter (`socket.getaddrinfo` by default), so
tests pass a fake one. The operator's own upstream (PLAYGROUND_API_BASE) and the
built-in simulator are not checked here: only people's providers are.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[..., Iterable[tuple[Any, ...]]]

SCHEMES = ("http", "https")
# Beyond what `ipaddress` calls private, loopback, link-local, multicast, reserved or
# unspecified: spelled out, so the list reads the same whatever the Python version.
BLOCKED_NETWORKS = tuple(
    ipaddress.ip_network(network)
    for network in (
        "0.0.0.0/8",  # "this network"
        "10.0.0.0/8",
        "100.64.0.0/10",  # carrier-grade NAT
        "127.0.0.0/8",
        "169.254.0.0/16",  # link-local, with the cloud metadata service
        "172.16.0.0/12",
        "192.0.0.0/24",
        "192.0.2.0/24",
        "192.168.0.0/16",
        "198.18.0.0/15",
        "198.51.100.0/24",
        "203.0.113.0/24",
        "224.0.0.0/4",  # multicast
        "240.0.0.0/4",  # reserved, and the broadcast address
        "::/128",
        "::1/128",
        "::/96",  # IPv4-compatible (deprecated)
        "64:ff9b:1::/48",  # local-use NAT64
        "100::/64",  # discard
        "2001:db8::/32",  # documentation
        "fc00::/7",  # unique local, with AWS's metadata at fd00:ec2::254
        "fe80::/10",  # link-local
        "fec0::/10",  # site-local (deprecated)
        "ff00::/8",  # multicast
    )
)
# The well-known NAT64 prefix: the last 32 bits are the IPv4 address reached.
NAT64_NETWORK = ipaddress.ip_network("64:ff9b::/96")


class Refused(ValueError):
    """Why a base URL may not be used, in words for the person who typed it."""


def check_base_url(
    url: str, *, allow_private: bool = False, resolve: Resolver | None = None
) -> None:
    """Raise Refused unless `url` is http(s) and, unless `allow_private`, every address
    its host resolves to is public. Resolves with `resolve` (getaddrinfo's signature)."""
    host, port = _host_and_port(url)
    if allow_private:
        return
    checked_addresses(host, port, resolve=resolve)


def checked_addresses(host: str, port: int, *, resolve: Resolver | None = None) -> list[Address]:
    """Every address `host` resolves to now, each of them public, or Refused.

    The addresses to connect to (chat.providers.pinning): resolving the name again
    later could give another answer, so whoever connects uses these.
    """
    literal = parse_address(host)
    if literal is not None:
        _check_address(literal, host)
        return [literal]
    addresses = _resolve(resolve or socket.getaddrinfo, host, port)
    if not addresses:
        raise Refused(f"The host {host} does not resolve to any address.")
    for address in addresses:
        _check_address(address, host)
    return addresses


async def acheck_base_url(
    url: str, *, allow_private: bool = False, resolve: Resolver | None = None
) -> None:
    """check_base_url off the event loop: resolving a name may take a while."""
    await asyncio.to_thread(check_base_url, url, allow_private=allow_private, resolve=resolve)


def is_public(address: Address) -> bool:
    """True for an address a server on the internet may have.

    >>> is_public(ipaddress.ip_address("::ffff:127.0.0.1"))
    False
    """
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return is_public(address.ipv4_mapped)
    # NAT64, 6to4 and Teredo lead to the IPv4 address they carry: both must be public.
    embedded = _embedded_ipv4(address)
    if embedded is not None and not is_public(embedded):
        return False
    if any(
        address in network for network in BLOCKED_NETWORKS if network.version == address.version
    ):
        return False
    return address.is_global and not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )


def parse_address(host: str) -> Address | None:
    """An IP address however it is spelled, or None for a name.

    >>> [str(parse_address(h)) for h in ("127.1", "0x7f000001", "017700000001", "[::1]")]
    ['127.0.0.1', '127.0.0.1', '127.0.0.1', '::1']
    >>> parse_address("api.example.com") is None
    True
    """
    host = host.strip("[]")
    try:
        return ipaddress.ip_address(host.split("%", 1)[0])  # an IPv6 zone is not an address
    except ValueError:
        pass
    return _inet_aton(host)


def _inet_aton(host: str) -> ipaddress.IPv4Address | None:
    """The classic IPv4 forms: 1 to 4 parts, each decimal, 0x hex or 0 octal; the last
    part fills the remaining bytes (127.1 = 127.0.0.1, 2130706433 = 127.0.0.1)."""
    parts = host.rstrip(".").split(".") if host else []
    if not 1 <= len(parts) <= 4:
        return None
    numbers = []
    for part in parts:
        number = _aton_number(part)
        if number is None:
            return None
        numbers.append(number)
    *leading, last = numbers
    if any(n > 0xFF for n in leading) or last >= 1 << (8 * (4 - len(leading))):
        return None
    value = last
    for position, number in enumerate(leading):
        value |= number << (8 * (3 - position))
    return ipaddress.IPv4Address(value)


def _aton_number(part: str) -> int | None:
    try:
        if part[:2].lower() == "0x":
            return int(part[2:] or "0", 16)
        if len(part) > 1 and part.startswith("0"):
            return int(part[1:], 8)
        return int(part, 10) if part.isdigit() else None
    except ValueError:
        return None


def _host_and_port(url: str) -> tuple[str, int]:
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise Refused("The base URL is not a valid URL.") from None
    if parts.scheme.lower() not in SCHEMES:
        raise Refused("The base URL must start with http:// or https://.")
    # Paths are appended to the base URL: after a "?" or "#" they would not be paths any
    # more, and the request would go wherever the rest of the URL says.
    if "?" in url or "#" in url:
        raise Refused(
            "The base URL may not contain “?” or “#”: give only the part before "
            "/chat/completions, usually ending in /v1."
        )
    if "@" in parts.netloc:
        raise Refused(
            "The base URL may not contain a user name or password (user:password@): "
            "put the key in the API key field."
        )
    if not parts.hostname:
        raise Refused("The base URL has no host name.")
    return parts.hostname, port or (443 if parts.scheme.lower() == "https" else 80)


def _resolve(resolve: Resolver, host: str, port: int) -> list[Address]:
    try:
        infos = resolve(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise Refused(f"The host {host} could not be resolved.") from None
    addresses = []
    for info in infos:
        address = parse_address(str(info[4][0]))
        if address is None:
            raise Refused(f"The host {host} resolves to something that is not an IP address.")
        addresses.append(address)
    return addresses


def _check_address(address: Address, host: str) -> None:
    if not is_public(address):
        raise Refused(
            f"The host {host} is a private, local or reserved address ({address}): "
            "this server does not connect to those."
        )


def _embedded_ipv4(address: Address) -> ipaddress.IPv4Address | None:
    if not isinstance(address, ipaddress.IPv6Address):
        return None
    if address in NAT64_NETWORK:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]  # (server, client): the client is where it goes
    return None
