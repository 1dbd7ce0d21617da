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


CALCULATOR_TOOL = {
    "type": "function",
    "function": {
        "name": "calculate",
        "description": "Evaluate an arithmetic expression.",
        "parameters": {
            "type": "object",
            "properties": {"expression": {"type": "string"}},
            "required": ["expression"],
        },
    },
}


async def test_a_message_naming_two_tools_gets_two_parallel_calls(simulator_url: str) -> None:
    events = await stream(
        simulator_url,
        ask(
            "What's the weather in Paris, and calculate 12 * 7?",
            tools=[WEATHER_TOOL, CALCULATOR_TOOL],
        ),
    )
    calls: dict[int, dict[str, str]] = {}
    for _, key, value in choice_parts(events):
        if key != "tool_calls":
            continue
        for fragment in value:
            call = calls.setdefault(fragment["index"], {"id": "", "name": "", "arguments": ""})
            call["id"] = call["id"] or fragment.get("id", "")
            call["name"] = call["name"] or fragment["function"].get("name", "")
            call["arguments"] += fragment["function"].get("arguments", "")
    assert [calls[i]["name"] for i in sorted(calls)] == ["get_weather", "calculate"]
    assert calls[0]["id"] != calls[1]["id"]
    assert json.loads(calls[0]["arguments"])["location"] == "Paris"
    assert isinstance(json.loads(calls[1]["arguments"])["expression"], str)
    assert finish(events)["finish_reason"] == "tool_calls"


async def test_each_of_several_tool_results_is_used_in_the_answer(simulator_url: str) -> None:
    weather = {"id": "call_1", "type": "function"}
    weather["function"] = {"name": "get_weather", "arguments": '{"location": "Paris"}'}
    sums = {"id": "call_2", "type": "function"}
    sums["function"] = {"name": "calculate", "arguments": '{"expression": "12 * 7"}'}
    messages = [
        {"role": "user", "content": "Weather in Paris, and calculate 12 * 7?"},
        {"role": "assistant", "content": "", "tool_calls": [weather, sums]},
        {"role": "tool", "tool_call_id": "call_1", "content": "Sunny, 21 C"},
        {"role": "tool", "tool_call_id": "call_2", "content": "84"},
    ]
    response = await post(
        simulator_url, body(messages=messages, tools=[WEATHER_TOOL, CALCULATOR_TOOL])
    )
    answer = response.json()["choices"][0]["message"]["content"]
    assert "The `get_weather` tool returned: Sunny, 21 C." in answer
    assert "The `calculate` tool returned: 84." in answer


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
