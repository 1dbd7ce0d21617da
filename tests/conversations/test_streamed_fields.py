"""Every field a provider streams is shown as sent: a refusal, an error that comes after
a finish chunk, choices beyond those asked for, and usage fields we do not read.

The upstream is a canned-bytes server on a real port (tests/api/canned.py) sending what
some providers and gateways do and the simulator does not.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import pytest

from chat.models import Message
from tests.api.canned import CannedServer, Request
from tests.sockets import appended, connect, form, frames_until, is_done, wait_generations

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("close_thread_connections"),
]

# The longest a test waits for something it expects to happen at once.
SOON = 30


def _data(payload: object) -> bytes:
    return f"data: {json.dumps(payload)}\n\n".encode()


def _delta(index: int = 0, **delta: str) -> bytes:
    return _data({"choices": [{"index": index, "delta": delta, "finish_reason": None}]})


def _finish(index: int = 0, reason: str = "stop") -> bytes:
    return _data({"choices": [{"index": index, "delta": {}, "finish_reason": reason}]})


class Gateway(CannedServer):
    """Answers /chat/completions with `chunks` as an event stream, one write each; an
    asyncio.Event among them holds the stream until the test sets it."""

    chunks: list[bytes | asyncio.Event]

    async def answer(self, request: Request, reader, writer) -> None:
        if not request.path.endswith("/chat/completions"):
            writer.write(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
            return
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n")
        for chunk in [*self.chunks, b"data: [DONE]\n\n"]:
            if isinstance(chunk, asyncio.Event):
                await asyncio.wait_for(chunk.wait(), SOON)
                continue
            writer.write(chunk)
            await writer.drain()


@pytest.fixture
async def gateway(settings) -> AsyncIterator[Gateway]:
    """The server's upstream (PLAYGROUND_API_BASE): whatever bytes the test gives it."""
    server = Gateway()
    server.respond = server.answer
    listener = await asyncio.start_server(server.handle, "127.0.0.1", 0)
    server.port = listener.sockets[0].getsockname()[1]
    settings.PLAYGROUND_API_BASE = server.base_url.rstrip("/")
    async with listener:
        yield server
        listener.close()


async def _answers(alice_cookie, conversation, prompt: str = "Hi") -> tuple[list[Message], str]:
    ws = await connect(alice_cookie, conversation.pk)
    await ws.send_json_to(form(prompt))
    frames = await frames_until(ws, is_done)
    await ws.disconnect()
    await wait_generations()
    answers = [m async for m in Message.objects.filter(role="assistant").order_by("choice_index")]
    return answers, "".join(frames)


async def test_a_refusal_is_kept_and_shown_marked_as_a_refusal(alice_cookie, conversation, gateway):
    gateway.chunks = [
        _delta(role="assistant", refusal="I can't help "),
        _delta(refusal="with <b>that</b>."),
        _finish(),
    ]
    [answer], frames = await _answers(alice_cookie, conversation)
    assert answer.status == "complete"
    assert (answer.content, answer.refusal) == ("", "I can't help with <b>that</b>.")
    final = frames[frames.rindex(f'id="message-{answer.pk}"') :]
    assert 'class="refusal"' in final and "Refusal" in final
    assert "I can&#x27;t help with &lt;b&gt;that&lt;/b&gt;." in final  # escaped
    assert "<b>that</b>" not in final


async def test_an_error_after_the_finish_chunk_ends_the_answer_as_an_error_with_its_text(
    alice_cookie, conversation, gateway
):
    # Some gateways send finish_reason, then an error chunk at HTTP 200, then [DONE].
    gateway.chunks = [
        _delta(reasoning_content="Thinking."),
        _delta(content="Half of the"),
        _finish(),
        _data({"error": {"message": "upstream provider failed", "code": "provider_error"}}),
    ]
    [answer], frames = await _answers(alice_cookie, conversation)
    assert answer.status == "error"
    assert (answer.reasoning, answer.content) == ("Thinking.", "Half of the")
    assert "upstream provider failed" in answer.error
    assert answer.finish_reason == "stop"  # what the upstream sent, kept too
    final = frames[frames.rindex(f'id="message-{answer.pk}"') :]
    assert 'data-status="error"' in final and "upstream provider failed" in final


async def test_a_choice_the_request_did_not_ask_for_gets_a_card_and_its_deltas(
    alice_cookie, conversation, gateway
):
    card_shown = asyncio.Event()
    gateway.chunks = [
        _delta(0, content="First."),
        _delta(1, content="Second"),
        card_shown,  # the page shows the new choice's card before the rest of its text
        _delta(1, content=" and more."),
        _finish(0),
        _finish(1),
    ]
    ws = await connect(alice_cookie, conversation.pk)
    await ws.send_json_to(form("Hi", n="1"))
    before = await frames_until(ws, lambda f: "choice 2 of 2" in f)
    card_shown.set()
    after = await frames_until(ws, is_done)
    await ws.disconnect()
    await wait_generations()
    first, extra = [m async for m in Message.objects.filter(role="assistant").order_by("id")]
    assert (first.choice_index, extra.choice_index) == (0, 1)
    assert (first.content, extra.content) == ("First.", "Second and more.")
    assert extra.status == "complete"
    assert (extra.batch, extra.parent_id, extra.model) == (
        first.batch,
        first.parent_id,
        first.model,
    )
    assert extra.request_params == first.request_params  # what was sent: n=1
    assert f'id="message-{extra.pk}"' in "".join(before)
    assert appended(after, f"a{extra.pk}").endswith(" and more.")  # live, into its card
    assert any(
        f'id="message-{extra.pk}" class="message assistant" data-status="complete"' in f
        for f in after
    )


async def test_usage_fields_beyond_the_counts_are_stored_and_not_shown(
    alice_cookie, conversation, gateway
):
    usage = {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7, "cost": 0.000123}
    gateway.chunks = [
        _delta(content="Hi"),
        _data({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}], "usage": usage}),
    ]
    [answer], frames = await _answers(alice_cookie, conversation)
    assert answer.usage == {
        "prompt_tokens": 5,
        "completion_tokens": 2,
        "total_tokens": 7,
        "extra": {"cost": 0.000123},
    }
    assert "0.000123" not in frames
