"""The wire format: chunks in order, usage where the API puts it, the openai package reads it."""

from __future__ import annotations

from openai import AsyncOpenAI

from chat.simulator.text import split_tokens
from tests.simulator.client import (
    MODEL,
    QUESTION,
    body,
    choice_parts,
    finish,
    stream,
    texts,
)


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
