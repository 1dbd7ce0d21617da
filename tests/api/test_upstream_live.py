"""The streaming client (chat/api/upstream.py) against the simulator on a real port:
one test per fault the simulator can inject, and one for a healthy stream."""

from __future__ import annotations

from typing import Any

import pytest

from chat.api.events import ContentDelta, Event, Finish, ReasoningDelta, Usage
from chat.api.failures import UpstreamError
from chat.api.upstream import Timeouts, make_client, stream_chat

# Generous: only the tests of a timeout may end a request by one.
PATIENT = Timeouts(connect=30, first_byte=30, chunk=30)


async def events_for(
    base_url: str, prompt: str, timeouts: Timeouts = PATIENT, **fields: Any
) -> list[Event]:
    body = {
        "model": "kimi-k2-thinking",
        "messages": [{"role": "user", "content": prompt}],
        "stream": True,
        **fields,
    }
    async with make_client() as client:
        return [event async for event in stream_chat(client, base_url, "sk-test", body, timeouts)]


async def failure(base_url: str, prompt: str, timeouts: Timeouts = PATIENT) -> UpstreamError:
    events = await events_for(base_url, prompt, timeouts)
    assert isinstance(events[-1], UpstreamError), events[-1]
    assert not any(isinstance(e, UpstreamError) for e in events[:-1])
    return events[-1]


async def test_a_healthy_stream_gives_reasoning_then_content_then_finish(
    simulator_url: str,
) -> None:
    events = await events_for(
        simulator_url, "Explain quicksort", stream_options={"include_usage": True}
    )
    kinds = [type(e) for e in events]
    assert UpstreamError not in kinds
    last_reasoning = max(i for i, kind in enumerate(kinds) if kind is ReasoningDelta)
    assert last_reasoning < kinds.index(ContentDelta)
    assert Finish(0, "stop") in events
    usages = [e for e in events if isinstance(e, Usage)]
    assert [u.index for u in usages] == [0, None]
    assert usages[-1].reasoning_tokens == 40
    assert usages[-1].completion_tokens == sum(
        1 for e in events if isinstance(e, ReasoningDelta | ContentDelta)
    )


async def test_401_is_an_http_error(simulator_url: str) -> None:
    error = await failure(simulator_url, "Hi [[sim:fault=401]]")
    assert (error.kind, error.status, error.type) == ("http", 401, "invalid_authentication_error")
    assert "Authentication failed (401)" in error.describe()


async def test_429_says_when_to_retry(simulator_url: str) -> None:
    error = await failure(simulator_url, "Hi [[sim:fault=429]]")
    assert (error.kind, error.status, error.retry_after) == ("http", 429, 7)
    assert error.describe().endswith("Retry after 7 s.")


@pytest.mark.parametrize("status", [500, 503])
async def test_server_errors_are_http_errors(simulator_url: str, status: int) -> None:
    error = await failure(simulator_url, f"Hi [[sim:fault={status}]]")
    assert (error.kind, error.status) == ("http", status)
    assert "(simulated)" in error.message


async def test_a_slow_start_times_out_waiting_for_the_first_byte(simulator_url: str) -> None:
    # The simulator stays silent until the client leaves (or for ten minutes), so only
    # the client's short first-byte timeout can end this request, however busy the machine.
    impatient = Timeouts(connect=30, first_byte=0.3, chunk=30)
    error = await failure(simulator_url, "Hi [[sim:fault=slow-start:600]]", impatient)
    assert error.kind == "timeout_first_byte"


async def test_a_dropped_connection_is_a_connection_error(simulator_url: str) -> None:
    events = await events_for(simulator_url, "Hi [[sim:fault=drop]]")
    assert any(isinstance(e, ReasoningDelta) for e in events)
    assert not any(isinstance(e, Finish) for e in events)
    assert isinstance(events[-1], UpstreamError)
    assert events[-1].kind == "connection"


async def test_a_malformed_chunk_is_reported(simulator_url: str) -> None:
    error = await failure(simulator_url, "Hi [[sim:fault=malformed]]")
    assert error.kind == "malformed"


async def test_an_error_event_is_a_stream_error(simulator_url: str) -> None:
    error = await failure(simulator_url, "Hi [[sim:fault=error-event]]")
    assert (error.kind, error.type, error.code) == ("stream", "server_error", "internal_error")
    assert "(simulated)" in error.describe()
