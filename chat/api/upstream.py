"""The one module that talks to the upstream chat-completions API.

Everything else in the project calls `stream_chat` (and `list_models`) and receives
the typed events of `events.py`; nothing else knows about HTTP. This module is pure in
the project's sense: no Django, no database. Its only I/O is the HTTP exchange itself,
through an `httpx.AsyncClient` the caller owns.

The exchange (OpenAI-compatible, as Moonshot's kimi-k2-thinking speaks it): a
`POST {base}/chat/completions` answered, when `"stream": true`, by server-sent events
(parsed by `sse.py`) carrying `chat.completion.chunk` objects, then `data: [DONE]`.
Reads are timed here (connect, first byte, silence between chunks), and the API key
is sent only as a header and blanked out of every error.

Failures are values, not exceptions: `stream_chat` ends with one `UpstreamError`
(`failures.py`) whose `describe()` is a sentence a person can act on.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
from collections.abc import AsyncGenerator
from dataclasses import dataclass
from typing import Any, cast

import httpx

from chat.api.events import (
    ContentDelta,
    Event,
    Finish,
    ReasoningDelta,
    RefusalDelta,
    Retrying,
    ToolCallDelta,
    events_from_json,
    events_from_sse,
    is_done,
)
from chat.api.failures import (
    UpstreamError,
    UpstreamFailure,
    chunk_timeout,
    first_byte_timeout,
    format_seconds,
    http_error,
    redirect_error,
    transport_error,
)
from chat.api.mending import EventMender
from chat.api.sse import SSEParser

logger = logging.getLogger(__name__)

# An error page is read this far and no further: we only quote a snippet of it.
ERROR_BODY_LIMIT = 64 * 1024
REDACTED = "[redacted]"


@dataclass(frozen=True)
class Timeouts:
    """Seconds. `first_byte` runs from sending the request until the first byte of the
    body; `chunk` is the longest silence allowed between two pieces of the body after it."""

    connect: float = 10.0
    first_byte: float = 120.0
    chunk: float = 60.0


DEFAULT_TIMEOUTS = Timeouts()
# Connections a client opens when its caller names no number (one-off clients: a models
# list, a provider check); the streaming clients are sized by the server's setting.
CONNECTIONS = 100


def limits(connections: int = CONNECTIONS) -> httpx.Limits:
    """Up to `connections` at once, a fifth of them kept open between requests."""
    return httpx.Limits(
        max_connections=connections,
        max_keepalive_connections=max(20, connections // 5),
        keepalive_expiry=30,
    )


# Failures worth a second try: the upstream is busy or briefly broken, or unreachable.
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
RETRY_KINDS = frozenset({"connection", "timeout_connect"})


@dataclass(frozen=True)
class Retries:
    """How often a request is sent when it fails before any answer arrived. The wait
    doubles from `base_delay`; a Retry-After from the upstream replaces it; both are
    capped at `max_delay` seconds."""

    attempts: int = 1
    base_delay: float = 1.0
    max_delay: float = 30.0

    def delay(self, attempt: int, retry_after: float | None) -> float:
        """Seconds to wait after failed attempt number `attempt` (from 1).

        >>> Retries(3).delay(1, None), Retries(3).delay(2, None), Retries(3).delay(1, 90)
        (1.0, 2.0, 30.0)
        """
        wanted = retry_after if retry_after is not None else self.base_delay * 2 ** (attempt - 1)
        return min(max(wanted, 0.0), self.max_delay)


NO_RETRIES = Retries()


def is_retryable(error: UpstreamError) -> bool:
    if error.kind == "http":
        return error.status in RETRY_STATUSES
    return error.kind in RETRY_KINDS


def make_client(
    transport: httpx.AsyncBaseTransport | None = None, connections: int = CONNECTIONS
) -> httpx.AsyncClient:
    """A client for the upstream. Redirects are not followed: a POST silently turned into
    a GET elsewhere hides a wrong base URL. No default timeout: each request sets its own.
    `transport` replaces httpx's own (people's providers connect through one that pins
    the checked address: chat.providers.pinning); it is built with the same limits."""
    return httpx.AsyncClient(
        follow_redirects=False,
        timeout=None,  # noqa: S113 - every request passes its own Timeouts
        limits=limits(connections),
        transport=transport,
        headers={"User-Agent": "reasoning-playground"},
    )


async def stream_chat(
    client: httpx.AsyncClient,
    base_url: str,
    api_key: str | None,
    body: dict[str, Any],
    timeouts: Timeouts = DEFAULT_TIMEOUTS,
    retries: Retries = NO_RETRIES,
) -> AsyncGenerator[Event, None]:
    """POST `{base_url}/chat/completions` and yield typed events.

    Never raises for an upstream problem: the last event is then one UpstreamError. A
    caller that stops early should close the iterator (`contextlib.aclosing`) or cancel
    its task; either closes the HTTP response at once. CancelledError is re-raised.

    A 429, a 5xx or a failed connection is retried as `retries` says, with a Retrying
    event before each wait, but only while no event of the answer has been yielded:
    once output started, a retry would show its text twice. All text is storable
    (`mending.py`): a surrogate pair split across chunks is joined.
    """
    for attempt in range(1, max(retries.attempts, 1) + 1):
        started = False
        mender = EventMender()
        try:
            api_key = _clean_key(api_key)
            url = _endpoint(base_url, "chat/completions")
            accept = "text/event-stream" if body.get("stream") else "application/json"
            exchange = _exchange(client, url, _headers(api_key, accept), body, timeouts)
            async with contextlib.aclosing(exchange) as events:
                async for event in events:
                    for mended in mender.feed(event):
                        started = True
                        yield mended
            for held in mender.close():
                yield held
            return
        except UpstreamFailure as failure:
            for held in mender.close():
                started = True
                yield held
            error = _redacted(failure.error, api_key)
            logger.info("upstream error (attempt %s): %s", attempt, error.describe())
            if started or attempt >= retries.attempts or not is_retryable(error):
                yield mender.feed(error)[-1]
                return
            seconds = retries.delay(attempt, error.retry_after)
            yield Retrying(attempt, retries.attempts, seconds, error.describe())
            await asyncio.sleep(seconds)


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
            UpstreamError("timeout_first_byte", f"No model list within {format_seconds(seconds)}.")
        ) from None
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        raise _transport_failure(exc, url, Timeouts(connect=seconds)) from None
    if response.is_redirect:
        raise UpstreamFailure(redirect_error(response))
    if not response.is_success:
        raise UpstreamFailure(http_error(response, response.content[:ERROR_BODY_LIMIT]))
    return response


def _model_ids(raw: bytes) -> list[str]:
    try:
        items = json.loads(raw)["data"]
        ids = {item.get("id") for item in items if isinstance(item, dict)}
        return sorted(model for model in ids if isinstance(model, str) and model)
    except (ValueError, KeyError, TypeError):  # not JSON, no "data", or not a list
        # Not quoted: whatever answered is not a model list, and may be anything at all.
        message = (
            "The upstream's /models answer is not a model list (no data[].id): "
            "check the base URL (it usually ends with /v1)."
        )
        raise UpstreamFailure(UpstreamError("malformed", message)) from None


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

    def blank(text: str) -> str:
        return text.replace(api_key, REDACTED)

    # kind is always one of ours; every other text field may quote the upstream.
    return dataclasses.replace(
        error,
        message=blank(error.message),
        type=error.type and blank(error.type),
        code=error.code and blank(error.code),
        param=error.param and blank(error.param),
    )


async def _exchange(
    client: httpx.AsyncClient,
    url: str,
    headers: dict[str, str],
    body: dict[str, Any],
    timeouts: Timeouts,
) -> AsyncGenerator[Event, None]:
    """One request and its response; problems are raised as UpstreamFailure."""
    deadline = asyncio.get_running_loop().time() + timeouts.first_byte
    async with contextlib.AsyncExitStack() as stack:
        response = await _open(stack, client, url, headers, body, timeouts, deadline)
        reader = _BodyReader(response, deadline, timeouts)
        stack.push_async_callback(reader.aclose)
        if response.is_redirect:
            raise UpstreamFailure(redirect_error(response))
        if not response.is_success:
            raise UpstreamFailure(http_error(response, await reader.read_error_body()))
        if body.get("stream") and not _is_json(response):
            async with contextlib.aclosing(_sse_events(reader)) as events:
                async for event in events:
                    yield event
            return
        for event in events_from_json(await reader.read_all()):
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
        raise UpstreamFailure(first_byte_timeout(timeouts.first_byte)) from None
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        raise _transport_failure(exc, url, timeouts) from None


def _transport_failure(
    exc: httpx.HTTPError | httpx.InvalidURL, url: str, timeouts: Timeouts
) -> UpstreamFailure:
    error = transport_error(exc, url, connect=timeouts.connect, first_byte=timeouts.first_byte)
    return UpstreamFailure(error)


class _BodyReader:
    """Reads a response body piece by piece under two clocks: the first piece must arrive
    before the first-byte deadline, every later piece within `timeouts.chunk` of the one
    before. Time the caller spends between reads is not counted."""

    def __init__(self, response: httpx.Response, deadline: float, timeouts: Timeouts) -> None:
        # aiter_bytes undoes any Content-Encoding and yields pieces as they arrive. httpx
        # types it as an iterator; it is a generator, and closing it is what we need.
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
                raise UpstreamFailure(chunk_timeout(self._timeouts.chunk)) from None
            raise UpstreamFailure(first_byte_timeout(self._timeouts.first_byte)) from None
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
        if isinstance(event, ReasoningDelta | ContentDelta | RefusalDelta | ToolCallDelta | Finish):
            self.seen.add(event.index)
        if isinstance(event, Finish):
            self.finished.add(event.index)

    @property
    def complete(self) -> bool:
        return bool(self.finished) and self.seen <= self.finished


async def _sse_events(reader: _BodyReader) -> AsyncGenerator[Event, None]:
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


def _is_json(response: httpx.Response) -> bool:
    # Some servers ignore "stream": true, or answer an error as JSON with a 200.
    content_type: str = response.headers.get("content-type", "")
    return content_type.startswith("application/json")
