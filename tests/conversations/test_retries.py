"""Retries: a request that fails before any answer is sent again, shown on the card,
and never once output started (no text shown twice)."""

from __future__ import annotations

import uuid

import pytest

from chat.models import Message
from tests.sockets import connect, form, frames_until, is_done, recorded

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("upstream_is_simulator", "close_thread_connections"),
]


@pytest.fixture
def three_attempts(settings):
    settings.PLAYGROUND_UPSTREAM_ATTEMPTS = 3


def _asked(simulator_url: str, tag: str) -> int:
    return sum(tag in str(body) for body in recorded(simulator_url))


@pytest.mark.usefixtures("three_attempts")
async def test_a_503_is_retried_and_the_card_says_so(alice_cookie, conversation, simulator_url):
    tag = uuid.uuid4().hex  # the simulator counts faults per body: a body of its own
    ws = await connect(alice_cookie, conversation.pk)
    await ws.send_json_to(form(f"Hi {tag} [[sim:fault=503,times=1]]"))
    frames = await frames_until(ws, is_done)
    await ws.disconnect()
    message = await Message.objects.aget(role="assistant")
    assert message.status == "complete" and message.content and not message.error
    shown = "".join(frames)
    assert 'hx-target="#gen-status-' in shown
    assert "The upstream failed (503)" in shown and "Retrying in 1 s…" in shown
    assert _asked(simulator_url, tag) == 2


@pytest.mark.usefixtures("three_attempts")
async def test_it_gives_up_after_the_last_attempt_with_the_error(
    alice_cookie, conversation, simulator_url
):
    tag = uuid.uuid4().hex
    ws = await connect(alice_cookie, conversation.pk)
    await ws.send_json_to(form(f"Hi {tag} [[sim:fault=500]]"))
    await frames_until(ws, is_done)
    await ws.disconnect()
    message = await Message.objects.aget(role="assistant")
    assert message.status == "error" and "(500)" in message.error
    assert _asked(simulator_url, tag) == 3


@pytest.mark.usefixtures("three_attempts")
async def test_a_drop_after_output_started_is_not_retried(
    alice_cookie, conversation, simulator_url
):
    tag = uuid.uuid4().hex
    ws = await connect(alice_cookie, conversation.pk)
    await ws.send_json_to(form(f"Hi {tag} [[sim:fault=drop]]"))
    await frames_until(ws, is_done)
    await ws.disconnect()
    message = await Message.objects.aget(role="assistant")
    assert message.status == "error" and "dropped" in message.error
    assert message.reasoning  # the text so far is kept, and only once
    assert _asked(simulator_url, tag) == 1
