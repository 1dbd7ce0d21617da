"""Base URLs of people's providers: only public http(s) hosts, whatever the spelling."""

from __future__ import annotations

import doctest
import ipaddress
import socket

import pytest

from chat.providers import netguard

# What the fake resolver answers: a name -> its addresses (unknown names do not resolve).
NAMES = {
    "localhost": ["127.0.0.1", "::1"],
    "metadata.google.internal": ["169.254.169.254"],
    "intranet.example": ["10.1.2.3"],
    "cgnat.example": ["100.64.0.7"],
    "mapped.example": ["::ffff:127.0.0.1"],
    # One public and one private address: every address must be public.
    "rebind.example": ["93.184.215.14", "192.168.0.10"],
    "api.moonshot.example": ["93.184.215.14"],
    "v6only.example": ["2606:4700:4700::1111"],
    "dual.example": ["93.184.215.14", "2606:4700:4700::1111"],
}


def fake_resolve(host, port, *args, **kwargs):
    """getaddrinfo's shape, from NAMES; never the network."""
    if host not in NAMES:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    infos = []
    for address in NAMES[host]:
        if ipaddress.ip_address(address).version == 6:
            infos.append((socket.AF_INET6, socket.SOCK_STREAM, 6, "", (address, port, 0, 0)))
        else:
            infos.append((socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port)))
    return infos


@pytest.mark.parametrize(
    "url",
    [
        # not http(s), or no host
        "ftp://api.moonshot.example/v1",
        "file:///etc/passwd",
        "javascript:alert(1)",
        "gopher://api.moonshot.example:70/",
        "http:///v1",
        "api.moonshot.example/v1",
        # loopback, however spelled
        "http://127.0.0.1:8000/v1",
        "http://127.0.0.2/v1",
        "http://localhost:11434/v1",
        "http://[::1]:8000/v1",
        "http://2130706433/v1",
        "http://0x7f000001/v1",
        "http://017700000001/v1",
        "http://127.1/v1",
        "http://0177.0.0.1/v1",
        "http://0x7f.0.0.1/v1",
        "http://127.0.0.1./v1",
        "http://[::ffff:127.0.0.1]/v1",
        "http://[::ffff:7f00:1]/v1",
        "http://[0:0:0:0:0:ffff:127.0.0.1]/v1",
        "http://[64:ff9b::127.0.0.1]/v1",
        "http://[2002:7f00:1::]/v1",
        "http://mapped.example/v1",
        # unspecified
        "http://0.0.0.0:8000/v1",
        "http://0/v1",
        "http://[::]/v1",
        # private networks
        "http://10.0.0.5/v1",
        "http://172.16.3.4/v1",
        "http://192.168.1.1/v1",
        "http://intranet.example/v1",
        "http://[fd12:3456::1]/v1",
        "http://[::ffff:10.0.0.1]/v1",
        # link-local and the cloud metadata services
        "http://169.254.169.254/latest/meta-data",
        "http://[::ffff:169.254.169.254]/",
        "http://2852039166/",
        "http://metadata.google.internal/computeMetadata/v1",
        "http://[fd00:ec2::254]/latest/meta-data",
        "http://[fe80::1]/v1",
        # carrier-grade NAT
        "http://100.64.0.1/v1",
        "http://cgnat.example/v1",
        # multicast, broadcast, reserved, benchmarking, documentation
        "http://224.0.0.1/v1",
        "http://[ff02::1]/v1",
        "http://255.255.255.255/v1",
        "http://240.0.0.1/v1",
        "http://198.18.0.1/v1",
        "http://192.0.2.10/v1",
        "http://[2001:db8::1]/v1",
        # a name with one private address among public ones; a name that does not resolve
        "http://rebind.example/v1",
        "http://nowhere.example/v1",
    ],
)
def test_a_base_url_to_a_non_public_address_is_refused(url):
    with pytest.raises(netguard.Refused):
        netguard.check_base_url(url, resolve=fake_resolve)


@pytest.mark.parametrize(
    "url",
    [
        "https://api.moonshot.example/v1",
        "http://api.moonshot.example:8080/v1",
        "https://v6only.example/v1",
        "https://dual.example/v1",
        "HTTPS://API.MOONSHOT.EXAMPLE/v1",
        "https://93.184.215.14/v1",
        "https://[2606:4700:4700::1111]/v1",
    ],
)
def test_a_public_base_url_is_accepted(url):
    assert netguard.check_base_url(url, resolve=fake_resolve) is None


def test_the_resolver_is_asked_for_the_host_and_port():
    asked = []

    def resolve(host, port, *args, **kwargs):
        asked.append((host, port))
        return fake_resolve(host, port)

    netguard.check_base_url("https://api.moonshot.example:8443/v1", resolve=resolve)
    netguard.check_base_url("https://api.moonshot.example/v1", resolve=resolve)
    assert asked == [("api.moonshot.example", 8443), ("api.moonshot.example", 443)]


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8000/v1", "http://localhost:11434/v1", "http://10.0.0.5/v1"]
)
def test_private_addresses_pass_when_the_operator_allows_them(url):
    assert netguard.check_base_url(url, allow_private=True, resolve=fake_resolve) is None


@pytest.mark.parametrize("url", ["ftp://127.0.0.1/v1", "http:///v1", "http://[::1/v1"])
def test_a_bad_scheme_or_url_is_refused_even_when_private_is_allowed(url):
    with pytest.raises(netguard.Refused):
        netguard.check_base_url(url, allow_private=True)


def test_a_refusal_names_the_host_and_the_address():
    with pytest.raises(netguard.Refused, match=r"localhost .*127\.0\.0\.1"):
        netguard.check_base_url("http://localhost/v1", resolve=fake_resolve)


@pytest.mark.parametrize(
    ("spelling", "address"),
    [
        ("127.0.0.1", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("127.0.1", "127.0.0.1"),
        ("2130706433", "127.0.0.1"),
        ("0x7f000001", "127.0.0.1"),
        ("0X7F000001", "127.0.0.1"),
        ("017700000001", "127.0.0.1"),
        ("0177.0.0.01", "127.0.0.1"),
        ("0x7f.0x0.0x0.0x1", "127.0.0.1"),
        ("[::ffff:127.0.0.1]", "::ffff:7f00:1"),
        ("fe80::1%eth0", "fe80::1"),
        ("api.example.com", None),
        ("1.2.3.4.5", None),
        ("256.1.1.1", None),
        ("4294967296", None),
        ("08.0.0.1", None),
        ("", None),
    ],
)
def test_addresses_are_read_in_every_spelling_inet_aton_accepts(spelling, address):
    parsed = netguard.parse_address(spelling)
    assert (str(parsed) if parsed is not None else None) == address


async def test_the_async_check_refuses_the_same():
    with pytest.raises(netguard.Refused):
        await netguard.acheck_base_url("http://0x7f000001/v1", resolve=fake_resolve)
    await netguard.acheck_base_url("https://api.moonshot.example/v1", resolve=fake_resolve)


def test_the_examples_in_the_docstrings_hold():
    assert doctest.testmod(netguard).failed == 0
