"""The wire format: a completion as SSE chunks or one JSON body, and the API's errors.

As Moonshot's kimi-k2-thinking streams it: a role chunk, `reasoning_content` deltas,
then `content` deltas, then a chunk with finish_reason and usage inside the choice.
One word and the whitespace after it is one token and one delta. For example:

    data: {"id":"cmpl-…","object":"chat.completion.chunk","created":1762300800,
           "model":"kimi-k2-thinking",
           "choices":[{"index":0,"delta":{"role":"assistant"},"finish_reason":null}]}
    data: {… "choices":[{"index":0,"delta":{"reasoning_content":"The "},…}]}
    …
    data: {… "choices":[{"index":0,"delta":{"content":"### "},…}]}
    …
    data: {… "choices":[{"index":0,"delta":{},"finish_reason":"stop",
                         "usage":{"prompt_tokens":4,"completion_tokens":100,…}}]}
    data: {… "choices":[],"usage":{…}}        (only with stream_options.include_usage)
    data: [DONE]

With n > 1 the choices' chunks interleave round-robin, one round per tick of the
app's pace. Errors are the API's: {"error": {"message", "type", "param", "code"}}.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

from chat.simulator.completion import Choice, Completion

SSE_HEADERS = [
    (b"content-type", b"text/event-stream; charset=utf-8"),
    (b"cache-control", b"no-cache"),
    (b"x-accel-buffering", b"no"),
]
DONE_EVENT = b"data: [DONE]\n\n"
# A chunk cut off inside a string, as a broken proxy might pass it on.
MALFORMED_EVENT = b'data: {"id":"cmpl-broken","choices":[{"delta":{"content":"\n\n'
MID_STREAM_ERROR = {
    "error": {
        "message": "The engine failed mid-generation (simulated)",
        "type": "server_error",
        "param": None,
        "code": "internal_error",
    }
}


def usage_of(completion: Completion, choices: Sequence[Choice] | None = None) -> dict[str, Any]:
    """The usage object for some choices (all by default): prompt counted once."""
    chosen = completion.choices if choices is None else choices
    completion_tokens = sum(c.completion_tokens for c in chosen)
    return {
        "prompt_tokens": completion.prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": completion.prompt_tokens + completion_tokens,
        "prompt_tokens_details": {"cached_tokens": completion.cached_tokens},
        "completion_tokens_details": {"reasoning_tokens": sum(len(c.reasoning) for c in chosen)},
    }


def _deltas(choice: Choice) -> list[dict[str, Any]]:
    deltas: list[dict[str, Any]] = [{"role": "assistant"}]
    deltas += [{"reasoning_content": token} for token in choice.reasoning]
    deltas += [{"content": token} for token in choice.content]
    # As OpenAI sends a refusal: its text in `refusal`, `content` null beside it.
    deltas += [{"content": None, "refusal": token} for token in choice.refusal]
    for number, call in enumerate(choice.tool_calls):  # one after the other, as OpenAI streams
        function = {"name": call.name, "arguments": ""}
        deltas.append(
            {
                "tool_calls": [
                    {"index": number, "id": call.id, "type": "function", "function": function}
                ]
            }
        )
        deltas += [
            {"tool_calls": [{"index": number, "function": {"arguments": fragment}}]}
            for fragment in call.fragments
        ]
    return deltas


def stream_rounds(
    completion: Completion, completion_id: str, created: int, *, include_usage: bool
) -> Iterator[list[dict[str, Any]]]:
    """The stream's chunks in rounds, one chunk per unfinished choice per round.

    A choice's finish chunk (usage inside the choice) comes the round after its last
    delta; the top-level usage chunk, when asked for, is a round of its own.
    """
    head = {
        "id": completion_id,
        "object": "chat.completion.chunk",
        "created": created,
        "model": completion.model,
    }
    deltas = [_deltas(choice) for choice in completion.choices]
    for number in range(max(len(d) for d in deltas) + 1):
        chunks = []
        for choice, choice_deltas in zip(completion.choices, deltas, strict=True):
            if number < len(choice_deltas):
                part = {
                    "index": choice.index,
                    "delta": choice_deltas[number],
                    "finish_reason": None,
                }
            elif number == len(choice_deltas):
                part = {
                    "index": choice.index,
                    "delta": {},
                    "finish_reason": choice.finish_reason,
                    "usage": usage_of(completion, [choice]),
                }
            else:
                continue
            chunks.append({**head, "choices": [part]})
        yield chunks
    if include_usage:
        yield [{**head, "choices": [], "usage": usage_of(completion)}]


def completion_object(completion: Completion, completion_id: str, created: int) -> dict[str, Any]:
    """The `stream: false` answer, shaped like the API reference's example."""
    choices = []
    for choice in completion.choices:
        message: dict[str, Any] = {
            "role": "assistant",
            "content": "".join(choice.content) if not choice.refusal else None,
            "reasoning_content": "".join(choice.reasoning),
        }
        if choice.refusal:
            message["refusal"] = "".join(choice.refusal)
        if choice.tool_calls:
            message["tool_calls"] = [
                {
                    "id": call.id,
                    "type": "function",
                    "function": {"name": call.name, "arguments": call.arguments},
                }
                for call in choice.tool_calls
            ]
        choices.append(
            {"index": choice.index, "message": message, "finish_reason": choice.finish_reason}
        )
    return {
        "id": completion_id,
        "object": "chat.completion",
        "created": created,
        "model": completion.model,
        "choices": choices,
        "usage": usage_of(completion),
    }


def sse(payload: object) -> bytes:
    data = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    return f"data: {data}\n\n".encode()


def error_body(
    message: str, type_: str, param: str | None = None, code: str | None = None
) -> dict[str, Any]:
    return {"error": {"message": message, "type": type_, "param": param, "code": code}}
