"""Function calling end to end over the socket: calls stream into their card, the person
answers each, and the model's next request carries calls, reasoning and results."""

from __future__ import annotations

import json

import pytest

from chat.api.tools import EXAMPLES
from chat.models import Message
from tests.sockets import connect, form, frames_until, is_done, recorded, wait_generations

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("upstream_is_simulator", "close_thread_connections"),
]

WEATHER_AND_CALCULATOR = json.dumps([EXAMPLES["Weather"], EXAMPLES["Calculator"]])


async def _ask(ws, prompt: str, tools: str = WEATHER_AND_CALCULATOR) -> list[str]:
    await ws.send_json_to(form(prompt, tools=tools))
    return await frames_until(ws, is_done)


async def _answer_results(ws, answer: Message, results: dict[str, str]) -> list[str]:
    await ws.send_json_to(
        {**form("", tools=WEATHER_AND_CALCULATOR), "action": f"results:{answer.pk}", **results}
    )
    return await frames_until(ws, is_done)


async def test_a_call_streams_into_its_card_before_the_answer_ends(alice_cookie, conversation):
    ws = await connect(alice_cookie, conversation.pk)
    # Paced so that the arguments (a dozen tokens) take over a second to arrive.
    frames = await _ask(ws, "What is the weather in Paris? [[sim:tps=10,reasoning=2]]")
    await ws.disconnect()
    answer = await Message.objects.aget(role="assistant")
    target = f'<hx-partial hx-target="#tool-calls-{answer.pk}" hx-swap="innerHTML">'
    live = [frame for frame in frames[:-1] if target in frame]
    # The name first, then the arguments filling in: updates while it streams.
    assert len(live) >= 2
    assert '<code class="tool-name">get_weather</code>' in live[0]
    assert "celsius" not in live[0] and "celsius" in live[-1]
    assert "Result for" not in "".join(live)  # nothing to answer until the call is whole
    final = "".join(frames[frames.index(live[-1]) + 1 :])
    assert "Result for get_weather" in final and 'value="results:' in final


async def test_sent_results_carry_the_calls_reasoning_and_one_tool_message_per_call(
    alice_cookie, conversation, upstream_is_simulator
):
    ws = await connect(alice_cookie, conversation.pk)
    await _ask(ws, "What is the weather in Paris, and calculate 12 * 7?")
    answer = await Message.objects.aget(role="assistant")
    calls = answer.tool_calls
    assert [c["function"]["name"] for c in calls] == ["get_weather", "calculate"]
    await _answer_results(
        ws, answer, {f"result-{answer.pk}-0": '{"sky": "clear"}', f"result-{answer.pk}-1": "84"}
    )
    await ws.disconnect()
    await wait_generations()

    sent = recorded(upstream_is_simulator)[-1]["messages"]
    assert sent[-3] == {
        "role": "assistant",
        "content": "",
        "tool_calls": calls,
        "reasoning_content": answer.reasoning,
    }
    assert answer.reasoning
    assert sent[-2:] == [
        {
            "role": "tool",
            "tool_call_id": calls[0]["id"],
            "name": "get_weather",
            "content": '{"sky": "clear"}',
        },
        {"role": "tool", "tool_call_id": calls[1]["id"], "name": "calculate", "content": "84"},
    ]
    results = await Message.objects.aget(role="tool")
    assert results.parent_id == answer.pk
    final = await Message.objects.aget(role="assistant", parent=results)
    assert final.status == "complete"
    assert 'The `get_weather` tool returned: {"sky": "clear"}.' in final.content
    assert "The `calculate` tool returned: 84." in final.content


async def test_a_call_marked_failed_is_sent_as_an_error(
    alice_cookie, conversation, upstream_is_simulator
):
    ws = await connect(alice_cookie, conversation.pk)
    await _ask(ws, "What is the weather in Paris?")
    answer = await Message.objects.aget(role="assistant")
    await _answer_results(
        ws,
        answer,
        {f"result-{answer.pk}-0": "The weather service timed out", f"failed-{answer.pk}-0": "true"},
    )
    await ws.disconnect()
    await wait_generations()
    sent = recorded(upstream_is_simulator)[-1]["messages"]
    assert sent[-1]["content"] == '{"error": "The weather service timed out"}'
    results = await Message.objects.aget(role="tool")
    assert results.tool_results[0]["failed"] is True


async def test_a_call_without_a_result_is_named_and_nothing_is_sent(
    alice_cookie, conversation, upstream_is_simulator
):
    ws = await connect(alice_cookie, conversation.pk)
    await _ask(ws, "What is the weather in Paris, and calculate 12 * 7?")
    answer = await Message.objects.aget(role="assistant")
    requests = len(recorded(upstream_is_simulator))
    await ws.send_json_to(
        {
            **form("", tools=WEATHER_AND_CALCULATOR),
            "action": f"results:{answer.pk}",
            f"result-{answer.pk}-0": "Sunny",
        }
    )
    frames = await frames_until(ws, lambda frame: f"#error-results-{answer.pk}" in frame)
    await ws.disconnect()
    missing = "Write a result for calculate (call 2), or tick &quot;This call failed&quot;."
    assert missing in frames[-1]
    assert not await Message.objects.filter(role="tool").aexists()
    assert len(recorded(upstream_is_simulator)) == requests


async def test_an_answer_without_calls_cannot_be_sent_results(alice_cookie, conversation):
    ws = await connect(alice_cookie, conversation.pk)
    await _ask(ws, "Explain quicksort", tools="")
    answer = await Message.objects.aget(role="assistant")
    await ws.send_json_to({**form(""), "action": f"results:{answer.pk}"})
    frames = await frames_until(ws, lambda frame: "#error-prompt" in frame and "no tool" in frame)
    await ws.disconnect()
    assert "That answer has no tool calls to answer." in frames[-1]


async def test_a_tool_the_api_would_refuse_is_named_next_to_send(alice_cookie, conversation):
    ws = await connect(alice_cookie, conversation.pk)
    bad = json.dumps([{"type": "function", "function": {"name": "get_weather"}}])
    await ws.send_json_to(form("Weather?", tools=bad))
    frames = await frames_until(ws, lambda frame: '"event": "invalid"' in frame)
    await ws.disconnect()
    shown = "".join(frames)
    message = "Tool 1: function &quot;get_weather&quot; needs a description (a string)."
    assert f'<hx-partial hx-target="#error-prompt" hx-swap="innerHTML">{message}' in shown
    assert f'<hx-partial hx-target="#error-tools" hx-swap="innerHTML">{message}' in shown
    assert not await Message.objects.aexists()


async def test_regenerating_the_answer_to_results_sends_the_results_again(
    alice_cookie, conversation, upstream_is_simulator
):
    ws = await connect(alice_cookie, conversation.pk)
    await _ask(ws, "What is the weather in Paris?")
    answer = await Message.objects.aget(role="assistant")
    await _answer_results(ws, answer, {f"result-{answer.pk}-0": "Rain"})
    final = await Message.objects.exclude(pk=answer.pk).aget(role="assistant")
    await ws.send_json_to(
        {**form("", tools=WEATHER_AND_CALCULATOR), "action": f"regenerate:{final.pk}"}
    )
    await frames_until(ws, is_done)
    await ws.disconnect()
    await wait_generations()
    sent = recorded(upstream_is_simulator)[-1]["messages"]
    assert [m["role"] for m in sent] == ["user", "assistant", "tool"]
    assert sent[-1]["content"] == "Rain"
