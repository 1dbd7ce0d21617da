"""The upstream client: the SSE parser and chunk events on byte streams, and the HTTP
client against a real HTTP server on a real port (a tiny canned-bytes responder)."""

from __future__ import annotations

import asyncio
import contextlib
import doctest
import email.utils
import json
import logging
import socket
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from chat.api import upstream
from chat.api.upstream import (
    ContentDelta,
    Finish,
    ReasoningDelta,
    SSEEvent,
    SSEParser,
    Timeouts,
    ToolCallAssembler,
    ToolCallDelta,
    UpstreamError,
    UpstreamFailure,
    Usage,
    events_from_completion,
    events_from_sse,
    is_done,
    list_models,
    make_client,
    stream_chat,
)

KEY = "sk-test-5ecret-key-0123"
FAST = Timeouts(connect=2.0, first_byte=0.2, chunk=0.2)
BODY = {"model": "kimi-k2-thinking", "messages": [{"role": "user", "content": "hi"}]}


def test_the_docstring_examples_hold() -> None:
    assert doctest.testmod(upstream).failed == 0


# ----------------------------------------------------------------------- SSE parser


def _parse_whole(raw: bytes) -> list[SSEEvent]:
    parser = SSEParser()
    return parser.feed(raw) + parser.close()


def _parse_pieces(pieces: list[bytes]) -> list[SSEEvent]:
    parser = SSEParser()
    events = []
    for piece in pieces:
        events += parser.feed(piece)
    return events + parser.close()


def _event(data: str, event: str | None = None, id: str | None = None) -> SSEEvent:
    return SSEEvent(event=event, data=data, id=id)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param(b"data: a\n\n", [_event("a")], id="LF"),
        pytest.param(b"data: a\r\n\r\n", [_event("a")], id="CRLF"),
        pytest.param(b"data: a\r\r", [_event("a")], id="CR"),
        pytest.param(b"data: a\r\n\ndata: b\r\r", [_event("a"), _event("b")], id="mixed"),
        pytest.param(b"data:a\n\n", [_event("a")], id="no space after colon"),
        pytest.param(b"data:  a\n\n", [_event(" a")], id="only one space is stripped"),
        pytest.param(b"data: a\ndata: b\n\n", [_event("a\nb")], id="multi-line data"),
        pytest.param(b"data\n\n", [_event("")], id="field without colon"),
        pytest.param(b": keep-alive\n\ndata: a\n\n", [_event("a")], id="comment"),
        pytest.param(b"data: a\n: ping\ndata: b\n\n", [_event("a\nb")], id="comment inside"),
        pytest.param(
            b"event: error\nid: 7\ndata: x\n\n", [_event("x", "error", "7")], id="event and id"
        ),
        pytest.param(
            b"event: ping\ndata: a\n\ndata: b\n\n",
            [_event("a", "ping"), _event("b")],
            id="event type resets after dispatch",
        ),
        pytest.param(
            b"id: 1\ndata: a\n\ndata: b\n\n",
            [_event("a", id="1"), _event("b", id="1")],
            id="last id persists",
        ),
        pytest.param(b"id: a\0b\ndata: x\n\n", [_event("x")], id="id with NUL is ignored"),
        pytest.param(b"retry: 10\nfoo: bar\ndata: a\n\n", [_event("a")], id="unknown fields"),
        pytest.param(b"\n\n\r\n", [], id="blank lines only"),
        pytest.param(b"event: x\n\n", [], id="no data, no event"),
        pytest.param(b"\xef\xbb\xbfdata: a\n\n", [_event("a")], id="byte-order mark"),
        pytest.param(b"data: [DONE]\n\n", [_event("[DONE]")], id="done"),
        pytest.param("data: é中😀\n\n".encode(), [_event("é中😀")], id="multi-byte"),
        pytest.param(b"data: tail", [_event("tail")], id="trailing event at close"),
        pytest.param(b"data: tail\n", [_event("tail")], id="trailing event without blank"),
    ],
)
def test_it_parses_event_streams(raw: bytes, expected: list[SSEEvent]) -> None:
    assert _parse_whole(raw) == expected
    assert _parse_pieces([raw[i : i + 1] for i in range(len(raw))]) == expected


def test_it_waits_for_the_blank_line_before_dispatching() -> None:
    parser = SSEParser()
    assert parser.feed(b"data: tail\n") == []
    assert parser.close() == [_event("tail")]


def test_a_crlf_split_between_chunks_is_one_line_break() -> None:
    parser = SSEParser()
    assert parser.feed(b"data: a\r") == []
    assert parser.feed(b"\n") == []  # the LF completes the CR, it is not a blank line
    assert parser.feed(b"\r") == [_event("a")]
    assert parser.feed(b"\ndata: b\n\n") == [_event("b")]


def test_a_character_split_across_chunks_is_decoded_whole() -> None:
    raw = "data: 中\n\n".encode()
    assert _parse_pieces([raw[:7], raw[7:8], raw[8:]]) == [_event("中")]


def test_done_is_recognised() -> None:
    assert is_done(_event("[DONE]"))
    assert is_done(_event(" [DONE] "))
    assert not is_done(_event('{"choices": []}'))


TEXT = st.text(
    alphabet=st.sampled_from(list('ab z\n"\\{}:é中😀')) | st.characters(codec="utf-8"),
    min_size=1,
    max_size=12,
)
DELTAS = st.lists(
    st.tuples(st.sampled_from(["reasoning_content", "reasoning", "content"]), TEXT), max_size=8
)


def _chunk(**delta: str) -> dict:
    return {
        "object": "chat.completion.chunk",
        "choices": [{"index": 0, "delta": delta, "finish_reason": None}],
    }


@st.composite
def split_streams(draw: st.DrawFn) -> tuple[list[tuple[str, str]], bytes, list[bytes]]:
    """A valid stream of reasoning/content chunks, then the same bytes cut anywhere."""
    deltas = draw(DELTAS)
    eol = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    prefix = draw(st.sampled_from(["data: ", "data:"]))
    lines = []
    for kind, text in deltas:
        if draw(st.booleans()):
            lines.append(": keep-alive" + eol)
        lines.append(prefix + json.dumps(_chunk(**{kind: text}), ensure_ascii=False) + eol + eol)
    finish = {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
    lines.append(prefix + json.dumps(finish) + eol + eol + prefix + "[DONE]" + eol + eol)
    raw = "".join(lines).encode()
    cuts = sorted(draw(st.lists(st.integers(0, len(raw)), max_size=20)))
    pieces = [raw[a:b] for a, b in zip([0, *cuts], [*cuts, len(raw)], strict=True)]
    return deltas, raw, pieces


@given(split_streams())
def test_any_split_of_a_stream_gives_the_same_events(stream) -> None:
    deltas, raw, pieces = stream
    whole = _parse_whole(raw)
    assert _parse_pieces(pieces) == whole
    typed = [event for sse in whole for event in events_from_sse(sse)]
    assert typed == [
        ReasoningDelta(0, text) if kind != "content" else ContentDelta(0, text)
        for kind, text in deltas
    ] + [Finish(0, "stop")]


# -------------------------------------------------------------- chunks -> events


def _sse(payload: object) -> SSEEvent:
    return _event(json.dumps(payload))


@pytest.mark.parametrize(
    ("chunk", "expected"),
    [
        pytest.param(
            _chunk(reasoning_content="Let me think"),
            [ReasoningDelta(0, "Let me think")],
            id="reasoning_content",
        ),
        pytest.param(_chunk(reasoning="Hmm"), [ReasoningDelta(0, "Hmm")], id="reasoning"),
        pytest.param(_chunk(role="assistant", content=""), [], id="empty first delta"),
        pytest.param(_chunk(content="Hi"), [ContentDelta(0, "Hi")], id="content"),
        pytest.param(
            {
                "choices": [
                    {
                        "index": 0,
                        "delta": {},
                        "finish_reason": "stop",
                        "usage": {"prompt_tokens": 8, "completion_tokens": 2, "total_tokens": 10},
                    }
                ]
            },
            [Usage(8, 2, 10, None, None, index=0), Finish(0, "stop")],
            id="usage inside the choice (Moonshot)",
        ),
        pytest.param(
            {
                "choices": [],
                "usage": {
                    "prompt_tokens": 8,
                    "completion_tokens": 292,
                    "total_tokens": 300,
                    "prompt_tokens_details": {"cached_tokens": 8},
                    "completion_tokens_details": {"reasoning_tokens": 250},
                },
            },
            [Usage(8, 292, 300, 8, 250)],
            id="top-level usage with details (OpenAI)",
        ),
        pytest.param(
            {"choices": [], "usage": {"prompt_tokens": 8, "cached_tokens": 5}},
            [Usage(8, None, None, 5, None)],
            id="top-level cached_tokens",
        ),
        pytest.param(
            {
                "choices": [
                    {"index": 1, "delta": {"reasoning_content": "b"}},
                    {"index": 0, "delta": {"content": "a"}, "finish_reason": "length"},
                ],
                "usage": None,
            },
            [ReasoningDelta(1, "b"), ContentDelta(0, "a"), Finish(0, "length")],
            id="two choices",
        ),
        pytest.param(
            {"error": {"message": "overloaded", "type": "server_error", "code": "busy"}},
            [UpstreamError("stream", "overloaded", type="server_error", code="busy")],
            id="error object",
        ),
        pytest.param({"id": "x", "object": "ping"}, ["malformed"], id="JSON but not a chunk"),
        pytest.param([1, 2], ["malformed"], id="JSON array"),
    ],
)
def test_chunks_become_typed_events(chunk: object, expected: list) -> None:
    events = events_from_sse(_sse(chunk))
    if expected == ["malformed"]:
        assert [event.kind for event in events] == ["malformed"]  # type: ignore[union-attr]
    else:
        assert events == expected


def test_done_gives_no_events() -> None:
    assert events_from_sse(_event("[DONE]")) == []


def test_a_data_line_that_is_not_json_is_malformed() -> None:
    [error] = events_from_sse(_event("{not json"))
    assert isinstance(error, UpstreamError)
    assert error.kind == "malformed"
    assert "{not json" in error.describe()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ('{"error": {"message": "quota exceeded", "code": 1001}}', "quota exceeded"),
        ('{"message": "model crashed", "type": "server_error"}', "model crashed"),
        ("upstream went away", "upstream went away"),
    ],
)
def test_an_error_event_is_a_stream_error(data: str, message: str) -> None:
    [error] = events_from_sse(_event(data, event="error"))
    assert isinstance(error, UpstreamError)
    assert (error.kind, error.message) == ("stream", message)


def test_named_vendor_events_are_ignored() -> None:
    assert events_from_sse(_event("{}", event="ping")) == []


def test_tool_call_fragments_are_assembled_per_choice() -> None:
    fragments = [
        {"index": 0, "id": "call_1", "type": "function", "function": {"name": "get_weather"}},
        {"index": 0, "function": {"arguments": '{"city": '}},
        {"index": 1, "id": "call_2", "function": {"name": "get_time", "arguments": "{}"}},
        {"index": 0, "function": {"arguments": '"Paris"}'}},
    ]
    calls = ToolCallAssembler()
    deltas = []
    for fragment in fragments:
        for choice in (0, 1):
            chunk = {"choices": [{"index": choice, "delta": {"tool_calls": [fragment]}}]}
            deltas += events_from_sse(_sse(chunk))
    for delta in deltas:
        assert isinstance(delta, ToolCallDelta)
        calls.add(delta)
    assert deltas[0] == ToolCallDelta(0, 0, "call_1", "get_weather", "")
    expected = [
        {
            "id": "call_1",
            "type": "function",
            "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
        },
        {"id": "call_2", "type": "function", "function": {"name": "get_time", "arguments": "{}"}},
    ]
    assert calls.calls(0) == expected
    assert calls.calls(1) == expected
    assert calls.calls(2) == []


# The example response of seed/chat-completions-api.txt.
EXAMPLE_COMPLETION = {
    "id": "cmpl-04ea926191a14749b7f2c7a48a68abc6",
    "model": "kimi-k2-thinking",
    "object": "chat.completion",
    "created": 1698999496,
    "choices": [
        {
            "index": 0,
            "message": {
                "role": "assistant",
                "content": "Hi there! How can I help you?",
                "reasoning_content": 'The user just said "hi". This is a very simple greeting.',
            },
            "finish_reason": "stop",
        }
    ],
    "usage": {
        "prompt_tokens": 8,
        "completion_tokens": 292,
        "total_tokens": 300,
        "prompt_tokens_details": {"cached_tokens": 8},
    },
}


def test_a_whole_completion_gives_the_same_events() -> None:
    assert events_from_completion(EXAMPLE_COMPLETION) == [
        ReasoningDelta(0, 'The user just said "hi". This is a very simple greeting.'),
        ContentDelta(0, "Hi there! How can I help you?"),
        Finish(0, "stop"),
        Usage(8, 292, 300, 8, None),
    ]


def test_a_whole_completion_with_tool_calls() -> None:
    message = {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {"id": "c1", "type": "function", "function": {"name": "f", "arguments": '{"a":1}'}}
        ],
    }
    body = {"choices": [{"index": 0, "message": message, "finish_reason": "tool_calls"}]}
    assert events_from_completion(body) == [
        ToolCallDelta(0, 0, "c1", "f", '{"a":1}'),
        Finish(0, "tool_calls"),
    ]


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (
            UpstreamError("http", "Slow down", status=429, retry_after=7),
            "Rate limited (429): Slow down. Retry after 7 s.",
        ),
        (
            UpstreamError("http", "must be <= 2", status=400, param="temperature"),
            "The upstream rejected the request (400) — field 'temperature': must be <= 2",
        ),
        (
            UpstreamError("http", "Invalid key.", status=401),
            "Authentication failed (401): Invalid key. Check the API key.",
        ),
        (
            UpstreamError("http", "Service Unavailable", status=503),
            "The upstream failed (503): Service Unavailable.",
        ),
        (
            UpstreamError("stream", "overloaded", code="busy"),
            "The upstream reported an error (busy): overloaded.",
        ),
        (UpstreamError("timeout_first_byte", "No first token within 120 s."), None),
    ],
)
def test_errors_are_described_in_words(error: UpstreamError, expected: str | None) -> None:
    assert error.describe() == (expected or error.message)


# ------------------------------------------------------------------ HTTP server


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
    timeouts: Timeouts = FAST,
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
        _piece(_data(_chunk(role="assistant", content=""))),
        _piece(_data(_chunk(reasoning_content="Think")) + _data(_chunk(reasoning_content="ing"))),
        _piece(_data(_chunk(content="Hel"))),
        _piece(_data(_chunk(content="lo"))),
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
        _data(_chunk(content="Hi")),
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
    when = email.utils.format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    server.respond = _canned(_head("503 Service Unavailable", f"Retry-After: {when}"), END)
    error = _only_error(await _collect(client, server))
    assert error.retry_after is not None
    assert 25 <= error.retry_after <= 30
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
    server.respond = _canned(SSE_HEAD, _piece(_data(_chunk(reasoning_content="Let me"))))
    events = await _collect(client, server)
    assert events[0] == ReasoningDelta(0, "Let me")
    error = _only_error(events)
    assert error.kind == "connection"
    assert error.describe().startswith("The connection dropped mid-stream")


async def test_a_stream_that_ends_before_finishing_is_reported(server, client) -> None:
    server.respond = _canned(SSE_HEAD, _piece(_data(_chunk(content="Half an ans"))), END)
    error = _only_error(await _collect(client, server))
    assert error.kind == "connection"
    assert error.describe().startswith("The connection dropped mid-stream")


async def test_a_drop_after_every_choice_finished_is_not_an_error(server, client) -> None:
    server.respond = _canned(SSE_HEAD, _piece(_data(_chunk(content="Hi")) + _data(_finish_chunk())))
    events = await _collect(client, server)
    assert events[-1] == Finish(0, "stop")


async def test_no_response_headers_in_time_is_a_first_byte_timeout(server, client) -> None:
    async def respond(request, reader, writer) -> None:
        await server.wait_for_client_to_leave(reader)

    server.respond = respond
    error = _only_error(await _collect(client, server))
    assert error.kind == "timeout_first_byte"
    assert error.describe() == "No first token within 0.2 s."
    await asyncio.wait_for(server.client_left.wait(), 2)


async def test_headers_without_a_first_byte_is_a_first_byte_timeout(server, client) -> None:
    async def respond(request, reader, writer) -> None:
        writer.write(SSE_HEAD)
        await server.wait_for_client_to_leave(reader)

    server.respond = respond
    error = _only_error(await _collect(client, server))
    assert error.kind == "timeout_first_byte"


async def test_a_gap_between_chunks_is_a_chunk_timeout(server, client) -> None:
    async def respond(request, reader, writer) -> None:
        writer.write(SSE_HEAD + _piece(_data(_chunk(reasoning_content="Step one"))))
        await server.wait_for_client_to_leave(reader)

    server.respond = respond
    events = await _collect(client, server)
    assert events[0] == ReasoningDelta(0, "Step one")
    error = _only_error(events)
    assert error.kind == "timeout_chunk"
    assert error.describe() == "The stream stalled: nothing arrived for 0.2 s."


async def test_a_refused_connection_is_reported(client) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    stream = stream_chat(client, f"http://127.0.0.1:{port}/v1", KEY, BODY, FAST)
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
        timeouts = Timeouts(connect=0.2, first_byte=5, chunk=5)
        stream = stream_chat(client, f"http://127.0.0.1:{port}/v1", KEY, BODY, timeouts)
        error = _only_error([event async for event in stream])
    assert error.kind == "timeout_connect"
    assert error.describe() == f"Could not connect to 127.0.0.1:{port} within 0.2 s."


async def test_a_malformed_chunk_ends_the_stream(server, client) -> None:
    server.respond = _canned(
        SSE_HEAD,
        _piece(_data(_chunk(content="Hi")) + b"data: {oops\n\n" + _data(_chunk(content="x"))),
        END,
    )
    events = await _collect(client, server)
    assert events[0] == ContentDelta(0, "Hi")
    assert _only_error(events).kind == "malformed"
    assert len(events) == 2


async def test_an_error_event_mid_stream_ends_the_stream(server, client) -> None:
    error_event = b'event: error\ndata: {"error": {"message": "engine overloaded"}}\n\n'
    server.respond = _canned(SSE_HEAD, _piece(_data(_chunk(content="Hi")) + error_event), END)
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
        writer.write(SSE_HEAD + _piece(_data(_chunk(reasoning_content="Thinking"))))
        await server.wait_for_client_to_leave(reader)

    server.respond = respond
    first_event = asyncio.Event()

    async def consume() -> None:
        # Long timeouts: only the cancellation may end this request.
        async for _ in stream_chat(client, server.base_url, KEY, {**BODY, "stream": True}):
            first_event.set()

    task = asyncio.create_task(consume())
    await asyncio.wait_for(first_event.wait(), 2)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await asyncio.wait_for(server.client_left.wait(), 2)


async def test_closing_the_iterator_closes_the_upstream_connection(server, client) -> None:
    async def respond(request, reader, writer) -> None:
        writer.write(SSE_HEAD + _piece(_data(_chunk(reasoning_content="Thinking"))))
        await server.wait_for_client_to_leave(reader)

    server.respond = respond
    stream = stream_chat(client, server.base_url, KEY, {**BODY, "stream": True})
    async with contextlib.aclosing(stream) as events:
        assert await anext(events) == ReasoningDelta(0, "Thinking")
    await asyncio.wait_for(server.client_left.wait(), 2)


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
        await list_models(client, server.base_url, None, timeout=0.2)
    assert failure.value.error.kind == "timeout_first_byte"
