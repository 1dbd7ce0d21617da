"""The one module that talks to the upstream chat-completions API.

Everything else in the project calls `stream_chat` (and `list_models`) and receives
typed events; nothing else knows about HTTP, server-sent events or the wire format.
This module is pure in the project's sense: no Django, no database. Its only I/O is
the HTTP exchange itself, through an `httpx.AsyncClient` the caller owns.

The wire format (OpenAI-compatible, as Moonshot's kimi-k2-thinking speaks it): a
`POST {base}/chat/completions` answered, when `"stream": true`, by an SSE stream of
`chat.completion.chunk` objects whose deltas carry `reasoning_content` first, then
`content`, then a chunk with `finish_reason` (Moonshot puts `usage` inside that
choice), then `data: [DONE]`.

Failures are values, not exceptions: `stream_chat` ends with one `UpstreamError` whose
`describe()` is a sentence a person can act on.
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import dataclasses
import email.utils
import json
import logging
import math
import re
from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeAlias, cast
from urllib.parse import urlsplit

import httpx

logger = logging.getLogger(__name__)

# An error page is read this far and no further: we only quote a snippet of it.
ERROR_BODY_LIMIT = 64 * 1024
# How much of an upstream's non-JSON text goes into an error message.
SNIPPET_LENGTH = 200
REDACTED = "[redacted]"

_LINE_END = re.compile(r"\r\n|\r|\n")
_TAG = re.compile(r"<[^>]*>")
_WHITESPACE = re.compile(r"\s+")


# --------------------------------------------------------------------------- events


@dataclass(frozen=True, slots=True)
class ReasoningDelta:
    """A piece of the model's reasoning (`reasoning_content`) for choice `index`."""

    index: int
    text: str


@dataclass(frozen=True, slots=True)
class ContentDelta:
    """A piece of the answer (`content`) for choice `index`."""

    index: int
    text: str


@dataclass(frozen=True, slots=True)
class ToolCallDelta:
    """A fragment of tool call `call_index` of choice `index`; `arguments` is raw JSON text
    as received, to be concatenated (see `ToolCallAssembler`)."""

    index: int
    call_index: int
    id: str | None
    name: str | None
    arguments: str


@dataclass(frozen=True, slots=True)
class Finish:
    """Choice `index` is complete; `reason` is the API's finish_reason (stop, length, ...)."""

    index: int
    reason: str


@dataclass(frozen=True, slots=True)
class Usage:
    """Token counts. `index` is set when usage came inside a choice (Moonshot style) and is
    None when it came at the top level of a chunk (OpenAI style)."""

    prompt_tokens: int | None
    completion_tokens: int | None
    total_tokens: int | None
    cached_tokens: int | None
    reasoning_tokens: int | None
    index: int | None = None


@dataclass(frozen=True, slots=True)
class UpstreamError:
    """Why a request failed. `message` is the upstream's own words for kinds "http" and
    "stream", and a finished sentence of ours for every other kind.

    kind: "http" (non-2xx), "stream" (an error object sent in place of a chunk),
    "timeout_connect", "timeout_first_byte", "timeout_chunk", "connection" (refused,
    dropped mid-stream, incomplete), "malformed" (not JSON or not a chunk), "redirect"
    (3xx; redirects are not followed).
    """

    kind: str
    message: str
    status: int | None = None
    type: str | None = None
    code: str | None = None
    param: str | None = None
    retry_after: float | None = None

    def describe(self) -> str:
        """Words a person understands, including the upstream's own message.

        >>> UpstreamError("http", "Too many requests", status=429, retry_after=7).describe()
        'Rate limited (429): Too many requests. Retry after 7 s.'
        """
        if self.kind == "http":
            return _describe_http(self)
        if self.kind == "stream":
            code = f" ({self.code})" if self.code else ""
            return f"The upstream reported an error{code}: {_sentence(self.message)}"
        return self.message


Event: TypeAlias = ReasoningDelta | ContentDelta | ToolCallDelta | Finish | Usage | UpstreamError


class UpstreamFailure(Exception):
    """Raised by `list_models` (and used inside this module) to carry an UpstreamError."""

    def __init__(self, error: UpstreamError) -> None:
        super().__init__(error.describe())
        self.error = error


@dataclass(frozen=True)
class Timeouts:
    """Seconds. `first_byte` runs from sending the request until the first byte of the
    body; `chunk` is the longest silence allowed between two pieces of the body after it."""

    connect: float = 10.0
    first_byte: float = 120.0
    chunk: float = 60.0


DEFAULT_TIMEOUTS = Timeouts()


def _describe_http(error: UpstreamError) -> str:
    status, message = error.status, error.message
    retry = (
        f" Retry after {math.ceil(error.retry_after)} s." if error.retry_after is not None else ""
    )
    if status == 401:
        return f"Authentication failed (401): {_sentence(message)} Check the API key."
    if status == 403:
        return f"Access denied (403): {_sentence(message)} Check the API key and its permissions."
    if status == 404:
        return f"Not found (404): {_sentence(message)} Check the base URL and the model name."
    if status == 429:
        return f"Rate limited (429): {_sentence(message)}{retry}"
    if status is not None and status >= 500:
        return f"The upstream failed ({status}): {_sentence(message)}{retry}"
    if error.param:
        return f"The upstream rejected the request ({status}) — field '{error.param}': {message}"
    return f"The upstream rejected the request ({status}): {message}"


def _sentence(text: str) -> str:
    """'a message' -> 'a message.' so that a hint can follow it."""
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else f"{text}."


def _seconds(value: float) -> str:
    return f"{value:g} s"


# ----------------------------------------------------------------------- SSE parser


@dataclass(frozen=True)
class SSEEvent:
    """One dispatched server-sent event. `event` is None when no `event:` field was sent."""

    event: str | None
    data: str
    id: str | None


class SSEParser:
    """Incremental server-sent-events parser, per the HTML spec's event-stream rules.

    Feed it bytes as they arrive, split anywhere (even inside a UTF-8 character or
    between the CR and LF of one line break); it returns the events completed so far.
    `close()` returns a last event that the stream ended without its blank line; the
    spec would drop it, but an upstream that closes right after its final chunk should
    not lose that chunk.

    >>> parser = SSEParser()
    >>> parser.feed(b': keep-alive\\r\\ndata: {"a":')
    []
    >>> parser.feed(b' 1}\\r')
    []
    >>> parser.feed(b'\\n\\r\\nevent: error\\ndata:line one\\ndata: line two\\n\\ndata: [DONE]')
    [SSEEvent(event=None, data='{"a": 1}', id=None), \
SSEEvent(event='error', data='line one\\nline two', id=None)]
    >>> parser.close()
    [SSEEvent(event=None, data='[DONE]', id=None)]
    """

    def __init__(self) -> None:
        # utf-8-sig drops the one byte-order mark the spec allows at the start.
        self._decoder = codecs.getincrementaldecoder("utf-8-sig")(errors="replace")
        self._line = ""  # text after the last line break, still waiting for its own
        self._after_cr = False  # the text so far ended in CR: a leading LF belongs to it
        self._data: list[str] = []
        self._event: str | None = None
        self._id: str | None = None  # the spec keeps the last id across events

    def feed(self, data: bytes) -> list[SSEEvent]:
        return self._feed_text(self._decoder.decode(data))

    def close(self) -> list[SSEEvent]:
        events = self._feed_text(self._decoder.decode(b"", final=True))
        if self._line:
            self._take_line(self._line, events)
            self._line = ""
        self._dispatch(events)
        return events

    def _feed_text(self, text: str) -> list[SSEEvent]:
        if not text:
            return []
        if self._after_cr and text[0] == "\n":
            text = text[1:]
        self._after_cr = False
        if _LINE_END.search(text) is None:
            self._line += text  # the common case of a line arriving in pieces
            return []
        events: list[SSEEvent] = []
        buffer, start = self._line + text, 0
        for match in _LINE_END.finditer(buffer):
            self._take_line(buffer[start : match.start()], events)
            start = match.end()
        self._line = buffer[start:]
        # A CR at the very end may be the first half of a CRLF split across chunks.
        self._after_cr = buffer.endswith("\r")
        return events

    def _take_line(self, line: str, events: list[SSEEvent]) -> None:
        if not line:
            self._dispatch(events)
            return
        if line.startswith(":"):
            return  # a comment, typically a keep-alive
        field, colon, value = line.partition(":")
        if colon and value.startswith(" "):
            value = value[1:]
        if field == "data":
            self._data.append(value)
        elif field == "event":
            self._event = value or None
        elif field == "id" and "\0" not in value:
            self._id = value
        # `retry` and unknown fields are ignored: reconnecting is not ours to do here.

    def _dispatch(self, events: list[SSEEvent]) -> None:
        if self._data:
            events.append(SSEEvent(self._event, "\n".join(self._data), self._id))
        self._data = []
        self._event = None


def is_done(event: SSEEvent) -> bool:
    """True for the `data: [DONE]` sentinel that ends an OpenAI-style stream."""
    return event.data.strip() == "[DONE]"


# ------------------------------------------------------------- chunks -> events


def events_from_sse(event: SSEEvent) -> list[Event]:
    """One SSE event -> typed events, in the order a reader wants them.

    >>> events_from_sse(SSEEvent(None, '{"choices": [{"index": 0, '
    ...     '"delta": {"reasoning_content": "Hm."}, "finish_reason": null}]}', None))
    [ReasoningDelta(index=0, text='Hm.')]
    >>> events_from_sse(SSEEvent(None, "[DONE]", None))
    []

    Per choice: reasoning (`reasoning_content`, or `reasoning` as some gateways name
    it), content, tool-call fragments, choice-level usage, then Finish. Top-level usage
    comes last with index None. An `{"error": ...}` object or an `event: error` gives
    UpstreamError(kind="stream"); data that is not JSON, or JSON that is not a chunk,
    gives UpstreamError(kind="malformed").
    """
    if is_done(event):
        return []
    if event.event not in (None, "message", "error"):
        return []  # vendor events such as `event: ping` are keep-alives, not chunks
    try:
        payload = json.loads(event.data)
    except ValueError:
        if event.event == "error":
            return [UpstreamError("stream", _snippet(event.data) or "unknown error")]
        return [_malformed("a chunk that is not JSON", event.data)]
    if event.event == "error" or (isinstance(payload, dict) and payload.get("error")):
        return [_stream_error(payload)]
    if not isinstance(payload, dict) or not (
        isinstance(payload.get("choices"), list) or isinstance(payload.get("usage"), dict)
    ):
        return [_malformed("JSON that is not a chat-completion chunk", event.data)]
    events: list[Event] = []
    for position, choice in enumerate(payload.get("choices") or []):
        if isinstance(choice, dict):
            events.extend(_choice_events(choice, position, choice.get("delta")))
    if isinstance(payload.get("usage"), dict):
        events.append(_usage(payload["usage"], None))
    return events


def events_from_completion(body: dict[str, Any]) -> list[Event]:
    """`stream: false`: the same events from a whole `chat.completion` object.

    >>> events_from_completion({"choices": [{"index": 0, "finish_reason": "stop",
    ...     "message": {"role": "assistant", "content": "Hi", "reasoning_content": "Greet."}}]})
    [ReasoningDelta(index=0, text='Greet.'), ContentDelta(index=0, text='Hi'), \
Finish(index=0, reason='stop')]
    """
    if body.get("error"):
        return [_stream_error(body)]
    if not isinstance(body.get("choices"), list):
        return [_malformed("JSON that is not a chat completion", json.dumps(body))]
    events: list[Event] = []
    for position, choice in enumerate(body["choices"]):
        if isinstance(choice, dict):
            events.extend(_choice_events(choice, position, choice.get("message")))
    if isinstance(body.get("usage"), dict):
        events.append(_usage(body["usage"], None))
    return events


def _choice_events(choice: dict[str, Any], position: int, delta: object) -> list[Event]:
    """Events of one choice; `delta` is the chunk's delta or the completion's message."""
    index = _as_int(choice.get("index"))
    index = position if index is None else index
    delta = delta if isinstance(delta, dict) else {}
    events: list[Event] = []
    reasoning = delta.get("reasoning_content") or delta.get("reasoning")
    if isinstance(reasoning, str) and reasoning:
        events.append(ReasoningDelta(index, reasoning))
    content = delta.get("content")
    if isinstance(content, str) and content:
        events.append(ContentDelta(index, content))
    for call_position, call in enumerate(delta.get("tool_calls") or []):
        if isinstance(call, dict):
            events.append(_tool_call_delta(index, call_position, call))
    if isinstance(choice.get("usage"), dict):
        events.append(_usage(choice["usage"], index))
    if choice.get("finish_reason"):
        events.append(Finish(index, str(choice["finish_reason"])))
    return events


def _tool_call_delta(index: int, position: int, call: dict[str, Any]) -> ToolCallDelta:
    function = call.get("function") if isinstance(call.get("function"), dict) else {}
    call_index = _as_int(call.get("index"))
    arguments = function.get("arguments")
    if arguments is not None and not isinstance(arguments, str):
        arguments = json.dumps(arguments)  # some servers send an object when not streaming
    return ToolCallDelta(
        index=index,
        call_index=position if call_index is None else call_index,
        id=call.get("id") or None,
        name=function.get("name") or None,
        arguments=arguments or "",
    )


def _usage(raw: dict[str, Any], index: int | None) -> Usage:
    prompt_details = raw.get("prompt_tokens_details")
    completion_details = raw.get("completion_tokens_details")
    cached = (
        _as_int(prompt_details.get("cached_tokens")) if isinstance(prompt_details, dict) else None
    )
    if cached is None:
        cached = _as_int(raw.get("cached_tokens"))  # Moonshot sometimes puts it here
    reasoning = (
        _as_int(completion_details.get("reasoning_tokens"))
        if isinstance(completion_details, dict)
        else None
    )
    return Usage(
        prompt_tokens=_as_int(raw.get("prompt_tokens")),
        completion_tokens=_as_int(raw.get("completion_tokens")),
        total_tokens=_as_int(raw.get("total_tokens")),
        cached_tokens=cached,
        reasoning_tokens=reasoning,
        index=index,
    )


def _as_int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def _stream_error(payload: object) -> UpstreamError:
    """An error object sent in place of a chunk: {"error": {...}}, {"error": "..."} or
    the bare {"message", "type", ...} some servers put in an `event: error`."""
    fields = _error_fields(payload)
    return UpstreamError("stream", **fields)


def _error_fields(payload: object) -> dict[str, Any]:
    """message/type/code/param from an OpenAI-style error body, as strings."""
    error: object = payload.get("error", payload) if isinstance(payload, dict) else payload
    if isinstance(error, str):
        return {"message": _snippet(error) or "unknown error"}
    if not isinstance(error, dict):
        return {"message": _snippet(json.dumps(error)) or "unknown error"}
    message = error.get("message") or error.get("detail") or error.get("msg")
    return {
        "message": _snippet(message if isinstance(message, str) else json.dumps(error)),
        "type": _as_text(error.get("type")),
        "code": _as_text(error.get("code")),
        "param": _as_text(error.get("param")),
    }


def _as_text(value: object) -> str | None:
    return None if value is None or value == "" else str(value)


def _malformed(what: str, data: str) -> UpstreamError:
    return UpstreamError("malformed", f"The upstream sent {what}: {_snippet(data)!r}.")


def _snippet(text: str) -> str:
    """A short one-line excerpt; tags are dropped so an HTML error page reads as text."""
    text = _WHITESPACE.sub(" ", _TAG.sub(" ", text)).strip()
    return text if len(text) <= SNIPPET_LENGTH else text[: SNIPPET_LENGTH - 1] + "…"


# ------------------------------------------------------------------ tool calls


class ToolCallAssembler:
    """Puts streamed tool-call fragments back together, per choice and call index.

    >>> calls = ToolCallAssembler()
    >>> calls.add(ToolCallDelta(0, 0, "call_1", "get_weather", '{"city": '))
    >>> calls.add(ToolCallDelta(0, 0, None, None, '"Paris"}'))
    >>> calls.calls(0)
    [{'id': 'call_1', 'type': 'function', \
'function': {'name': 'get_weather', 'arguments': '{"city": "Paris"}'}}]
    """

    def __init__(self) -> None:
        self._calls: dict[int, dict[int, dict[str, Any]]] = {}

    def add(self, delta: ToolCallDelta) -> None:
        calls = self._calls.setdefault(delta.index, {})
        call = calls.setdefault(
            delta.call_index,
            {"id": None, "type": "function", "function": {"name": None, "arguments": ""}},
        )
        # Some servers repeat id and name on every fragment: the first one wins.
        if call["id"] is None and delta.id:
            call["id"] = delta.id
        if call["function"]["name"] is None and delta.name:
            call["function"]["name"] = delta.name
        call["function"]["arguments"] += delta.arguments

    def calls(self, index: int) -> list[dict[str, Any]]:
        """The calls of choice `index` in the API's own shape, ordered by call index."""
        calls = self._calls.get(index, {})
        return [
            {
                "id": calls[key]["id"] or "",
                "type": "function",
                "function": {
                    "name": calls[key]["function"]["name"] or "",
                    "arguments": calls[key]["function"]["arguments"],
                },
            }
            for key in sorted(calls)
        ]


# ---------------------------------------------------------------------- client


def make_client() -> httpx.AsyncClient:
    """The one shared client. Redirects are not followed: a POST silently turned into a
    GET elsewhere hides a wrong base URL. No default timeout: each request sets its own."""
    return httpx.AsyncClient(
        follow_redirects=False,
        timeout=None,  # noqa: S113 - every request passes its own Timeouts
        limits=httpx.Limits(max_connections=100, max_keepalive_connections=20, keepalive_expiry=30),
        headers={"User-Agent": "reasoning-playground"},
    )


async def stream_chat(
    client: httpx.AsyncClient,
    base_url: str,
    api_key: str | None,
    body: dict[str, Any],
    timeouts: Timeouts = DEFAULT_TIMEOUTS,
) -> AsyncIterator[Event]:
    """POST `{base_url}/chat/completions` and yield typed events.

    Never raises for an upstream problem: the last event is then one UpstreamError. A
    caller that stops early should close the iterator (`contextlib.aclosing`) or cancel
    its task; either closes the HTTP response at once. CancelledError is re-raised.
    """
    try:
        api_key = _clean_key(api_key)
        url = _endpoint(base_url, "chat/completions")
        accept = "text/event-stream" if body.get("stream") else "application/json"
        exchange = _exchange(client, url, _headers(api_key, accept), body, timeouts)
        async with contextlib.aclosing(exchange) as events:
            async for event in events:
                yield event
    except UpstreamFailure as failure:
        error = _redacted(failure.error, api_key)
        logger.info("upstream error: %s", error.describe())
        yield error


async def list_models(
    client: httpx.AsyncClient,
    base_url: str,
    api_key: str | None,
    timeout: float = 10.0,  # noqa: ASYNC109 - applied with asyncio.timeout inside
) -> list[str]:
    """GET `{base_url}/models` -> sorted model ids. Raises UpstreamFailure on any failure,
    so that callers can fall back to the documented models."""
    try:
        api_key = _clean_key(api_key)
        url = _endpoint(base_url, "models")
        response = await _get_models(client, url, _headers(api_key, "application/json"), timeout)
        return _model_ids(response.content)
    except UpstreamFailure as failure:
        raise UpstreamFailure(_redacted(failure.error, api_key)) from None


async def _get_models(
    client: httpx.AsyncClient, url: str, headers: dict[str, str], seconds: float
) -> httpx.Response:
    try:
        async with asyncio.timeout(seconds):
            response = await client.get(url, headers=headers, timeout=seconds)
    except TimeoutError:
        raise UpstreamFailure(
            UpstreamError("timeout_first_byte", f"No model list within {_seconds(seconds)}.")
        ) from None
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        raise UpstreamFailure(_transport_error(exc, url, Timeouts(connect=seconds))) from None
    if response.is_redirect:
        raise UpstreamFailure(_redirect_error(response))
    if not response.is_success:
        raise UpstreamFailure(_http_error(response, response.content[:ERROR_BODY_LIMIT]))
    return response


def _model_ids(raw: bytes) -> list[str]:
    try:
        items = json.loads(raw)["data"]
        ids = {item.get("id") for item in items if isinstance(item, dict)}
        return sorted(model for model in ids if isinstance(model, str) and model)
    except (ValueError, KeyError, TypeError):  # not JSON, no "data", or not a list
        error = _malformed("a model list without data[].id", raw.decode("utf-8", "replace"))
        raise UpstreamFailure(error) from None


def _clean_key(api_key: str | None) -> str | None:
    # Keys pasted into a form or an env file often bring a newline along.
    api_key = api_key.strip() if api_key else None
    if api_key and not (api_key.isascii() and api_key.isprintable()):
        raise UpstreamFailure(
            UpstreamError(
                "connection",
                "The API key has characters that cannot be sent in an HTTP header; "
                "check it for stray spaces, quotes or non-ASCII letters.",
            )
        )
    return api_key or None


def _endpoint(base_url: str, path: str) -> str:
    return f"{base_url.rstrip('/')}/{path}"


def _headers(api_key: str | None, accept: str) -> dict[str, str]:
    headers = {"Accept": accept}
    if api_key:
        headers["Authorization"] = f"Bearer {api_key}"
    return headers


def _redacted(error: UpstreamError, api_key: str | None) -> UpstreamError:
    """The error with the API key blanked out wherever the upstream may have echoed it."""
    if not api_key:
        return error
    changes = {
        field.name: value.replace(api_key, REDACTED)
        for field in dataclasses.fields(error)
        if isinstance(value := getattr(error, field.name), str)
    }
    return dataclasses.replace(error, **changes)


async def _exchange(
    client: httpx.AsyncClient,
    url: str,
    headers: dict[str, str],
    body: dict[str, Any],
    timeouts: Timeouts,
) -> AsyncIterator[Event]:
    """One request and its response; problems are raised as UpstreamFailure."""
    deadline = asyncio.get_running_loop().time() + timeouts.first_byte
    async with contextlib.AsyncExitStack() as stack:
        response = await _open(stack, client, url, headers, body, timeouts, deadline)
        reader = _BodyReader(response, deadline, timeouts)
        stack.push_async_callback(reader.aclose)
        if response.is_redirect:
            raise UpstreamFailure(_redirect_error(response))
        if not response.is_success:
            raise UpstreamFailure(_http_error(response, await reader.read_error_body()))
        if body.get("stream") and not _is_json(response):
            async with contextlib.aclosing(_sse_events(reader)) as events:
                async for event in events:
                    yield event
            return
        for event in _json_events(await reader.read_all()):
            if isinstance(event, UpstreamError):
                raise UpstreamFailure(event)
            yield event


async def _open(
    stack: contextlib.AsyncExitStack,
    client: httpx.AsyncClient,
    url: str,
    headers: dict[str, str],
    body: dict[str, Any],
    timeouts: Timeouts,
    deadline: float,
) -> httpx.Response:
    """Send the request and wait for the response headers, within the first-byte deadline."""
    # httpx's read timeout is per socket read and cannot tell "no first token" from
    # "stalled mid-stream", so reads are timed by asyncio below and httpx only times
    # connecting, writing the (small) body and waiting for a pooled connection.
    request_timeout = httpx.Timeout(
        connect=timeouts.connect, read=None, write=timeouts.chunk, pool=timeouts.connect
    )
    try:
        async with asyncio.timeout_at(deadline):
            return await stack.enter_async_context(
                client.stream("POST", url, json=body, headers=headers, timeout=request_timeout)
            )
    except TimeoutError:
        raise UpstreamFailure(_first_byte_timeout(timeouts)) from None
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        raise UpstreamFailure(_transport_error(exc, url, timeouts)) from None


class _BodyReader:
    """Reads a response body piece by piece under two clocks: the first piece must arrive
    before the first-byte deadline, every later piece within `timeouts.chunk` of the one
    before. Time the caller spends between reads is not counted."""

    def __init__(self, response: httpx.Response, deadline: float, timeouts: Timeouts) -> None:
        # aiter_bytes undoes any Content-Encoding and yields pieces as they arrive.
        self._pieces = cast(AsyncGenerator[bytes, None], response.aiter_bytes())
        self._deadline = deadline
        self._timeouts = timeouts
        self.started = False
        self.dropped = False

    async def next(self) -> bytes | None:
        """The next piece, or None at the end of the body or when the connection dropped."""
        if self.dropped:
            return None
        if self.started:
            clock = asyncio.timeout(self._timeouts.chunk)
        else:
            clock = asyncio.timeout_at(self._deadline)
        try:
            async with clock:
                piece = await anext(self._pieces)
        except StopAsyncIteration:
            return None
        except TimeoutError:
            if self.started:
                message = (
                    f"The stream stalled: nothing arrived for {_seconds(self._timeouts.chunk)}."
                )
                raise UpstreamFailure(UpstreamError("timeout_chunk", message)) from None
            raise UpstreamFailure(_first_byte_timeout(self._timeouts)) from None
        except httpx.DecodingError:
            message = "The upstream sent a body that could not be decoded (Content-Encoding)."
            raise UpstreamFailure(UpstreamError("malformed", message)) from None
        except httpx.TransportError:
            self.dropped = True  # whether that is an error depends on what came before
            return None
        self.started = True
        return piece

    async def read_all(self) -> bytes:
        pieces = []
        while (piece := await self.next()) is not None:
            pieces.append(piece)
        if self.dropped:
            message = "The connection dropped before the whole response arrived."
            raise UpstreamFailure(UpstreamError("connection", message))
        return b"".join(pieces)

    async def read_error_body(self) -> bytes:
        """As much of an error body as arrives, up to ERROR_BODY_LIMIT; the status code is
        the real news, so a slow or broken error body is not an error of its own."""
        pieces, size = [], 0
        with contextlib.suppress(UpstreamFailure):
            while size < ERROR_BODY_LIMIT and (piece := await self.next()) is not None:
                pieces.append(piece)
                size += len(piece)
        return b"".join(pieces)[:ERROR_BODY_LIMIT]

    async def aclose(self) -> None:
        await self._pieces.aclose()


class _Progress:
    """Which choices have started and finished, to tell a complete stream that merely
    lacks `[DONE]` from one cut off halfway."""

    def __init__(self) -> None:
        self.seen: set[int] = set()
        self.finished: set[int] = set()

    def note(self, event: Event) -> None:
        if isinstance(event, ReasoningDelta | ContentDelta | ToolCallDelta | Finish):
            self.seen.add(event.index)
        if isinstance(event, Finish):
            self.finished.add(event.index)

    @property
    def complete(self) -> bool:
        return bool(self.finished) and self.seen <= self.finished


async def _sse_events(reader: _BodyReader) -> AsyncIterator[Event]:
    parser, progress = SSEParser(), _Progress()
    while True:
        piece = await reader.next()
        batch = parser.feed(piece) if piece is not None else parser.close()
        for sse in batch:
            if is_done(sse):
                return
            for event in events_from_sse(sse):
                if isinstance(event, UpstreamError):
                    raise UpstreamFailure(event)
                progress.note(event)
                yield event
        if piece is None:
            break
    if not progress.complete:
        raise UpstreamFailure(_dropped_error(reader.dropped, progress))


def _dropped_error(dropped: bool, progress: _Progress) -> UpstreamError:
    if not progress.seen and not dropped:
        return UpstreamError("connection", "The upstream closed the stream without an answer.")
    if dropped:
        return UpstreamError("connection", "The connection dropped mid-stream.")
    return UpstreamError(
        "connection",
        "The connection dropped mid-stream: the stream ended before the answer was finished.",
    )


def _json_events(raw: bytes) -> list[Event]:
    try:
        payload = json.loads(raw)
    except ValueError:
        return [_malformed("a response that is not JSON", raw.decode("utf-8", "replace"))]
    if not isinstance(payload, dict):
        return [_malformed("JSON that is not a chat completion", json.dumps(payload))]
    return events_from_completion(payload)


def _is_json(response: httpx.Response) -> bool:
    # Some servers ignore "stream": true, or answer an error as JSON with a 200.
    return response.headers.get("content-type", "").startswith("application/json")


def _first_byte_timeout(timeouts: Timeouts) -> UpstreamError:
    return UpstreamError(
        "timeout_first_byte", f"No first token within {_seconds(timeouts.first_byte)}."
    )


def _redirect_error(response: httpx.Response) -> UpstreamError:
    location = response.headers.get("location", "elsewhere")
    return UpstreamError(
        "redirect",
        f"The upstream redirected ({response.status_code}) to {location}; redirects are not "
        "followed. Check the base URL (it usually ends with /v1).",
        status=response.status_code,
    )


def _http_error(response: httpx.Response, raw: bytes) -> UpstreamError:
    text = raw.decode("utf-8", "replace")
    try:
        fields = _error_fields(json.loads(text))
    except ValueError:
        fields = {"message": _snippet(text)}
    if not fields["message"]:
        fields["message"] = response.reason_phrase or "no details"
    return UpstreamError(
        "http",
        status=response.status_code,
        retry_after=_retry_after(response.headers.get("retry-after")),
        **fields,
    )


def _retry_after(value: str | None) -> float | None:
    """Retry-After is either delay-seconds or an HTTP date (RFC 9110 section 10.2.3)."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - datetime.now(UTC)).total_seconds()
    return max(seconds, 0.0) if math.isfinite(seconds) else None


def _transport_error(
    exc: httpx.HTTPError | httpx.InvalidURL, url: str, timeouts: Timeouts
) -> UpstreamError:
    where = _host(url)
    reason = str(exc) or type(exc).__name__
    if isinstance(exc, httpx.ConnectTimeout):
        message = f"Could not connect to {where} within {_seconds(timeouts.connect)}."
        return UpstreamError("timeout_connect", message)
    if isinstance(exc, httpx.PoolTimeout):
        message = (
            f"No free connection to {where} within {_seconds(timeouts.connect)}: "
            "too many requests at once."
        )
        return UpstreamError("timeout_connect", message)
    if isinstance(exc, httpx.ReadTimeout):
        return _first_byte_timeout(timeouts)
    if isinstance(exc, httpx.ConnectError):
        return UpstreamError("connection", f"Could not connect to {where}: {reason}.")
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL):
        return UpstreamError("connection", f"The base URL cannot be used: {reason}.")
    return UpstreamError(
        "connection", f"The connection to {where} failed before an answer arrived: {reason}."
    )


def _host(url: str) -> str:
    """host[:port] only: a URL may carry credentials in its user-info part."""
    try:
        parts = urlsplit(url)
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "the upstream"
    return f"{parts.hostname}{port}" if parts.hostname else "the upstream"
