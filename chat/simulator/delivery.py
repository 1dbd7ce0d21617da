"""Sending a completion at the app's pace, streamed or whole, with faults where asked.

Output is paced at the tokens per second (one round of chunks per tick) after the
first-token delay; a client that leaves ends the wait at once. Stream faults strike
a few rounds in, always before the first finish chunk (see chat.simulator.options).
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from dataclasses import dataclass
from typing import Any

from chat.simulator.asgi import Scope, Send, send_body, send_json
from chat.simulator.wire import DONE_EVENT, MALFORMED_EVENT, MID_STREAM_ERROR, SSE_HEADERS, sse

# Stream faults strike after this many rounds (the role chunk, then tokens).
FAULT_AFTER_ROUNDS = 4
MID_STREAM_FAULTS = ("drop", "malformed", "error-event")


@dataclass
class Pace:
    """The server's clock: a first-token delay, then one tick per round of tokens."""

    tokens_per_second: float
    first_token_delay: float
    gone: asyncio.Event

    async def wait(self, seconds: float) -> bool:
        """Sleep, waking early if the client leaves; True when it has left."""
        if seconds > 0 and not self.gone.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.gone.wait(), timeout=seconds)
        return self.gone.is_set()


async def send_stream(
    scope: Scope, send: Send, rounds: list[list[dict[str, Any]]], fault: str | None, pace: Pace
) -> None:
    """The rounds of chunks as SSE events, one round per tick, then [DONE]."""
    await send({"type": "http.response.start", "status": 200, "headers": SSE_HEADERS})
    if await pace.wait(pace.first_token_delay):
        return
    fault_at = _fault_round(rounds) if fault in MID_STREAM_FAULTS else None
    loop = asyncio.get_running_loop()
    start = loop.time()
    for number, chunks in enumerate(rounds):
        if number == fault_at and await _inject(fault, scope, send):
            return
        if await pace.wait(start + number / pace.tokens_per_second - loop.time()):
            return
        await send_body(send, b"".join(sse(chunk) for chunk in chunks))
    await send_body(send, DONE_EVENT, more=False)


async def send_whole(
    scope: Scope, send: Send, data: bytes, fault: str | None, pace: Pace, ticks: int
) -> None:
    """The `stream: false` answer (JSON bytes), after as long as streaming `ticks` rounds takes."""
    if await pace.wait(pace.first_token_delay + ticks / pace.tokens_per_second):
        return
    if fault == "error-event":
        await send_json(send, 200, MID_STREAM_ERROR)
    elif fault == "malformed":
        await send_json(send, 200, None, raw=data[: len(data) // 2])
    elif fault == "drop":
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send_body(send, data[: len(data) // 2])
        await _drop(scope, send)
    else:
        await send_json(send, 200, None, raw=data)


async def _inject(fault: str | None, scope: Scope, send: Send) -> bool:
    """Send a mid-stream fault; True when it has ended the stream."""
    if fault == "drop":
        await _drop(scope, send)
        return True
    if fault == "error-event":
        await send_body(send, sse(MID_STREAM_ERROR), more=False)
        return True
    await send_body(send, MALFORMED_EVENT)
    return False


def _fault_round(rounds: list[list[dict[str, Any]]]) -> int:
    """A few rounds in, but always before the first finish chunk."""
    first_finish = next(
        number
        for number, chunks in enumerate(rounds)
        if any(part.get("finish_reason") for chunk in chunks for part in chunk["choices"])
    )
    return min(FAULT_AFTER_ROUNDS, first_finish)


async def _drop(scope: Scope, send: Send) -> None:
    """Cut the connection mid-response, as a failing proxy would.

    ASGI has no message for that, and Daphne keeps the connection open when an app
    returns or raises mid-response, so under Daphne (Twisted) the simulator closes its
    client's transport itself. Elsewhere the body just ends, without finish or [DONE].
    """
    if not _close_transport(scope):
        await send_body(send, b"", more=False)


def _close_transport(scope: Scope) -> bool:
    # Looked up, not imported: the simulator must not depend on Twisted (or Daphne).
    reactor = sys.modules.get("twisted.internet.reactor")
    client, server = scope.get("client"), scope.get("server")
    if reactor is None or not client:
        return False
    for reader in reactor.getReaders():
        peer, host = _address(reader, "getPeer"), _address(reader, "getHost")
        if peer == tuple(client) and (not server or host == tuple(server)):
            reader.loseConnection()
            return True
    return False


def _address(transport: object, method: str) -> tuple[Any, ...] | None:
    getter = getattr(transport, method, None)
    try:
        address = getter() if getter is not None else None
    except Exception:  # a reader that is not a connected socket
        return None
    host, port = getattr(address, "host", None), getattr(address, "port", None)
    return (host, port) if host is not None else None
