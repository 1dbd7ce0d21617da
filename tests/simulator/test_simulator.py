"""The simulator's contract, checked over HTTP against the real port it serves on."""

from __future__ import annotations

import asyncio
import base64
import json
import time
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openai import AsyncOpenAI

from chat.simulator.app import (
    SimOptionError,
    SimOptions,
    generate,
    make_app,
    parse_options,
    split_tokens,
)

MODEL = "kimi-k2-thinking"
QUESTION = [{"role": "user", "content": "Explain quicksort in Python"}]
WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather for a place.",
        "parameters": {
            "type": "object",
            "properties": {
                "location": {"type": "string"},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
                "days": {"type": "integer", "minimum": 1, "maximum": 3},
            },
            "required": ["location"],
        },
    },
}


def body(**fields: Any) -> dict[str, Any]:
    return {"model": MODEL, "messages": QUESTION, **fields}


def ask(text: str, **fields: Any) -> dict[str, Any]:
    return body(messages=[{"role": "user", "content": text}], **fields)


async def post(url: str, payload: object, headers: dict[str, str] | None = None) -> httpx.Response:
    async with httpx.AsyncClient(timeout=10) as client:
        return await client.post(f"{url}/chat/completions", json=payload, headers=headers)


async def stream(
    url: str, payload: dict[str, Any], headers: dict[str, str] | None = None
) -> list[Any]:
    """Every SSE data payload in order: chunks as dicts, anything else as text."""
    async with (
        httpx.AsyncClient(timeout=10) as client,
        client.stream(
            "POST", f"{url}/chat/completions", json={**payload, "stream": True}, headers=headers
        ) as response,
    ):
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        raw = "".join([piece async for piece in response.aiter_text()])
    return [_decoded(event.removeprefix("data: ")) for event in raw.split("\n\n") if event]


def _decoded(data: str) -> Any:
    try:
        return json.loads(data)
    except ValueError:
        return data


def choice_parts(events: list[Any]) -> list[tuple[int, str, Any]]:
    """(choice index, delta field or "finish", value) for every choice in every chunk."""
    parts = []
    for event in events:
        for choice in event["choices"] if isinstance(event, dict) else []:
            parts.extend((choice["index"], key, value) for key, value in choice["delta"].items())
            if choice["finish_reason"]:
                parts.append((choice["index"], "finish", choice))
    return parts


def texts(events: list[Any], index: int = 0) -> tuple[str, str]:
    """(reasoning, content) of one choice."""
    parts = choice_parts(events)
    reasoning = "".join(v for i, key, v in parts if i == index and key == "reasoning_content")
    content = "".join(v for i, key, v in parts if i == index and key == "content")
    return reasoning, content


def finish(events: list[Any], index: int = 0) -> dict[str, Any]:
    return next(v for i, key, v in choice_parts(events) if i == index and key == "finish")


# --- routes -------------------------------------------------------------------------


async def test_it_lists_the_models(simulator_url: str) -> None:
    async with httpx.AsyncClient() as client:
        response = await client.get(f"{simulator_url}/models")
    assert response.status_code == 200
    listing = response.json()
    assert listing["object"] == "list"
    assert [m["id"] for m in listing["data"]] == ["kimi-k2-thinking", "kimi-k2-thinking-turbo"]
    assert all(m["owned_by"] == "simulator" and m["object"] == "model" for m in listing["data"])


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/nowhere", 404),
        ("GET", "/v1/chat/completions", 405),
        ("POST", "/v1/models", 405),
    ],
)
async def test_it_refuses_unknown_routes_and_methods(
    simulator_url: str, method: str, path: str, status: int
) -> None:
    root = simulator_url.removesuffix("/v1")
    async with httpx.AsyncClient() as client:
        response = await client.request(method, root + path)
    assert response.status_code == status
    assert response.json()["error"]["message"]


async def test_it_refuses_a_body_over_20_mb(simulator_url: str) -> None:
    async with httpx.AsyncClient(timeout=30) as client:
        response = await client.post(
            f"{simulator_url}/chat/completions", content=b"x" * (20 * 1024 * 1024 + 1)
        )
    assert response.status_code == 413


async def test_it_records_and_forgets_the_bodies_it_received(simulator_url: str) -> None:
    requests = simulator_url.removesuffix("/v1") + "/_sim/requests"
    async with httpx.AsyncClient() as client:
        assert (await client.delete(requests)).status_code == 200
        sent = body(temperature=0.7, max_tokens=5)
        await client.post(f"{simulator_url}/chat/completions", json=sent)
        assert (await client.get(requests)).json() == [sent]
        await client.delete(requests)
        assert (await client.get(requests)).json() == []


async def test_it_serves_under_a_prefix_and_records_only_when_asked() -> None:
    app = make_app(prefix="/sim", first_token_delay=0, tokens_per_second=10_000)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://sim.test") as client:
        assert (await client.get("/sim/v1/models")).status_code == 200
        assert (await client.get("/v1/models")).status_code == 404
        assert (await client.get("/sim/_sim/requests")).status_code == 404
        answer = await client.post("/sim/v1/chat/completions", json=body())
    assert answer.json()["choices"][0]["finish_reason"] == "stop"


# --- markers, as pure functions -------------------------------------------------------


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
        ("Hi", {"x-sim-options": "speed=2"}, "X-Sim-Options"),
        ("Hi", {"x-sim-fault": "melt"}, "X-Sim-Fault"),
    ],
)
def test_bad_markers_are_refused(text: str, headers: dict[str, str], param: str) -> None:
    with pytest.raises(SimOptionError) as refused:
        parse_options({"messages": [{"role": "user", "content": text}]}, headers)
    assert refused.value.param == param


@settings(max_examples=60, deadline=None)
@given(
    max_tokens=st.integers(1, 120),
    stop=st.lists(st.text(alphabet="aeiou .#-*\n", min_size=1, max_size=3), max_size=5),
    temperature=st.floats(0, 2),
)
def test_generated_choices_honour_max_tokens_and_stop(
    max_tokens: int, stop: list[str], temperature: float
) -> None:
    fields = {"stop": stop, "temperature": temperature, "n": 2}
    unlimited = generate(body(**fields)).choices
    limited = generate(body(max_tokens=max_tokens, **fields)).choices
    for whole, choice in zip(unlimited, limited, strict=True):
        content = "".join(choice.content)
        assert not any(s in content for s in stop)
        assert "".join(whole.content).startswith(content)
        assert choice.completion_tokens == min(max_tokens, whole.completion_tokens)
        cut = whole.completion_tokens > max_tokens
        assert choice.finish_reason == ("length" if cut else "stop")
        assert all(split_tokens(token) == [token] for token in choice.reasoning + choice.content)


# --- the stream -----------------------------------------------------------------------


async def test_it_streams_reasoning_before_the_answer(simulator_url: str) -> None:
    events = await stream(simulator_url, body())
    kinds = [key for _, key, _ in choice_parts(events)]
    assert kinds[0] == "role"
    assert kinds[-1] == "finish"
    assert set(kinds[1:-1]) == {"reasoning_content", "content"}
    last_reasoning = max(i for i, kind in enumerate(kinds) if kind == "reasoning_content")
    first_content = kinds.index("content")
    assert last_reasoning < first_content
    assert all(e["object"] == "chat.completion.chunk" and e["model"] == MODEL for e in events[:-1])
    assert len({e["id"] for e in events[:-1]}) == 1


async def test_every_delta_is_one_word(simulator_url: str) -> None:
    events = await stream(simulator_url, body())
    for _, key, value in choice_parts(events):
        if key in ("reasoning_content", "content"):
            assert split_tokens(value) == [value]


async def test_the_finish_chunk_carries_usage_inside_the_choice(simulator_url: str) -> None:
    events = await stream(simulator_url, body())
    reasoning_deltas = [p for p in choice_parts(events) if p[1] == "reasoning_content"]
    content_deltas = [p for p in choice_parts(events) if p[1] == "content"]
    last = finish(events)
    assert last["finish_reason"] == "stop"
    assert last["delta"] == {}
    usage = last["usage"]
    assert usage["completion_tokens_details"]["reasoning_tokens"] == len(reasoning_deltas) == 40
    assert usage["completion_tokens"] == len(reasoning_deltas) + len(content_deltas)
    assert usage["prompt_tokens"] == 4
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
    assert usage["prompt_tokens_details"]["cached_tokens"] == 0


async def test_include_usage_adds_a_last_chunk_without_choices(simulator_url: str) -> None:
    events = await stream(simulator_url, body(n=2, stream_options={"include_usage": True}))
    assert events[-1] == "[DONE]"
    total = events[-2]
    assert total["choices"] == []
    per_choice = [finish(events, i)["usage"]["completion_tokens"] for i in (0, 1)]
    assert total["usage"]["completion_tokens"] == sum(per_choice)


async def test_without_include_usage_done_follows_the_finish_chunk(simulator_url: str) -> None:
    events = await stream(simulator_url, body())
    assert events[-1] == "[DONE]"
    assert events[-2]["choices"][0]["finish_reason"] == "stop"


async def test_a_later_turn_reports_cached_prompt_tokens(simulator_url: str) -> None:
    turns = [*QUESTION, {"role": "assistant", "content": "It sorts."}]
    turns.append({"role": "user", "content": "And in Rust?"})
    response = await post(simulator_url, body(messages=turns))
    usage = response.json()["usage"]
    assert usage["prompt_tokens"] == 4 + 2 + 3
    assert usage["prompt_tokens_details"]["cached_tokens"] == 4 + 2


# --- how the request shapes the text ----------------------------------------------------


async def test_the_same_request_gives_the_same_text(simulator_url: str) -> None:
    first, again = await asyncio.gather(
        *(stream(simulator_url, body(temperature=0.7)) for _ in range(2))
    )
    first, again = texts(first), texts(again)
    assert first == again
    assert "quicksort" in first[0].lower()


async def test_temperature_changes_the_text(simulator_url: str) -> None:
    calm, wild = map(
        texts,
        await asyncio.gather(
            stream(simulator_url, body(temperature=0.2)),
            stream(simulator_url, body(temperature=1.5)),
        ),
    )
    assert calm[0] != wild[0]
    assert calm[1] != wild[1]


@pytest.mark.parametrize(
    "setting", [{"top_p": 0.1}, {"top_k": 1}, {"presence_penalty": 2}, {"frequency_penalty": -2}]
)
async def test_sampling_settings_change_the_text(simulator_url: str, setting: dict) -> None:
    plain, changed = await asyncio.gather(
        post(simulator_url, body()), post(simulator_url, body(**setting))
    )
    assert plain.json()["choices"][0]["message"] != changed.json()["choices"][0]["message"]


async def test_markers_set_lengths_and_are_not_echoed(simulator_url: str) -> None:
    events = await stream(simulator_url, ask("Explain quicksort [[sim:reasoning=7,words=15]]"))
    reasoning, content = texts(events)
    assert len(split_tokens(reasoning)) == 7
    assert len(split_tokens(content)) == 15
    assert "sim" not in reasoning + content
    assert texts(await stream(simulator_url, ask("Explain quicksort")))[0][:20] == reasoning[:20]


async def test_a_prompt_about_code_gets_a_code_block(simulator_url: str) -> None:
    response = await post(simulator_url, ask("Show me code for quicksort"))
    assert "```python\n" in response.json()["choices"][0]["message"]["content"]


async def test_max_tokens_ends_with_length(simulator_url: str) -> None:
    events = await stream(simulator_url, body(max_tokens=45))
    reasoning, content = texts(events)
    assert len(split_tokens(reasoning)) == 40
    assert len(split_tokens(content)) == 5
    assert finish(events)["finish_reason"] == "length"
    assert finish(events)["usage"]["completion_tokens"] == 45
    full = texts(await stream(simulator_url, body()))
    assert full[1].startswith(content)


async def test_max_tokens_can_run_out_during_reasoning(simulator_url: str) -> None:
    response = await post(simulator_url, body(max_tokens=3))
    choice = response.json()["choices"][0]
    assert choice["finish_reason"] == "length"
    assert len(split_tokens(choice["message"]["reasoning_content"])) == 3
    assert choice["message"]["content"] == ""


async def test_stop_cuts_the_answer_before_the_stop_string(simulator_url: str) -> None:
    whole, events = await asyncio.gather(
        stream(simulator_url, body()), stream(simulator_url, body(stop=["zzz", "- **"]))
    )
    full = texts(whole)[1]
    content = texts(events)[1]
    assert content == full[: full.index("- **")]
    assert "- **" not in content
    assert finish(events)["finish_reason"] == "stop"


async def test_n_gives_distinct_choices_interleaved(simulator_url: str) -> None:
    events = await stream(simulator_url, body(n=3))
    choices = [texts(events, i) for i in range(3)]
    assert len({content for _, content in choices}) == 3
    order = [e["choices"][0]["index"] for e in events[:9]]
    assert order == [0, 1, 2] * 3
    assert {finish(events, i)["finish_reason"] for i in range(3)} == {"stop"}


async def test_temperature_near_zero_gives_one_choice_whatever_n_asks(simulator_url: str) -> None:
    response = await post(simulator_url, body(n=3, temperature=0))
    assert [c["index"] for c in response.json()["choices"]] == [0]


async def test_json_mode_answers_json(simulator_url: str) -> None:
    events = await stream(
        simulator_url, ask("Describe quicksort as JSON", response_format={"type": "json_object"})
    )
    answer = json.loads(texts(events)[1])
    assert answer["topic"] == "quicksort json"
    assert isinstance(answer["answer"], str) and 0 < answer["confidence"] < 1


async def test_a_request_for_a_tool_gets_a_tool_call(simulator_url: str) -> None:
    events = await stream(
        simulator_url, ask("What's the weather in New York?", tools=[WEATHER_TOOL])
    )
    calls = [v for _, key, v in choice_parts(events) if key == "tool_calls"]
    assert len(calls) > 2
    first = calls[0][0]
    assert first["type"] == "function" and first["id"].startswith("call_")
    assert first["function"]["name"] == "get_weather"
    arguments = json.loads("".join(c[0]["function"]["arguments"] for c in calls))
    assert arguments["location"] == "New York"
    assert arguments["unit"] == "celsius"
    assert 1 <= arguments["days"] <= 3
    assert finish(events)["finish_reason"] == "tool_calls"
    assert texts(events)[1] == ""


async def test_without_a_request_for_a_tool_it_answers(simulator_url: str) -> None:
    response = await post(simulator_url, ask("Explain quicksort", tools=[WEATHER_TOOL]))
    assert response.json()["choices"][0]["finish_reason"] == "stop"


async def test_a_tool_result_is_used_in_the_answer(simulator_url: str) -> None:
    call = {"id": "call_1", "type": "function"}
    call["function"] = {"name": "get_weather", "arguments": '{"location": "Paris"}'}
    messages = [
        {"role": "user", "content": "What's the weather in Paris?"},
        {"role": "assistant", "content": "", "tool_calls": [call]},
        {
            "role": "tool",
            "tool_call_id": "call_1",
            "content": '{"temperature": 21, "sky": "clear"}',
        },
    ]
    response = await post(simulator_url, body(messages=messages, tools=[WEATHER_TOOL]))
    choice = response.json()["choices"][0]
    assert choice["finish_reason"] == "stop"
    assert (
        '`get_weather` tool returned: {"temperature": 21, "sky": "clear"}'
        in choice["message"]["content"]
    )


async def test_images_are_acknowledged(simulator_url: str) -> None:
    png = base64.b64encode(b"\x89PNG" + bytes(1230)).decode()
    content = [
        {"type": "text", "text": "What is in these pictures?"},
        {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{png}"}},
        {"type": "image_url", "image_url": {"url": "https://images.example.com/cat.jpg"}},
    ]
    response = await post(simulator_url, body(messages=[{"role": "user", "content": content}]))
    answer = response.json()["choices"][0]["message"]["content"]
    assert "I see 2 images (image/png, 1234 bytes; from images.example.com)." in answer


async def test_a_partial_answer_is_continued_not_repeated(simulator_url: str) -> None:
    prefix = "Once upon a time"
    messages = [
        {"role": "user", "content": "Tell me a story about dragons"},
        {"role": "assistant", "content": prefix, "partial": True},
    ]
    content = texts(await stream(simulator_url, body(messages=messages)))[1]
    assert content.startswith(" and that is where")
    assert prefix not in content


# --- refusals -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "param"),
    [
        ({"temperature": 2.5}, "temperature"),
        ({"stop": ["a", "b", "c", "d", "e", "f"]}, "stop"),
        ({"n": 6}, "n"),
        ({"model": "gpt-imaginary"}, "model"),
        ({"top_p": 1.5}, "top_p"),
        ({"messages": []}, "messages"),
        ({"messages": [{"role": "user", "content": "hi [[sim:speed=9]]"}]}, "messages"),
    ],
)
async def test_it_rejects_bad_fields_naming_them(
    simulator_url: str, fields: dict[str, Any], param: str
) -> None:
    response = await post(simulator_url, body(**fields))
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["param"] == param
    assert error["type"] == "invalid_request_error"
    assert error["code"] == "invalid_value"
    assert error["message"]


async def test_it_rejects_a_body_that_is_not_json(simulator_url: str) -> None:
    async with httpx.AsyncClient() as client:
        response = await client.post(f"{simulator_url}/chat/completions", content=b"{nope")
    assert response.status_code == 400
    assert "not valid JSON" in response.json()["error"]["message"]


# --- faults ---------------------------------------------------------------------------


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


async def test_slow_start_delays_the_first_byte(simulator_url: str) -> None:
    began = time.monotonic()
    response = await post(simulator_url, ask("Hello [[sim:fault=slow-start:0.2]]"))
    assert response.status_code == 200
    assert time.monotonic() - began >= 0.2


async def test_options_header_sets_pacing(simulator_url: str) -> None:
    began = time.monotonic()
    headers = {"X-Sim-Options": "delay=0.1, tps=100; reasoning=2 words=3"}
    events = await stream(simulator_url, body(), headers=headers)
    assert time.monotonic() - began >= 0.1 + 6 / 100
    assert [len(split_tokens(t)) for t in texts(events)] == [2, 3]


async def test_drop_cuts_the_connection_mid_stream(simulator_url: str) -> None:
    seen = []
    with pytest.raises(httpx.TransportError):
        async with (
            httpx.AsyncClient(timeout=5) as client,
            client.stream(
                "POST",
                f"{simulator_url}/chat/completions",
                json=ask("Hi [[sim:fault=drop]]", stream=True),
            ) as response,
        ):
            async for line in response.aiter_lines():
                seen.append(line)
    events = [_decoded(line.removeprefix("data: ")) for line in seen if line]
    assert texts(events)[0]
    assert "[DONE]" not in events
    assert not any(key == "finish" for _, key, _ in choice_parts(events))


async def test_drop_by_header_cuts_a_whole_answer_too(simulator_url: str) -> None:
    with pytest.raises(httpx.TransportError):
        await post(simulator_url, body(), headers={"X-Sim-Fault": "drop"})


async def test_malformed_sends_a_chunk_that_is_not_json(simulator_url: str) -> None:
    events = await stream(simulator_url, ask("Hi [[sim:fault=malformed]]"))
    broken = [e for e in events if isinstance(e, str) and e != "[DONE]"]
    assert len(broken) == 1
    assert events[-1] == "[DONE]"


async def test_error_event_ends_the_stream_with_an_error(simulator_url: str) -> None:
    events = await stream(simulator_url, ask("Hi [[sim:fault=error-event]]"))
    assert events[-1]["error"]["type"] == "server_error"
    assert "[DONE]" not in events
    assert not any(key == "finish" for _, key, _ in choice_parts(events[:-1]))


# --- the official client --------------------------------------------------------------


async def test_the_openai_package_reads_the_stream(simulator_url: str) -> None:
    client = AsyncOpenAI(base_url=simulator_url, api_key="x")
    chunks = await client.chat.completions.create(model=MODEL, messages=QUESTION, stream=True)
    reasoning, content, reasons = "", "", []
    async for chunk in chunks:
        for choice in chunk.choices:
            reasoning += (choice.delta.model_extra or {}).get("reasoning_content") or ""
            content += choice.delta.content or ""
            reasons.append(choice.finish_reason)
    assert (reasoning, content) == texts(await stream(simulator_url, body()))
    assert reasons[-1] == "stop"


async def test_the_openai_package_reads_a_whole_answer(simulator_url: str) -> None:
    client = AsyncOpenAI(base_url=simulator_url, api_key="x")
    completion = await client.chat.completions.create(model=MODEL, messages=QUESTION)
    message = completion.choices[0].message
    assert message.content and message.content.startswith("### ")
    assert message.model_extra["reasoning_content"]
    assert completion.usage.completion_tokens_details.reasoning_tokens == 40
    assert completion.object == "chat.completion"
