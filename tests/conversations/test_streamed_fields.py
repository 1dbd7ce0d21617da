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
from channels.testing import WebsocketCommunicator
from django.test import AsyncClient
from django.urls import reverse

from chat.models import Comparison, ComparisonRun, Message
from playground.asgi import application
from tests.api.canned import CannedServer, Request
from tests.sockets import (
    ORIGIN,
    appended,
    connect,
    form,
    frames_until,
    is_done,
    wait_generations,
)

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("close_thread_connections"),
]

# The longest a test waits for something it expects to happen at once.
SOON = 30
USAGE = {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}


def _data(payload: object) -> bytes:
    return f"data: {json.dumps(payload)}\n\n".encode()


def _delta(index: int = 0, **delta: str | None) -> bytes:
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


async def test_a_refusal_is_shown_on_the_card_as_it_streams(alice_cookie, conversation, gateway):
    more = asyncio.Event()
    gateway.chunks = [
        _delta(role="assistant", content=None, refusal="I can't <i>help</i> "),
        more,  # held: the answer is still streaming while the page shows the refusal
        _delta(refusal="with that."),
        _finish(),
    ]
    ws = await connect(alice_cookie, conversation.pk)
    await ws.send_json_to(form("Hi"))
    live = await frames_until(ws, lambda f: 'hx-target="#refusal-' in f)
    answer = await Message.objects.aget(role="assistant")
    assert answer.status == "streaming"
    region = live[-1]
    assert f'hx-target="#refusal-{answer.pk}"' in region
    assert 'aria-label="Refusal"' in region and "I can&#x27;t &lt;i&gt;help&lt;/i&gt;" in region
    more.set()
    after = await frames_until(ws, is_done)
    await ws.disconnect()
    await wait_generations()
    assert any("I can&#x27;t &lt;i&gt;help&lt;/i&gt; with that." in f for f in after)
    await answer.arefresh_from_db()
    assert (answer.status, answer.content, answer.refusal) == (
        "complete",
        "",
        "I can't <i>help</i> with that.",
    )


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


@pytest.mark.parametrize("index", [-1, 32, 5000])
async def test_a_choice_numbered_out_of_bounds_is_dropped_and_the_rest_kept(
    alice_cookie, conversation, gateway, index
):
    gateway.chunks = [
        _delta(0, content="Kept."),
        _delta(index, content="Dropped."),
        _finish(index),
        _data({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop", "usage": USAGE}]}),
        _data({"choices": [{"index": index, "delta": {}, "usage": {"completion_tokens": 99}}]}),
    ]
    [answer], frames = await _answers(alice_cookie, conversation)
    assert (answer.status, answer.content) == ("complete", "Kept.")
    assert answer.usage == USAGE  # not the dropped choice's
    assert "Dropped." not in frames


async def test_a_comparison_shows_a_choice_beyond_n_as_a_run_of_its_column(
    alice, alice_cookie, gateway
):
    page_open = asyncio.Event()
    gateway.chunks = [
        _delta(0, content="First."),
        page_open,  # the comparison's page is open before the extra choice arrives
        _delta(1, content="Second."),
        _finish(0),
        _finish(1),
    ]
    client = AsyncClient()
    await client.aforce_login(alice)
    builder = {
        "message-0-role": "user",
        "message-0-content": "Hi",
        "repeats": "1",
        "action": "run",
        "column-0-model": "kimi-k2-thinking",
        "column-0-stream": "true",
    }
    response = await client.post(reverse("chat-compare-new"), builder)
    comparison = await Comparison.objects.aget(pk=int(response["Location"].split("/")[-2]))
    path = f"/ws/compare/{comparison.pk}/"
    ws = WebsocketCommunicator(application, path, [ORIGIN, alice_cookie])
    assert (await ws.connect())[0]
    await ws.receive_from(timeout=SOON)  # the page as it joins: one run, streaming
    page_open.set()
    frames = await frames_until(ws, lambda f: 'id="stop-all"' in f and "Stop all</button>" not in f)
    await ws.disconnect()
    await wait_generations()
    rows = ComparisonRun.objects.filter(comparison=comparison).select_related("message")
    first, extra = [run async for run in rows.order_by("choice")]
    assert [(run.column, run.repeat, run.choice) for run in (first, extra)] == [
        (0, 0, 0),
        (0, 0, 1),
    ]
    assert (extra.message.content, extra.message.status) == ("Second.", "complete")
    assert extra.message.batch == first.message.batch
    # Its card is drawn into the columns (replacing a card it never had would do nothing).
    columns = [frame for frame in frames if 'hx-target="#columns"' in frame]
    assert any(f'id="message-{extra.message.pk}"' in frame for frame in columns)
    assert "Column 1, run 1, choice 2" in "".join(frames)


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
