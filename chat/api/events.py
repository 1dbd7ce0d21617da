"""The typed events of a chat completion, and how the wire format becomes them.

The client (`upstream.py`) yields these per choice: reasoning and answer text, tool-call
fragments, the finish reason, token usage, and at most one `UpstreamError`, always
last. A streamed answer arrives as `chat.completion.chunk` objects in SSE events
(`reasoning_content` deltas first, then `content`, then a chunk with `finish_reason`,
Moonshot putting `usage` inside that choice); a whole answer (`stream: false`) as one
`chat.completion`. Both give the same events.

Pure: no Django, no I/O.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, TypeAlias

from chat.api.failures import UpstreamError, malformed, stream_error
from chat.api.sse import SSEEvent


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
class RefusalDelta:
    """A piece of a refusal (`refusal`, OpenAI's field for a declined request, sent while
    `content` stays null) for choice `index`: shown apart from the answer, marked as one."""

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
    None when it came at the top level of a chunk (OpenAI style). `extra` holds what else
    the usage object carried, as sent (OpenRouter's `cost`, details not read here): kept
    with the message, never shown."""

    prompt_tokens: int | None
    completion_tokens: int | None
    total_tokens: int | None
    cached_tokens: int | None
    reasoning_tokens: int | None
    index: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Retrying:
    """The request failed before any answer arrived and is sent again after `seconds`.
    `reason` is the failure in words (UpstreamError.describe)."""

    attempt: int
    attempts: int
    seconds: float
    reason: str


Event: TypeAlias = (
    ReasoningDelta
    | ContentDelta
    | RefusalDelta
    | ToolCallDelta
    | Finish
    | Usage
    | Retrying
    | UpstreamError
)


# --- chunks -> events ----------------------------------------------------------------


def is_done(event: SSEEvent) -> bool:
    """True for the `data: [DONE]` sentinel that ends an OpenAI-style stream."""
    return event.data.strip() == "[DONE]"


def events_from_sse(event: SSEEvent) -> list[Event]:
    """One SSE event -> typed events, in the order a reader wants them.

    >>> events_from_sse(SSEEvent(None, '{"choices": [{"index": 0, '
    ...     '"delta": {"reasoning_content": "Hm."}, "finish_reason": null}]}', None))
    [ReasoningDelta(index=0, text='Hm.')]
    >>> events_from_sse(SSEEvent(None, "[DONE]", None))
    []

    Per choice: reasoning (`reasoning_content`, or `reasoning` as some gateways name
    it), content, refusal, tool-call fragments, choice-level usage, then Finish. Top-level usage
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
            return [stream_error(event.data)]
        return [malformed("a chunk that is not JSON", event.data)]
    if event.event == "error" or (isinstance(payload, dict) and payload.get("error")):
        return [stream_error(payload)]
    if not isinstance(payload, dict) or not (
        isinstance(payload.get("choices"), list) or isinstance(payload.get("usage"), dict)
    ):
        return [malformed("JSON that is not a chat-completion chunk", event.data)]
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
        return [stream_error(body)]
    if not isinstance(body.get("choices"), list):
        return [malformed("JSON that is not a chat completion", json.dumps(body))]
    events: list[Event] = []
    for position, choice in enumerate(body["choices"]):
        if isinstance(choice, dict):
            events.extend(_choice_events(choice, position, choice.get("message")))
    if isinstance(body.get("usage"), dict):
        events.append(_usage(body["usage"], None))
    return events


def events_from_json(raw: bytes) -> list[Event]:
    """`stream: false`, or a server that ignored `stream: true`: the body as bytes."""
    try:
        payload = json.loads(raw)
    except ValueError:
        return [malformed("a response that is not JSON", raw.decode("utf-8", "replace"))]
    if not isinstance(payload, dict):
        return [malformed("JSON that is not a chat completion", json.dumps(payload))]
    return events_from_completion(payload)


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
    refusal = delta.get("refusal")
    if isinstance(refusal, str) and refusal:
        events.append(RefusalDelta(index, refusal))
    for call_position, call in enumerate(delta.get("tool_calls") or []):
        if isinstance(call, dict):
            events.append(_tool_call_delta(index, call_position, call))
    if isinstance(choice.get("usage"), dict):
        events.append(_usage(choice["usage"], index))
    if choice.get("finish_reason"):
        events.append(Finish(index, str(choice["finish_reason"])))
    return events


def _tool_call_delta(index: int, position: int, call: dict[str, Any]) -> ToolCallDelta:
    raw_function = call.get("function")
    function: dict[str, Any] = raw_function if isinstance(raw_function, dict) else {}
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


# The usage fields read into Usage's counts; the details objects are read in part.
_COUNTS = ("prompt_tokens", "completion_tokens", "total_tokens", "cached_tokens")
_DETAILS = {
    "prompt_tokens_details": "cached_tokens",
    "completion_tokens_details": "reasoning_tokens",
}


def _usage(raw: dict[str, Any], index: int | None) -> Usage:
    """Usage from a usage object; what it holds beyond the counts goes to `extra`.

    >>> _usage({"prompt_tokens": 5, "cost": 0.002}, None).extra
    {'cost': 0.002}
    """
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
        extra=_usage_extra(raw),
    )


def _usage_extra(raw: dict[str, Any]) -> dict[str, Any]:
    """The usage fields not read into counts, as sent; of a details object, its other keys."""
    extra: dict[str, Any] = {}
    for key, value in raw.items():
        if key in _COUNTS:
            continue
        if key in _DETAILS and isinstance(value, dict):
            value = {k: v for k, v in value.items() if k != _DETAILS[key]}
            if not value:
                continue
        extra[key] = value
    return extra


def _as_int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


# --- tool calls ----------------------------------------------------------------------


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
