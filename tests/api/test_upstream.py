"""The HTTP client (chat/api/upstream.py) against a real HTTP server on a real port: a
tiny canned-bytes responder (tests/api/canned.py)."""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import json
import logging
import socket
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from chat.api.events import (
    ContentDelta,
    Finish,
    ReasoningDelta,
    RefusalDelta,
    Usage,
    events_from_completion,
)
from chat.api.failures import UpstreamError, UpstreamFailure
from chat.api.upstream import Timeouts, list_models, make_client, stream_chat
from tests.api.canned import CannedServer, Request, Responder
from tests.api.samples import EXAMPLE_COMPLETION, chunk

KEY = "sk-test-5ecret-key-0123"
# Generous, so that a busy machine never ends a request by a timeout the test is not
# about. A test of a timeout sets a short one, and its server stays silent until the
# client leaves: never a sleep the timeout could race.
PATIENT = Timeouts(connect=30, first_byte=30, chunk=30)
SHORT = 0.2
# The longest a test waits for something it expects to happen at once.
SOON = 30
BODY = {"model": "kimi-k2-thinking", "messages": [{"role": "user", "content": "hi"}]}


@pytest.fixture
async def server() -> AsyncIterator[CannedServer]:
    """The upstream: a real HTTP server on a real port that answers with canned bytes."""
    canned = CannedServer()
    listener = await asyncio.start_server(canned.handle, "127.0.0.1", 0)
    canned.port = listener.sockets[0].getsockname()[1]
    async with listener:
        yield canned
        listener.close()


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    """The app's shared upstream client, as make_client builds it."""
    async with make_client() as shared:
        yield shared


def _head(status: str = "200 OK", *headers: str, chunked: bool = True) -> bytes:
    lines = [f"HTTP/1.1 {status}", "Connection: close", *headers]
    if chunked:
        lines.append("Transfer-Encoding: chunked")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _piece(data: bytes) -> bytes:
    """One piece of a chunked body."""
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


END = b"0\r\n\r\n"
SSE_HEAD = _head("200 OK", "Content-Type: text/event-stream")


def _data(payload: object) -> bytes:
    text = payload if isinstance(payload, str) else json.dumps(payload)
    return f"data: {text}\n\n".encode()


def _finish_chunk(reason: str = "stop") -> dict:
    usage = {"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7}
    return {"choices": [{"index": 0, "delta": {}, "finish_reason": reason, "usage": usage}]}


def _canned(*parts: bytes) -> Responder:
    async def respond(request: Request, reader: asyncio.StreamReader, writer) -> None:
        for part in parts:
            writer.write(part)
            await writer.drain()

    return respond


async def _collect(
    client: httpx.AsyncClient,
    server: CannedServer,
    body: dict | None = None,
    key: str | None = KEY,
    timeouts: Timeouts = PATIENT,
) -> list:
    stream = stream_chat(client, server.base_url, key, body or {**BODY, "stream": True}, timeouts)
    return [event async for event in stream]


def _only_error(events: list) -> UpstreamError:
    """The last event, which must be the one and only error."""
    assert [e for e in events if isinstance(e, UpstreamError)] == events[-1:]
    error = events[-1]
    assert KEY not in error.describe()
    return error


async def test_it_streams_reasoning_before_answer(server, client) -> None:
    server.respond = _canned(
        SSE_HEAD,
        _piece(_data(chunk(role="assistant", content=""))),
        _piece(_data(chunk(reasoning_content="Think")) + _data(chunk(reasoning_content="ing"))),
        _piece(_data(chunk(content="Hel"))),
        _piece(_data(chunk(content="lo"))),
        _piece(_data(_finish_chunk()) + b"data: [DONE]\n\n"),
        END,
    )
    events = await _collect(client, server)
    assert events == [
        ReasoningDelta(0, "Think"),
        ReasoningDelta(0, "ing"),
        ContentDelta(0, "Hel"),
        ContentDelta(0, "lo"),
        Usage(3, 4, 7, None, None, index=0),
        Finish(0, "stop"),
    ]
    [request] = server.requests
    assert (request.method, request.path) == ("POST", "/v1/chat/completions")
    assert json.loads(request.body) == {**BODY, "stream": True}
    assert request.headers["accept"] == "text/event-stream"


async def test_a_stream_without_done_after_finish_is_complete(server, client) -> None:
    # No Transfer-Encoding: the body ends when the server closes the connection.
    server.respond = _canned(
        _head("200 OK", "Content-Type: text/event-stream", chunked=False),
        _data(chunk(content="Hi")),
        _data(_finish_chunk()),
    )
    events = await _collect(client, server)
    assert events[-1] == Finish(0, "stop")


async def test_the_authorization_header_is_sent_only_with_a_key(server, client) -> None:
    server.respond = _canned(SSE_HEAD, _piece(_data(_finish_chunk()) + _data("[DONE]")), END)
    await _collect(client, server, key=KEY)
    await _collect(client, server, key=None)
    await _collect(client, server, key="")
    assert [r.headers.get("authorization") for r in server.requests] == [
        f"Bearer {KEY}",
        None,
        None,
    ]


async def test_a_rate_limit_says_when_to_retry(server, client) -> None:
    body = {"error": {"message": "Too many requests", "type": "rate_limit_error", "code": None}}
    server.respond = _canned(
        _head("429 Too Many Requests", "Retry-After: 7", "Content-Type: application/json"),
        _piece(json.dumps(body).encode()),
        END,
    )
    error = _only_error(await _collect(client, server))
    assert (error.kind, error.status, error.retry_after) == ("http", 429, 7.0)
    assert error.type == "rate_limit_error"
    assert error.describe() == "Rate limited (429): Too many requests. Retry after 7 s."


async def test_retry_after_may_be_an_http_date(server, client) -> None:
    sent = datetime.now(UTC)
    when = email.utils.format_datetime(sent + timedelta(seconds=30), usegmt=True)
    server.respond = _canned(_head("503 Service Unavailable", f"Retry-After: {when}"), END)
    error = _only_error(await _collect(client, server))
    received = datetime.now(UTC)
    assert error.retry_after is not None
    # The seconds left until that date when the answer was read, however long it took.
    date = email.utils.parsedate_to_datetime(when)
    assert (date - received).total_seconds() <= error.retry_after <= 30
    assert error.retry_after <= (date - sent).total_seconds()
    assert error.describe().startswith("The upstream failed (503): Service Unavailable.")


async def test_a_rejected_parameter_is_named(server, client) -> None:
    body = {
        "error": {
            "message": "temperature must be between 0 and 2",
            "type": "invalid_request_error",
            "param": "temperature",
            "code": "invalid_value",
        }
    }
    server.respond = _canned(
        _head("400 Bad Request", "Content-Type: application/json"),
        _piece(json.dumps(body).encode()),
        END,
    )
    error = _only_error(await _collect(client, server))
    assert (error.status, error.param, error.code) == (400, "temperature", "invalid_value")
    assert error.describe() == (
        "The upstream rejected the request (400) — field 'temperature': "
        "temperature must be between 0 and 2"
    )


async def test_an_html_error_page_is_quoted_as_text(server, client) -> None:
    page = b"<html><head><title>500</title></head><body><h1>Internal Server Error</h1></body>"
    server.respond = _canned(
        _head("500 Internal Server Error", "Content-Type: text/html"), _piece(page), END
    )
    error = _only_error(await _collect(client, server))
    assert (error.kind, error.status) == ("http", 500)
    assert error.message == "500 Internal Server Error"
    assert error.describe() == "The upstream failed (500): 500 Internal Server Error."


async def test_a_redirect_is_not_followed(server, client) -> None:
    location = "Location: https://example.com/login"
    server.respond = _canned(_head("302 Found", location, "Content-Length: 0", chunked=False))
    error = _only_error(await _collect(client, server))
    assert (error.kind, error.status) == ("redirect", 302)
    assert "https://example.com/login" in error.describe()
    assert len(server.requests) == 1


async def test_a_connection_dropped_mid_stream_is_reported(server, client) -> None:
    # The chunked body never gets its terminating piece: the server just hangs up.
    server.respond = _canned(SSE_HEAD, _piece(_data(chunk(reasoning_content="Let me"))))
    events = await _collect(client, server)
    assert events[0] == ReasoningDelta(0, "Let me")
    error = _only_error(events)
    assert error.kind == "connection"
    assert error.describe().startswith("The connection dropped mid-stream")


async def test_a_stream_that_ends_before_finishing_is_reported(server, client) -> None:
    server.respond = _canned(SSE_HEAD, _piece(_data(chunk(content="Half an ans"))), END)
    error = _only_error(await _collect(client, server))
    assert error.kind == "connection"
    assert error.describe().startswith("The connection dropped mid-stream")


async def test_a_drop_after_every_choice_finished_is_not_an_error(server, client) -> None:
    server.respond = _canned(SSE_HEAD, _piece(_data(chunk(content="Hi")) + _data(_finish_chunk())))
    events = await _collect(client, server)
    assert events[-1] == Finish(0, "stop")


async def test_an_error_after_every_choice_finished_is_still_read_and_last(server, client) -> None:
    # Some gateways send finish_reason, then an error chunk at HTTP 200, then [DONE].
    error = {"error": {"message": "quota exceeded mid-answer", "code": "quota"}}
    server.respond = _canned(
        SSE_HEAD,
        _piece(_data(chunk(content="Hi")) + _data(_finish_chunk())),
        _piece(_data(error) + b"data: [DONE]\n\n"),
        END,
    )
    events = await _collect(client, server)
    assert events[:-1] == [ContentDelta(0, "Hi"), Usage(3, 4, 7, None, None, 0), Finish(0, "stop")]
    assert _only_error(events).message == "quota exceeded mid-answer"


async def test_a_refusal_cut_off_before_its_finish_is_reported(server, client) -> None:
    # Choice 0 finished; choice 1 was refusing when the stream ended without [DONE].
    refusing = {"choices": [{"index": 1, "delta": {"refusal": "I can't"}}]}
    server.respond = _canned(
        SSE_HEAD, _piece(_data(chunk(content="Hi")) + _data(_finish_chunk()) + _data(refusing)), END
    )
    events = await _collect(client, server)
    assert RefusalDelta(1, "I can't") in events
    assert _only_error(events).describe().startswith("The connection dropped mid-stream")


async def test_no_response_headers_in_time_is_a_first_byte_timeout(server, client) -> None:
    async def respond(request, reader, writer) -> None:
        await server.wait_for_client_to_leave(reader)

    server.respond = respond
    timeouts = Timeouts(connect=30, first_byte=SHORT, chunk=30)
    error = _only_error(await _collect(client, server, timeouts=timeouts))
    assert error.kind == "timeout_first_byte"
    assert error.describe() == "No first token within 0.2 s."
    await asyncio.wait_for(server.client_left.wait(), SOON)


async def test_headers_without_a_first_byte_is_a_first_byte_timeout(server, client) -> None:
    async def respond(request, reader, writer) -> None:
        writer.write(SSE_HEAD)
        await server.wait_for_client_to_leave(reader)

    server.respond = respond
    timeouts = Timeouts(connect=30, first_byte=SHORT, chunk=30)
    error = _only_error(await _collect(client, server, timeouts=timeouts))
    assert error.kind == "timeout_first_byte"


async def test_a_gap_between_chunks_is_a_chunk_timeout(server, client) -> None:
    async def respond(request, reader, writer) -> None:
        writer.write(SSE_HEAD + _piece(_data(chunk(reasoning_content="Step one"))))
        await server.wait_for_client_to_leave(reader)

    server.respond = respond
    # The first piece may take its time; only the silence after it is short.
    events = await _collect(
        client, server, timeouts=Timeouts(connect=30, first_byte=30, chunk=SHORT)
    )
    assert events[0] == ReasoningDelta(0, "Step one")
    error = _only_error(events)
    assert error.kind == "timeout_chunk"
    assert error.describe() == "The stream stalled: nothing arrived for 0.2 s."


async def test_a_refused_connection_is_reported(client) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    stream = stream_chat(client, f"http://127.0.0.1:{port}/v1", KEY, BODY, PATIENT)
    error = _only_error([event async for event in stream])
    assert error.kind == "connection"
    assert error.describe().startswith(f"Could not connect to 127.0.0.1:{port}")


@pytest.mark.skipif(sys.platform != "linux", reason="relies on Linux dropping SYNs")
async def test_a_connect_that_hangs_is_a_connect_timeout(client) -> None:
    # A listener with a full accept queue: Linux drops further SYNs, so connect() hangs.
    with socket.socket() as listener, contextlib.ExitStack() as fillers:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        port = listener.getsockname()[1]
        for _ in range(3):
            filler = fillers.enter_context(socket.socket())
            filler.setblocking(False)
            with contextlib.suppress(BlockingIOError):
                filler.connect(("127.0.0.1", port))
        timeouts = Timeouts(connect=SHORT, first_byte=30, chunk=30)
        stream = stream_chat(client, f"http://127.0.0.1:{port}/v1", KEY, BODY, timeouts)
        error = _only_error([event async for event in stream])
    assert error.kind == "timeout_connect"
    assert error.describe() == f"Could not connect to 127.0.0.1:{port} within 0.2 s."


async def test_a_malformed_chunk_ends_the_stream(server, client) -> None:
    server.respond = _canned(
        SSE_HEAD,
        _piece(_data(chunk(content="Hi")) + b"data: {oops\n\n" + _data(chunk(content="x"))),
        END,
    )
    events = await _collect(client, server)
    assert events[0] == ContentDelta(0, "Hi")
    assert _only_error(events).kind == "malformed"
    assert len(events) == 2


async def test_an_error_event_mid_stream_ends_the_stream(server, client) -> None:
    error_event = b'event: error\ndata: {"error": {"message": "engine overloaded"}}\n\n'
    server.respond = _canned(SSE_HEAD, _piece(_data(chunk(content="Hi")) + error_event), END)
    error = _only_error(await _collect(client, server))
    assert (error.kind, error.message) == ("stream", "engine overloaded")


async def test_a_non_streaming_request_reads_the_whole_completion(server, client) -> None:
    server.respond = _canned(
        _head("200 OK", "Content-Type: application/json"),
        _piece(json.dumps(EXAMPLE_COMPLETION).encode()),
        END,
    )
    events = await _collect(client, server, body={**BODY, "stream": False})
    assert events == events_from_completion(EXAMPLE_COMPLETION)
    assert server.requests[0].headers["accept"] == "application/json"


async def test_a_json_answer_to_a_streaming_request_is_read_whole(server, client) -> None:
    server.respond = _canned(
        _head("200 OK", "Content-Type: application/json; charset=utf-8"),
        _piece(json.dumps(EXAMPLE_COMPLETION).encode()),
        END,
    )
    events = await _collect(client, server)
    assert events == events_from_completion(EXAMPLE_COMPLETION)


async def test_stopping_closes_the_upstream_connection(server, client) -> None:
    async def respond(request, reader, writer) -> None:
        writer.write(SSE_HEAD + _piece(_data(chunk(reasoning_content="Thinking"))))
        await server.wait_for_client_to_leave(reader)

    server.respond = respond
    first_event = asyncio.Event()

    async def consume() -> None:
        # Long timeouts: only the cancellation may end this request.
        async for _ in stream_chat(client, server.base_url, KEY, {**BODY, "stream": True}):
            first_event.set()

    task = asyncio.create_task(consume())
    await asyncio.wait_for(first_event.wait(), SOON)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await asyncio.wait_for(server.client_left.wait(), SOON)


async def test_closing_the_iterator_closes_the_upstream_connection(server, client) -> None:
    async def respond(request, reader, writer) -> None:
        writer.write(SSE_HEAD + _piece(_data(chunk(reasoning_content="Thinking"))))
        await server.wait_for_client_to_leave(reader)

    server.respond = respond
    stream = stream_chat(client, server.base_url, KEY, {**BODY, "stream": True})
    async with contextlib.aclosing(stream) as events:
        assert await anext(events) == ReasoningDelta(0, "Thinking")
    await asyncio.wait_for(server.client_left.wait(), SOON)


async def test_the_key_never_appears_in_errors_or_logs(server, client, caplog) -> None:
    body = {"error": {"message": f"Incorrect API key provided: {KEY}", "param": KEY}}
    server.respond = _canned(
        _head("401 Unauthorized", "Content-Type: application/json"),
        _piece(json.dumps(body).encode()),
        END,
    )
    with caplog.at_level(logging.DEBUG):
        error = _only_error(await _collect(client, server, key=f"  {KEY}\n"))
    assert error.status == 401
    assert error.describe() == (
        "Authentication failed (401): Incorrect API key provided: [redacted]. Check the API key."
    )
    assert KEY not in repr(error)
    assert KEY not in caplog.text
    assert server.requests[0].headers["authorization"] == f"Bearer {KEY}"


async def test_a_key_that_cannot_be_a_header_is_refused_before_sending(server, client) -> None:
    error = _only_error(await _collect(client, server, key="sk-ключ"))
    assert error.kind == "connection"
    assert "sk-ключ" not in error.describe()
    assert server.requests == []


# ------------------------------------------------------------------ list_models


async def test_it_lists_the_models_sorted(server, client) -> None:
    models = {"data": [{"id": "kimi-k2-thinking-turbo"}, {"id": "kimi-k2-thinking"}]}
    server.respond = _canned(
        _head("200 OK", "Content-Type: application/json"), _piece(json.dumps(models).encode()), END
    )
    assert await list_models(client, server.base_url, KEY) == [
        "kimi-k2-thinking",
        "kimi-k2-thinking-turbo",
    ]
    assert (server.requests[0].method, server.requests[0].path) == ("GET", "/v1/models")
    assert server.requests[0].headers["authorization"] == f"Bearer {KEY}"


@pytest.mark.parametrize(
    ("response", "kind"),
    [
        (_head("401 Unauthorized") + _piece(b'{"error": {"message": "bad key"}}') + END, "http"),
        (_head("200 OK") + _piece(b"<html>models</html>") + END, "malformed"),
        (_head("200 OK") + _piece(b'{"object": "list"}') + END, "malformed"),
        (_head("301 Moved Permanently", "Location: /v2/models") + END, "redirect"),
    ],
)
async def test_a_failed_model_list_raises(server, client, response: bytes, kind: str) -> None:
    server.respond = _canned(response)
    with pytest.raises(UpstreamFailure) as failure:
        await list_models(client, server.base_url, KEY)
    assert failure.value.error.kind == kind
    assert KEY not in str(failure.value)


async def test_an_unreachable_model_list_raises(client) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(UpstreamFailure) as failure:
        await list_models(client, f"http://127.0.0.1:{port}/v1", None)
    assert failure.value.error.kind == "connection"


async def test_a_slow_model_list_times_out(server, client) -> None:
    async def respond(request, reader, writer) -> None:
        await server.wait_for_client_to_leave(reader)

    server.respond = respond
    with pytest.raises(UpstreamFailure) as failure:
        await list_models(client, server.base_url, None, timeout=SHORT)
    assert failure.value.error.kind == "timeout_first_byte"
