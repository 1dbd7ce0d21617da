"""The websocket Origin check: a socket opens only from a page of this site.

A browser sends the page's origin (scheme, host and port) when it opens a websocket,
and cookies go along whoever's page it is, so the origin is what stands between a
signed-in person and any other site's script. An origin is accepted when it is, in
full (a default port counts as written out):

- one of CSRF_TRUSTED_ORIGINS (`https://*.example.com` takes any subdomain), the
  site's public origins behind a proxy, or
- the request's own: the Host it was sent to (one of ALLOWED_HOSTS) with the
  scheme it arrived by (`wss` is https, and so is a proxy's `X-Forwarded-Proto`
  under SECURE_PROXY_SSL_HEADER). That is what a same-origin page sends, on any port
  `make run` or a test server listens on.

Anything else is refused before the socket is accepted: a missing Origin, `null`
(sandboxed frames, file: pages), a look-alike host, another port or another scheme.
Channels' AllowedHostsOriginValidator compared host names only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.http.request import split_domain_port, validate_host

DEFAULT_PORTS = {"http": 80, "https": 443}


class Origin(NamedTuple):
    scheme: str
    host: str  # lower case; a leading "." (from "*.") matches any subdomain
    port: int


def parse_origin(text: str) -> Origin | None:
    """An Origin header (or trusted origin) as (scheme, host, port), None if it is not one.

    >>> parse_origin("https://Example.com")
    Origin(scheme='https', host='example.com', port=443)
    >>> parse_origin("null") is None
    True
    """
    try:
        parts = urlsplit(text.strip())
        port = parts.port
    except ValueError:  # a port that is not a number, or a broken IPv6 literal
        return None
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        return None
    if parts.path or parts.query or parts.fragment or "@" in parts.netloc:
        return None
    host = parts.hostname.lower()
    if host.startswith("*."):
        host = host[1:]
    return Origin(parts.scheme, host, port or DEFAULT_PORTS[parts.scheme])


def is_allowed(
    origin: str | None,
    *,
    host: str | None,
    scheme: str,
    trusted: Iterable[str],
    allowed_hosts: Sequence[str],
) -> bool:
    """Whether a socket whose request carried `origin` and `host` (over `scheme`,
    http or https) may open, by the rules of the module docstring."""
    sent = parse_origin(origin) if origin else None
    if sent is None or sent.host.startswith("."):
        return False
    if any(_matches(sent, parse_origin(item)) for item in trusted):
        return True
    if not host or not validate_host(split_domain_port(host)[0], allowed_hosts):
        return False
    return sent == parse_origin(f"{scheme}://{host}")


def _matches(sent: Origin, trusted: Origin | None) -> bool:
    if trusted is None or (sent.scheme, sent.port) != (trusted.scheme, trusted.port):
        return False
    if trusted.host.startswith("."):
        return sent.host.endswith(trusted.host)
    return sent.host == trusted.host


def request_scheme(scope: Mapping[str, Any], headers: Mapping[str, str]) -> str:
    """http or https, as Django's request.is_secure() would tell it."""
    if scope.get("scheme") in ("wss", "https"):
        return "https"
    proxy_header = getattr(settings, "SECURE_PROXY_SSL_HEADER", None)
    if proxy_header:
        name, secure_value = proxy_header
        name = name.removeprefix("HTTP_").replace("_", "-").lower()
        if headers.get(name, "").split(",", 1)[0].strip() == secure_value:
            return "https"
    return "http"


class SiteOriginValidator:
    """ASGI middleware: refuses a websocket from anywhere but this site's pages."""

    def __init__(self, application: Any) -> None:
        self.application = application

    async def __call__(self, scope: Any, receive: Any, send: Any) -> Any:
        if scope["type"] == "websocket" and not self._allowed(scope):
            return await WebsocketDenier()(scope, receive, send)
        return await self.application(scope, receive, send)

    @staticmethod
    def _allowed(scope: Mapping[str, Any]) -> bool:
        headers = {
            name.decode("latin-1").lower(): value.decode("latin-1")
            for name, value in scope.get("headers", [])
        }
        return is_allowed(
            headers.get("origin"),
            host=headers.get("host"),
            scheme=request_scheme(scope, headers),
            trusted=settings.CSRF_TRUSTED_ORIGINS,
            allowed_hosts=settings.ALLOWED_HOSTS,
        )
