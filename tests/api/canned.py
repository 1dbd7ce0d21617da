"""A raw HTTP/1.1 server for the client's tests: it answers with whatever bytes a
test hands it (or nothing, or half a body), on a real port."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


Responder = Callable[[Request, asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@dataclass
class CannedServer:
    """A raw HTTP/1.1 responder: reads one request per connection, records it, and lets
    the test's `respond` write whatever bytes it likes (or nothing, or half a body)."""

    respond: Responder | None = None
    requests: list[Request] = field(default_factory=list)
    client_left: asyncio.Event = field(default_factory=asyncio.Event)
    port: int = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1/"

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            request_line, *header_lines = head.decode("latin-1").split("\r\n")
            method, path, _ = request_line.split(" ")
            headers = {}
            for line in filter(None, header_lines):
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            request = Request(method, path, headers, body)
            self.requests.append(request)
            assert self.respond is not None
            await self.respond(request, reader, writer)
            await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    async def wait_for_client_to_leave(self, reader: asyncio.StreamReader) -> None:
        """Block until the client closes its socket: how a test sees a cancelled request."""
        with contextlib.suppress(ConnectionError):
            while await reader.read(1024):
                pass
        self.client_left.set()
