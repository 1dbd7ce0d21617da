"""Chunks and completions become typed events (chat/api/events.py)."""

from __future__ import annotations

import doctest
import json

import pytest

import chat.api.events
from chat.api.events import (
    ContentDelta,
    Finish,
    ReasoningDelta,
    RefusalDelta,
    ToolCallAssembler,
    ToolCallDelta,
    Usage,
    events_from_completion,
    events_from_sse,
    is_done,
)
from chat.api.failures import UpstreamError
from chat.api.sse import SSEEvent
from tests.api.samples import EXAMPLE_COMPLETION, chunk, sse_event


def test_the_docstring_examples_hold() -> None:
    assert doctest.testmod(chat.api.events).failed == 0


def test_done_is_recognised() -> None:
    assert is_done(sse_event("[DONE]"))
    assert is_done(sse_event(" [DONE] "))
    assert not is_done(sse_event('{"choices": []}'))


def _sse(payload: object) -> SSEEvent:
    return sse_event(json.dumps(payload))


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        pytest.param(
            chunk(reasoning_content="Let me think"),
            [ReasoningDelta(0, "Let me think")],
            id="reasoning_content",
        ),
        pytest.param(chunk(reasoning="Hmm"), [ReasoningDelta(0, "Hmm")], id="reasoning"),
        pytest.param(chunk(role="assistant", content=""), [], id="empty first delta"),
        pytest.param(chunk(content="Hi"), [ContentDelta(0, "Hi")], id="content"),
        pytest.param(
            chunk(refusal="I can't help with that."),
            [RefusalDelta(0, "I can't help with that.")],
            id="refusal while content stays null",
        ),
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
def test_chunks_become_typed_events(payload: object, expected: list) -> None:
    events = events_from_sse(_sse(payload))
    if expected == ["malformed"]:
        assert [event.kind for event in events] == ["malformed"]  # type: ignore[union-attr]
    else:
        assert events == expected


def test_done_gives_no_events() -> None:
    assert events_from_sse(sse_event("[DONE]")) == []


def test_a_data_line_that_is_not_json_is_malformed() -> None:
    [error] = events_from_sse(sse_event("{not json"))
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
    [error] = events_from_sse(sse_event(data, event="error"))
    assert isinstance(error, UpstreamError)
    assert (error.kind, error.message) == ("stream", message)


def test_named_vendor_events_are_ignored() -> None:
    assert events_from_sse(sse_event("{}", event="ping")) == []


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
            payload = {"choices": [{"index": choice, "delta": {"tool_calls": [fragment]}}]}
            deltas += events_from_sse(_sse(payload))
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


def test_a_whole_completion_gives_the_same_events() -> None:
    assert events_from_completion(EXAMPLE_COMPLETION) == [
        ReasoningDelta(0, 'The user just said "hi". This is a very simple greeting.'),
        ContentDelta(0, "Hi there! How can I help you?"),
        Finish(0, "stop"),
        Usage(8, 292, 300, 8, None),
    ]


def test_a_whole_completion_with_a_refusal_gives_it_as_a_refusal() -> None:
    body = {
        "choices": [
            {
                "index": 0,
                "finish_reason": "stop",
                "message": {"role": "assistant", "content": None, "refusal": "No."},
            }
        ]
    }
    assert events_from_completion(body) == [RefusalDelta(0, "No."), Finish(0, "stop")]


def test_an_error_after_a_finish_chunk_still_arrives_as_an_error() -> None:
    # Some gateways send finish_reason, then an error chunk at HTTP 200, then [DONE].
    finish = {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
    error = {"error": {"message": "quota exceeded mid-answer", "type": "server_error"}}
    events = [*events_from_sse(_sse(finish)), *events_from_sse(_sse(error))]
    assert events == [
        Finish(0, "stop"),
        UpstreamError("stream", "quota exceeded mid-answer", type="server_error"),
    ]


def test_choices_beyond_those_asked_for_are_kept_with_their_index() -> None:
    payload = {
        "choices": [
            {"index": 0, "delta": {"content": "a"}},
            {"index": 3, "delta": {"content": "d"}},
        ]
    }
    assert events_from_sse(_sse(payload)) == [ContentDelta(0, "a"), ContentDelta(3, "d")]


def test_usage_fields_beyond_the_counts_are_kept_as_sent() -> None:
    # OpenRouter adds the request's cost; OpenAI details the counts we do not read.
    usage = {
        "prompt_tokens": 8,
        "completion_tokens": 2,
        "total_tokens": 10,
        "cost": 0.00042,
        "is_byok": False,
        "prompt_tokens_details": {"cached_tokens": 3, "audio_tokens": 0},
        "completion_tokens_details": {"reasoning_tokens": 1},
    }
    [parsed] = events_from_sse(_sse({"choices": [], "usage": usage}))
    assert parsed == Usage(
        8,
        2,
        10,
        3,
        1,
        extra={"cost": 0.00042, "is_byok": False, "prompt_tokens_details": {"audio_tokens": 0}},
    )


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
