"""The deterministic writer: the same request gives the same text; sampling changes it."""

from __future__ import annotations

import asyncio
import json

import pytest

from tests.simulator.client import (
    ask,
    body,
    post,
    stream,
    texts,
)


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


async def test_a_prompt_about_code_gets_a_code_block(simulator_url: str) -> None:
    response = await post(simulator_url, ask("Show me code for quicksort"))
    assert "```python\n" in response.json()["choices"][0]["message"]["content"]


async def test_json_mode_answers_json(simulator_url: str) -> None:
    events = await stream(
        simulator_url, ask("Describe quicksort as JSON", response_format={"type": "json_object"})
    )
    answer = json.loads(texts(events)[1])
    assert answer["topic"] == "quicksort json"
    assert isinstance(answer["answer"], str) and 0 < answer["confidence"] < 1
