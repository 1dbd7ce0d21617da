"""Connect only to an address that was checked: DNS rebinding cannot reach inside.

Checking a provider's host (chat.providers.netguard) and then letting httpx resolve it
again leaves a gap: a name that answers a public address to the check and 127.0.0.1
or 169.254.169.254 to the connection reaches the inside with the person's key. Here the
network backend under httpx's connection pool resolves the name once, checks every
address, and opens the socket to a checked address itself. httpcore still starts TLS
with server_hostname set to the name from the URL, so certificates are verified
against the name, not the address.

Used for people's own providers whenever private upstreams are not allowed; the
operator's PLAYGROUND_API_BASE and the built-in simulator go through the plain client.

Pure: no Django. The resolver is a parameter (getaddrinfo's signature), so tests pass
one that answers differently each time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

import httpcore
import httpx

from chat.providers import netguard


class CheckedNetworkBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend, with every TCP connection pinned to a checked address."""

    def __init__(
        self,
        resolve: netguard.Resolver | None = None,
        backend: httpcore.AsyncNetworkBackend | None = None,
    ) -> None:
        self._resolve = resolve
        self._backend = backend or httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's own signature
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            # getaddrinfo blocks: off the event loop.
            addresses = await asyncio.to_thread(
                netguard.checked_addresses, host, port, resolve=self._resolve
            )
        except netguard.Refused as refused:
            raise httpcore.ConnectError(str(refused)) from None
        failure: Exception | None = None
        for address in addresses:  # as a resolver orders them, like a plain connect
            try:
                return await self._backend.connect_tcp(
                    str(address), port, timeout, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        assert failure is not None  # checked_addresses never returns an empty list
        raise failure

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's own signature
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("A provider is reached over TCP only.")

    async def sleep(self, seconds: float) -> None:
        await self._backend.sleep(seconds)


class CheckedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport over CheckedNetworkBackend. No proxy: a proxy would resolve
    the name itself, out of our sight."""

    def __init__(self, limits: httpx.Limits, resolve: netguard.Resolver | None = None) -> None:
        super().__init__(limits=limits)
        # httpx takes no network backend, so its pool is rebuilt with ours; everything
        # else (mapping httpcore's exceptions, streaming bodies) stays httpx's own.
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=CheckedNetworkBackend(resolve),
        )
