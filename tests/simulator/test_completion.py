"""The completion honours max_tokens, stop and n, and counts prompt tokens."""

from __future__ import annotations

import asyncio

from hypothesis import given, settings
from hypothesis import strategies as st

from chat.simulator.completion import generate
from chat.simulator.text import split_tokens
from tests.simulator.client import (
    QUESTION,
    body,
    finish,
    post,
    stream,
    texts,
)


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


async def test_a_later_turn_reports_cached_prompt_tokens(simulator_url: str) -> None:
    turns = [*QUESTION, {"role": "assistant", "content": "It sorts."}]
    turns.append({"role": "user", "content": "And in Rust?"})
    response = await post(simulator_url, body(messages=turns))
    usage = response.json()["usage"]
    assert usage["prompt_tokens"] == 4 + 2 + 3
    assert usage["prompt_tokens_details"]["cached_tokens"] == 4 + 2
