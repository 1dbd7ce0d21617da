"""A generation whose text or save goes wrong still ends, with what arrived kept.

The upstream is a canned-bytes server on a real port (tests/api/canned.py), so a test
can send what no well-behaved server would: half a surrogate pair per chunk, a NUL.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import pytest
from django.db import connection

from chat.models import Message
from tests.api.canned import CannedServer, Request
from tests.sockets import connect, form, frames_until, is_done, wait_generations

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("close_thread_connections"),
]


def _data(payload: object) -> bytes:
    return f"data: {json.dumps(payload)}\n\n".encode()


def _delta(**delta: str) -> bytes:
    return _data({"choices": [{"index": 0, "delta": delta, "finish_reason": None}]})


def _finish(reason: str = "stop") -> bytes:
    return _data({"choices": [{"index": 0, "delta": {}, "finish_reason": reason}]})


class Upstream(CannedServer):
    """Answers /chat/completions with `chunks` as an event stream (one write each, so
    each is its own piece on the wire) and /models with an error (the documented list)."""

    chunks: list[bytes]

    async def answer(self, request: Request, reader, writer) -> None:
        if not request.path.endswith("/chat/completions"):
            writer.write(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
            return
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n")
        for chunk in [*self.chunks, b"data: [DONE]\n\n"]:
            writer.write(chunk)
            await writer.drain()


@pytest.fixture
async def canned_upstream(settings) -> AsyncIterator[Upstream]:
    """The server's upstream (PLAYGROUND_API_BASE): whatever bytes the test gives it."""
    server = Upstream()
    server.respond = server.answer
    listener = await asyncio.start_server(server.handle, "127.0.0.1", 0)
    server.port = listener.sockets[0].getsockname()[1]
    settings.PLAYGROUND_API_BASE = server.base_url.rstrip("/")
    async with listener:
        yield server
        listener.close()


async def _answer(alice_cookie, conversation, prompt: str = "Hi") -> tuple[Message, str]:
    ws = await connect(alice_cookie, conversation.pk)
    await ws.send_json_to(form(prompt))
    frames = await frames_until(ws, is_done)
    await ws.disconnect()
    await wait_generations()
    message = await Message.objects.aget(conversation=conversation, role="assistant")
    return message, "".join(frames)


async def test_a_surrogate_pair_split_across_chunks_is_joined(
    alice_cookie, conversation, canned_upstream
):
    canned_upstream.chunks = [
        _delta(reasoning_content="Think \ud83d"),
        _delta(reasoning_content="\ude00."),
        _delta(content="Smile \ud83d"),
        _delta(content="\ude00 and a lone \udc00 half"),
        _finish(),
    ]
    message, frames = await _answer(alice_cookie, conversation)
    assert message.status == "complete"
    assert message.reasoning == "Think 😀."
    assert message.content == "Smile 😀 and a lone \ufffd half"
    assert 'data-status="complete"' in frames


async def test_a_nul_in_a_chunk_is_dropped_and_the_answer_kept(
    alice_cookie, conversation, canned_upstream
):
    canned_upstream.chunks = [_delta(content="before\x00after"), _finish()]
    message, _ = await _answer(alice_cookie, conversation)
    assert message.status == "complete"
    assert message.content == "beforeafter"


@pytest.fixture
def database_limits_lengths(db) -> None:
    """PostgreSQL refuses a value longer than its column; SQLite is taught to, here, so
    a save can fail on either (a real refusal by the database, nothing patched)."""
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TRIGGER finish_reason_length BEFORE UPDATE ON chat_message "
            "WHEN length(NEW.finish_reason) > 40 "
            "BEGIN SELECT RAISE(ABORT, 'value too long for finish_reason'); END"
        )


@pytest.mark.usefixtures("database_limits_lengths")
async def test_a_failed_save_ends_the_answer_as_an_error_with_its_text(
    alice_cookie, conversation, canned_upstream
):
    canned_upstream.chunks = [
        _delta(reasoning_content="Reasoned."),
        _delta(content="Half an answer"),
        _finish("a finish reason far longer than its column allows"),
    ]
    message, frames = await _answer(alice_cookie, conversation)
    assert message.status == "error"
    assert message.reasoning == "Reasoned."
    assert message.content == "Half an answer"
    assert "could not save this answer" in message.error
    assert 'data-status="error"' in frames  # the page was told
