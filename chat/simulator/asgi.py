"""ASGI plumbing, no framework: reading a bounded body, sending JSON, noticing a client leave."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, TypeAlias

# Read-only views: the simulator never changes a scope or a message it is given.
Scope: TypeAlias = Mapping[str, Any]
Message: TypeAlias = Mapping[str, Any]
Receive: TypeAlias = Callable[[], Awaitable[Message]]
Send: TypeAlias = Callable[[Message], Awaitable[None]]
Handler: TypeAlias = Callable[[Scope, Receive, Send], Awaitable[None]]


class ClientGone(Exception):
    """The client left before it finished sending its request."""


async def read_body(scope: Scope, receive: Receive, limit: int) -> bytes | None:
    """The request body, or None when it is over `limit` bytes."""
    declared = headers_of(scope).get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return None
    pieces, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientGone
        piece = message.get("body", b"")
        size += len(piece)
        if size > limit:
            return None
        pieces.append(piece)
        if not message.get("more_body", False):
            break
    return b"".join(pieces)


def headers_of(scope: Scope) -> dict[str, str]:
    """The request's headers by lower-case name (the last of repeated ones)."""
    return {
        name.decode("latin-1").lower(): value.decode("latin-1")
        for name, value in scope.get("headers", [])
    }


async def watch_disconnect(receive: Receive, gone: asyncio.Event) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass
    gone.set()


async def send_body(send: Send, data: bytes, *, more: bool = True) -> None:
    await send({"type": "http.response.body", "body": data, "more_body": more})


async def send_json(
    send: Send,
    status: int,
    payload: object,
    headers: Sequence[tuple[bytes, bytes]] = (),
    *,
    raw: bytes | None = None,
) -> None:
    """A whole response: `payload` as JSON, or `raw` bytes sent as if they were JSON."""
    data = raw if raw is not None else json.dumps(payload, ensure_ascii=False).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(data)).encode()),
                *headers,
            ],
        }
    )
    await send_body(send, data, more=False)


async def lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
