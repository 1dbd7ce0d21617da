"""The simulator as a plain ASGI application; `make_app` builds one.

Routes (under the app's prefix)
-------------------------------
    GET    /v1/models             the served models
    POST   /v1/chat/completions   a completion, streamed (SSE) or whole
    GET    /_sim/requests         only with record=True: the last 200 bodies received, newest last
    DELETE /_sim/requests         only with record=True: forget them

Any Authorization header is accepted, unless the app was made with a `gate`
(chat.simulator.access): then a request the gate does not admit gets 404, as an
unknown path does. Bodies over 20 MB get 413. Invalid requests get
the API's 400: {"error": {"message", "type": "invalid_request_error", "param", "code"}}.
A marker or X-Sim header asking for an HTTP fault gets that fault before the body is
validated (see chat.simulator.options).

Completions are written in a worker thread, never on the event loop: a long one
(several choices of thousands of tokens) must not hold up every other request the
server is serving meanwhile.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import json
import time
import uuid
from collections import OrderedDict, deque
from collections.abc import Mapping, Sequence
from typing import Any

from chat.api.params import DEFAULT_MODELS
from chat.api.rules import validate_body
from chat.simulator.access import Gate
from chat.simulator.asgi import (
    ClientGone,
    Handler,
    Receive,
    Scope,
    Send,
    headers_of,
    lifespan,
    read_body,
    send_json,
    watch_disconnect,
)
from chat.simulator.completion import Completion, generate
from chat.simulator.delivery import Pace, send_stream, send_whole
from chat.simulator.options import (
    HTTP_FAULTS,
    RETRY_AFTER_SECONDS,
    SimOptionError,
    SimOptions,
    parse_options,
)
from chat.simulator.wire import completion_object, error_body, stream_rounds

MAX_BODY_BYTES = 20 * 1024 * 1024
RECORD_LIMIT = 200
# Bodies whose faults are counted (times=N); the oldest are forgotten first.
FAULT_COUNT_LIMIT = 1000
MODEL_CREATED = 1_762_300_800


class Simulator:
    """The ASGI application; `make_app` builds one."""

    def __init__(
        self,
        *,
        prefix: str,
        tokens_per_second: float,
        first_token_delay: float,
        record: bool,
        models: Sequence[str],
        gate: Gate | None,
    ) -> None:
        if not tokens_per_second > 0 or first_token_delay < 0:
            raise ValueError("tokens_per_second must be above 0 and first_token_delay at least 0")
        self.prefix = prefix.rstrip("/")
        self.tokens_per_second = tokens_per_second
        self.first_token_delay = first_token_delay
        self.record = record
        self.models = tuple(models)
        self.gate = gate
        self.recorded: deque[Any] = deque(maxlen=RECORD_LIMIT)
        self.fault_counts: OrderedDict[str, int] = OrderedDict()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await lifespan(receive, send)
        elif scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1000})
        elif scope["type"] == "http":
            await self._http(scope, receive, send)

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope["path"]
        routes = self._routes()
        handlers = routes.get(path[len(self.prefix) :]) if path.startswith(self.prefix) else None
        if self.gate is not None and not self.gate.admits(scope):
            handlers = None
        if handlers is None:
            await send_json(send, 404, error_body(f"No route for {path}", "not_found_error"))
            return
        handler = handlers.get(scope["method"])
        if handler is None:
            allow = ", ".join(handlers)
            message = f"{scope['method']} is not allowed on {path}; use {allow}."
            body = error_body(message, "invalid_request_error")
            await send_json(send, 405, body, [(b"allow", allow.encode())])
            return
        await handler(scope, receive, send)

    def _routes(self) -> dict[str, dict[str, Handler]]:
        routes: dict[str, dict[str, Handler]] = {
            "/v1/models": {"GET": self._models},
            "/v1/chat/completions": {"POST": self._chat_completions},
        }
        if self.record:
            routes["/_sim/requests"] = {"GET": self._recorded, "DELETE": self._forget}
        return routes

    async def _models(self, scope: Scope, receive: Receive, send: Send) -> None:
        data = [
            {"id": model, "object": "model", "created": MODEL_CREATED, "owned_by": "simulator"}
            for model in self.models
        ]
        await send_json(send, 200, {"object": "list", "data": data})

    async def _recorded(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send_json(send, 200, list(self.recorded))

    async def _forget(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.recorded.clear()
        await send_json(send, 200, [])

    async def _chat_completions(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            raw = await read_body(scope, receive, MAX_BODY_BYTES)
        except ClientGone:
            return
        if raw is None:
            message = f"The request body is over {MAX_BODY_BYTES // (1024 * 1024)} MB."
            await send_json(send, 413, error_body(message, "invalid_request_error"))
            return
        body = _parse_json(raw)
        if self.record:
            self.recorded.append(body if body is not None else raw.decode("utf-8", "replace"))
        try:
            options = parse_options(body if isinstance(body, Mapping) else {}, headers_of(scope))
        except SimOptionError as exc:
            await _send_invalid(send, str(exc), exc.param)
            return
        options = self._counted(options, raw)
        if options.fault in HTTP_FAULTS:
            await _send_fault(send, options.fault)
            return
        request = self._valid_request(body)
        if isinstance(request, tuple):
            await _send_invalid(send, *request)
            return
        await self._answer(scope, receive, send, request, options)

    def _counted(self, options: SimOptions, raw: bytes) -> SimOptions:
        """Without its fault once `times` requests with this same body had it: a retry
        sends the same body again, so it is answered."""
        if options.fault is None or options.fault_times is None:
            return options
        key = hashlib.sha256(raw).hexdigest()
        count = self.fault_counts.pop(key, 0) + 1
        self.fault_counts[key] = count
        while len(self.fault_counts) > FAULT_COUNT_LIMIT:
            self.fault_counts.popitem(last=False)
        return options if count <= options.fault_times else dataclasses.replace(options, fault=None)

    def _valid_request(self, body: object) -> Mapping[str, Any] | tuple[str, str]:
        """The body when the API would take it, else (message, param) of its first problem."""
        if body is None:
            return "The request body is not valid JSON.", "body"
        if not isinstance(body, Mapping):
            return "The request body must be a JSON object.", "body"
        errors = validate_body(body)
        if errors:
            param, message = next(iter(errors.items()))
            return message, param
        if body["model"] not in self.models:
            served = ", ".join(self.models)
            return f"Unknown model {body['model']!r}; this server has {served}.", "model"
        return body

    async def _answer(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        body: Mapping[str, Any],
        options: SimOptions,
    ) -> None:
        gone = asyncio.Event()
        watcher = asyncio.create_task(watch_disconnect(receive, gone))
        pace = self._pace(options, gone)
        try:
            if options.fault == "slow-start" and await pace.wait(options.slow_start):
                return
            if body.get("stream"):
                rounds = await asyncio.to_thread(_written_rounds, body, options)
                await send_stream(scope, send, rounds, options.fault, pace)
            else:
                answer, ticks = await asyncio.to_thread(_written_answer, body, options)
                await send_whole(scope, send, answer, options.fault, pace, ticks)
        finally:
            watcher.cancel()

    def _pace(self, options: SimOptions, gone: asyncio.Event) -> Pace:
        delay = options.first_token_delay
        return Pace(
            options.tokens_per_second or self.tokens_per_second,
            self.first_token_delay if delay is None else delay,
            gone,
        )


def _written_rounds(body: Mapping[str, Any], options: SimOptions) -> list[list[dict[str, Any]]]:
    """The streamed answer's rounds of chunks (in a worker thread: it may be long)."""
    completion = generate(body, options)
    include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
    return list(stream_rounds(completion, *_identity(), include_usage=include_usage))


def _written_answer(body: Mapping[str, Any], options: SimOptions) -> tuple[bytes, int]:
    """The whole answer's JSON, and how many ticks streaming it would take (in a worker thread)."""
    completion: Completion = generate(body, options)
    ticks = max(c.completion_tokens for c in completion.choices)
    answer = completion_object(completion, *_identity())
    return json.dumps(answer, ensure_ascii=False).encode(), ticks


def _identity() -> tuple[str, int]:
    """A new completion's id and creation time."""
    return f"cmpl-{uuid.uuid4().hex}", int(time.time())


def _parse_json(raw: bytes) -> object:
    try:
        return json.loads(raw)
    except ValueError:  # UnicodeDecodeError is a ValueError too
        return None


async def _send_invalid(send: Send, message: str, param: str) -> None:
    await send_json(send, 400, error_body(message, "invalid_request_error", param, "invalid_value"))


async def _send_fault(send: Send, fault: str) -> None:
    status, type_, message = HTTP_FAULTS[fault]
    headers = [(b"retry-after", str(RETRY_AFTER_SECONDS).encode())] if status == 429 else []
    await send_json(
        send, status, error_body(message, type_, code=type_.removesuffix("_error")), headers
    )


def make_app(
    *,
    prefix: str = "",
    tokens_per_second: float = 40.0,
    first_token_delay: float = 0.3,
    record: bool = False,
    models: Sequence[str] = DEFAULT_MODELS,
    gate: Gate | None = None,
) -> Simulator:
    """The simulator as an ASGI app serving `{prefix}/v1/...`."""
    return Simulator(
        prefix=prefix,
        tokens_per_second=tokens_per_second,
        first_token_delay=first_token_delay,
        record=record,
        models=models,
        gate=gate,
    )
