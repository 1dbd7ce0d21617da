"""What an upstream's body may put into a message: only a JSON error object's own
words, truncated. Whatever else answers (an internal page a base URL was pointed at)
is never read back to the person."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import httpx
import pytest

from chat.api.failures import SNIPPET_LENGTH, UpstreamError, UpstreamFailure
from chat.api.upstream import list_models, make_client, stream_chat
from tests.api.canned import CannedServer, Request

SECRET = "db01.internal password=hunter2"


@pytest.fixture
async def server() -> AsyncIterator[CannedServer]:
    canned = CannedServer()
    listener = await asyncio.start_server(canned.handle, "127.0.0.1", 0)
    canned.port = listener.sockets[0].getsockname()[1]
    async with listener:
        yield canned
        listener.close()


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with make_client() as shared:
        yield shared


def _answer(status: str, content_type: str, body: bytes):
    head = f"HTTP/1.1 {status}\r\nConnection: close\r\nContent-Type: {content_type}\r\n"
    raw = head.encode() + f"Content-Length: {len(body)}\r\n\r\n".encode() + body

    async def respond(request: Request, reader, writer) -> None:
        writer.write(raw)

    return respond


async def _error(client: httpx.AsyncClient, server: CannedServer) -> UpstreamError:
    events = [e async for e in stream_chat(client, server.base_url, None, {"stream": True})]
    assert len(events) == 1 and isinstance(events[0], UpstreamError)
    return events[0]


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("text/plain", SECRET.encode()),
        ("text/html", f"<h1>{SECRET}</h1>".encode()),
        ("application/json", json.dumps([SECRET]).encode()),
        ("application/json", json.dumps(SECRET).encode()),
        ("application/json", json.dumps({"config": {"dsn": SECRET}}).encode()),
        ("application/json", json.dumps({"error": {"type": {"dsn": SECRET}}}).encode()),
    ],
)
async def test_a_body_that_is_not_a_json_error_object_is_not_echoed(
    server, client, content_type, body
):
    server.respond = _answer("500 Internal Server Error", content_type, body)
    error = await _error(client, server)
    assert (error.kind, error.status) == ("http", 500)
    assert "hunter2" not in error.describe() and "hunter2" not in repr(error)
    assert error.describe() == "The upstream failed (500): 500 Internal Server Error."


async def test_a_json_error_objects_message_is_shown_truncated(server, client):
    body = json.dumps({"error": {"message": "Too busy. " * 100, "code": "busy"}}).encode()
    server.respond = _answer("503 Service Unavailable", "application/json", body)
    error = await _error(client, server)
    assert error.message.startswith("Too busy. Too busy.")
    assert len(error.message) == SNIPPET_LENGTH and error.code == "busy"


@pytest.mark.parametrize(
    "body", [SECRET.encode(), json.dumps({"object": "list", "note": SECRET}).encode()]
)
async def test_a_model_list_without_ids_is_not_quoted(server, client, body):
    server.respond = _answer("200 OK", "application/json", body)
    with pytest.raises(UpstreamFailure) as failure:
        await list_models(client, server.base_url, None)
    assert failure.value.error.kind == "malformed"
    assert "hunter2" not in str(failure.value)
    assert "not a model list (no data[].id)" in str(failure.value)


async def test_an_error_body_on_the_model_list_is_not_quoted(server, client):
    server.respond = _answer("404 Not Found", "text/html", f"<pre>{SECRET}</pre>".encode())
    with pytest.raises(UpstreamFailure) as failure:
        await list_models(client, server.base_url, None)
    assert "hunter2" not in str(failure.value)
    assert str(failure.value).startswith("Not found (404): 404 Not Found.")
