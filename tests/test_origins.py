"""The websocket Origin check: full origins (scheme, host, port), refused before accept."""

from __future__ import annotations

import pytest
from channels.testing import WebsocketCommunicator

from playground.asgi import application
from playground.origins import Origin, is_allowed, parse_origin

HOST = "127.0.0.1:8123"
SAME_ORIGIN = "http://127.0.0.1:8123"
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "playground.example"]


@pytest.mark.parametrize(
    ("text", "origin"),
    [
        ("http://127.0.0.1:8123", Origin("http", "127.0.0.1", 8123)),
        ("https://Playground.Example", Origin("https", "playground.example", 443)),
        ("http://localhost:80", Origin("http", "localhost", 80)),
        ("https://*.example.com", Origin("https", ".example.com", 443)),
        ("http://[::1]:8000", Origin("http", "::1", 8000)),
        ("null", None),
        ("", None),
        ("file://", None),
        ("ws://127.0.0.1:8123", None),
        ("http://127.0.0.1:8123/page", None),
        ("http://user@127.0.0.1:8123", None),
        ("http://127.0.0.1:port", None),
    ],
)
def test_it_reads_an_origin_as_scheme_host_and_port(text: str, origin: Origin | None) -> None:
    assert parse_origin(text) == origin


@pytest.mark.parametrize(
    ("origin", "host", "scheme", "trusted", "allowed"),
    [
        (SAME_ORIGIN, HOST, "http", [], True),
        ("http://127.0.0.1:8123", "127.0.0.1:8123", "https", [], False),
        ("https://playground.example", "playground.example", "https", [], True),
        ("https://playground.example:443", "playground.example", "https", [], True),
        ("http://playground.example", "playground.example", "https", [], False),
        ("https://evil.example", "evil.example", "https", [], False),  # Host not allowed
        (
            "https://playground.example",
            "internal:8001",
            "http",
            ["https://playground.example"],
            True,
        ),
        (
            "https://playground.example:8443",
            "internal:8001",
            "http",
            ["https://playground.example"],
            False,
        ),
        ("https://eu.example.com", HOST, "http", ["https://*.example.com"], True),
        ("https://example.com.evil", HOST, "http", ["https://*.example.com"], False),
        ("http://eu.example.com", HOST, "http", ["https://*.example.com"], False),
        ("https://.example.com", HOST, "http", ["https://*.example.com"], False),
        (None, HOST, "http", [], False),
        ("null", HOST, "http", ["null"], False),
        (SAME_ORIGIN, None, "http", [], False),
    ],
)
def test_it_compares_full_origins(
    origin: str | None, host: str | None, scheme: str, trusted: list[str], allowed: bool
) -> None:
    assert (
        is_allowed(origin, host=host, scheme=scheme, trusted=trusted, allowed_hosts=ALLOWED_HOSTS)
        is allowed
    )


async def _opens(cookie: tuple[bytes, bytes], conversation_id: int, headers: list) -> bool:
    communicator = WebsocketCommunicator(
        application, f"/ws/c/{conversation_id}/", [*headers, cookie]
    )
    connected, _ = await communicator.connect()
    if connected:
        await communicator.disconnect()
    return connected


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("close_thread_connections")
@pytest.mark.parametrize(
    "origin",
    [
        pytest.param(b"http://evil.example", id="foreign"),
        pytest.param(b"null", id="null"),
        pytest.param(None, id="missing"),
        pytest.param(b"http://127.0.0.1.evil.example:8123", id="look-alike host"),
        pytest.param(b"http://127.0.0.1:9999", id="other port"),
        pytest.param(b"https://127.0.0.1:8123", id="other scheme"),
    ],
)
async def test_a_socket_from_another_origin_is_refused_before_accept(
    alice_cookie, conversation, origin: bytes | None
) -> None:
    headers = [(b"host", HOST.encode())]
    if origin is not None:
        headers.append((b"origin", origin))
    assert not await _opens(alice_cookie, conversation.pk, headers)


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("close_thread_connections")
async def test_a_socket_from_the_same_origin_page_opens(alice_cookie, conversation) -> None:
    headers = [(b"host", HOST.encode()), (b"origin", SAME_ORIGIN.encode())]
    assert await _opens(alice_cookie, conversation.pk, headers)


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("close_thread_connections")
async def test_behind_a_tls_proxy_the_https_page_opens_and_the_http_one_does_not(
    settings, alice_cookie, conversation
) -> None:
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    proxied = [(b"host", b"playground.example"), (b"x-forwarded-proto", b"https")]
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "playground.example"]
    https_page = [*proxied, (b"origin", b"https://playground.example")]
    http_page = [*proxied, (b"origin", b"http://playground.example")]
    assert await _opens(alice_cookie, conversation.pk, https_page)
    assert not await _opens(alice_cookie, conversation.pk, http_page)
