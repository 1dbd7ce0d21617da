"""What the prompt says shapes the answer: tools, tool results, images, partial mode."""

from __future__ import annotations

import base64
import json

from tests.simulator.client import (
    WEATHER_TOOL,
    ask,
    body,
    choice_parts,
    finish,
    post,
    stream,
    texts,
)


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
