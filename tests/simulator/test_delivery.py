"""Faults injected while the answer is sent: slow start, drop, malformed, error event."""

from __future__ import annotations

import time

import httpx
import pytest

from tests.simulator.client import (
    ask,
    body,
    choice_parts,
    decoded,
    post,
    stream,
    texts,
)


async def test_slow_start_delays_the_first_byte(simulator_url: str) -> None:
    began = time.monotonic()
    response = await post(simulator_url, ask("Hello [[sim:fault=slow-start:0.2]]"))
    assert response.status_code == 200
    assert time.monotonic() - began >= 0.2


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
    events = [decoded(line.removeprefix("data: ")) for line in seen if line]
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
