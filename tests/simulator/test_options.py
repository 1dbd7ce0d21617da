"""Markers and X-Sim headers: parsed as pure functions, and obeyed over HTTP."""

from __future__ import annotations

import time

import pytest

from chat.simulator.options import SimOptionError, SimOptions, parse_options
from chat.simulator.text import split_tokens
from tests.simulator.client import (
    ask,
    body,
    choice_parts,
    finish,
    post,
    stream,
    texts,
)


@pytest.mark.parametrize(
    ("text", "headers", "expected"),
    [
        ("Hi", {}, SimOptions()),
        ("Hi [[sim:fault=429]]", {}, SimOptions(fault="429")),
        (
            "[[sim:tps=5]] Hi [[sim:delay=1.5]]",
            {},
            SimOptions(tokens_per_second=5, first_token_delay=1.5),
        ),
        (
            "Hi [[sim:reasoning=200,words=500]]",
            {},
            SimOptions(reasoning_tokens=200, answer_tokens=500),
        ),
        ("Hi [[sim:fault=slow-start:0.5]]", {}, SimOptions(fault="slow-start", slow_start=0.5)),
        ("Hi [[sim:refusal=12]]", {}, SimOptions(refusal_tokens=12)),
        ("Hi [[sim:fault=500]]", {"x-sim-fault": "drop"}, SimOptions(fault="drop")),
        (
            "Hi",
            {"x-sim-options": "tps=9; words=3"},
            SimOptions(tokens_per_second=9, answer_tokens=3),
        ),
    ],
)
def test_markers_and_headers_give_options(
    text: str, headers: dict[str, str], expected: SimOptions
) -> None:
    messages = [{"role": "user", "content": text}]
    assert parse_options({"messages": messages}, headers) == expected


@pytest.mark.parametrize(
    ("text", "headers", "param"),
    [
        ("Hi [[sim:fault=404]]", {}, "messages"),
        ("Hi [[sim:tps=0]]", {}, "messages"),
        ("Hi [[sim:words=-1]]", {}, "messages"),
        ("Hi [[sim:fault=drop:2]]", {}, "messages"),
        ("Hi [[sim:refusal=0]]", {}, "messages"),
        ("Hi", {"x-sim-options": "refusal=8001"}, "X-Sim-Options"),
        ("Hi", {"x-sim-options": "speed=2"}, "X-Sim-Options"),
        ("Hi", {"x-sim-fault": "melt"}, "X-Sim-Fault"),
    ],
)
def test_bad_markers_are_refused(text: str, headers: dict[str, str], param: str) -> None:
    with pytest.raises(SimOptionError) as refused:
        parse_options({"messages": [{"role": "user", "content": text}]}, headers)
    assert refused.value.param == param


async def test_markers_set_lengths_and_are_not_echoed(simulator_url: str) -> None:
    events = await stream(simulator_url, ask("Explain quicksort [[sim:reasoning=7,words=15]]"))
    reasoning, content = texts(events)
    assert len(split_tokens(reasoning)) == 7
    assert len(split_tokens(content)) == 15
    assert "sim" not in reasoning + content
    assert texts(await stream(simulator_url, ask("Explain quicksort")))[0][:20] == reasoning[:20]


async def test_a_refusal_marker_streams_a_refusal_while_content_stays_null(
    simulator_url: str,
) -> None:
    events = await stream(simulator_url, ask("Explain quicksort [[sim:refusal=12]]"))
    parts = choice_parts(events)
    refusal = [value for _, key, value in parts if key == "refusal"]
    assert len(refusal) == 12 and "".join(refusal).startswith("I'm sorry, but I can't help")
    assert "sim" not in "".join(refusal)
    assert {value for _, key, value in parts if key == "content"} == {None}
    assert not any(key == "tool_calls" for _, key, _ in parts)
    assert finish(events)["finish_reason"] == "stop"
    reasoning_tokens = sum(1 for _, key, _ in parts if key == "reasoning_content")
    assert finish(events)["usage"]["completion_tokens"] == reasoning_tokens + 12


async def test_a_refusal_without_stream_is_in_the_message(simulator_url: str) -> None:
    response = await post(simulator_url, ask("Explain quicksort [[sim:refusal=5]]"))
    message = response.json()["choices"][0]["message"]
    assert message["content"] is None
    assert len(split_tokens(message["refusal"])) == 5


async def test_options_header_sets_pacing(simulator_url: str) -> None:
    began = time.monotonic()
    headers = {"X-Sim-Options": "delay=0.1, tps=100; reasoning=2 words=3"}
    events = await stream(simulator_url, body(), headers=headers)
    assert time.monotonic() - began >= 0.1 + 6 / 100
    assert [len(split_tokens(t)) for t in texts(events)] == [2, 3]


@pytest.mark.parametrize(
    ("fault", "status", "type_"),
    [
        ("401", 401, "invalid_authentication_error"),
        ("429", 429, "rate_limit_reached_error"),
        ("500", 500, "server_error"),
        ("503", 503, "engine_overloaded_error"),
    ],
)
@pytest.mark.parametrize("by", ["marker", "header"])
async def test_http_faults(
    simulator_url: str, fault: str, status: int, type_: str, by: str
) -> None:
    if by == "marker":
        response = await post(simulator_url, ask(f"Hello [[sim:fault={fault}]]"))
    else:
        response = await post(simulator_url, body(), headers={"X-Sim-Fault": fault})
    assert response.status_code == status
    assert response.json()["error"]["type"] == type_
    assert ("retry-after" in response.headers) == (status == 429)
    if status == 429:
        assert response.headers["retry-after"] == "7"
