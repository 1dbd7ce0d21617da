"""Per-person limits on starting answers, seen on the conversation socket."""

from __future__ import annotations

import html
import json
import re

import pytest

from chat.models import Conversation, Message
from tests.sockets import connect, form, frames_until, is_delta, is_done, wait_generations

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("upstream_is_simulator", "close_thread_connections"),
]


def is_invalid(frame: str) -> bool:
    return frame.startswith("{") and json.loads(frame).get("event") == "invalid"


def prompt_error(frames: list[str]) -> str:
    """The text shown beside Send (the prompt's message slot), last written."""
    found = re.findall(
        r'hx-target="#error-prompt" hx-swap="innerHTML">(.*?)</hx-partial>', "".join(frames), re.S
    )
    return html.unescape(found[-1]) if found else ""


async def answer(ws, prompt: str) -> None:
    await ws.send_json_to(form(prompt))
    await frames_until(ws, is_done)
    await wait_generations()


async def test_the_start_after_the_minutes_limit_is_refused_with_the_wait(
    settings, alice_cookie, conversation
):
    settings.PLAYGROUND_STARTS_PER_MINUTE = 2
    ws = await connect(alice_cookie, conversation.pk)
    await answer(ws, "One")
    await answer(ws, "Two")
    await ws.send_json_to(form("Three"))
    frames = await frames_until(ws, is_invalid)
    await ws.disconnect()
    error = prompt_error(frames)
    assert re.search(r"you can start another answer in \d+ s\.", error), error
    assert "2 answers in the last minute" in error
    assert await Message.objects.filter(conversation=conversation, role="user").acount() == 2


async def test_regenerate_counts_as_a_start(settings, alice_cookie, conversation):
    settings.PLAYGROUND_STARTS_PER_MINUTE = 1
    ws = await connect(alice_cookie, conversation.pk)
    await answer(ws, "One")
    first = await Message.objects.aget(conversation=conversation, role="assistant")
    await ws.send_json_to({**form("-"), "action": f"regenerate:{first.pk}"})
    frames = await frames_until(ws, is_invalid)
    await ws.disconnect()
    assert "you can start another answer in" in prompt_error(frames)
    assert await Message.objects.filter(conversation=conversation, role="assistant").acount() == 1


async def test_a_second_answer_at_once_is_refused_over_the_concurrent_cap(
    settings, alice, alice_cookie, conversation
):
    settings.PLAYGROUND_CONCURRENT_GENERATIONS = 1
    other = await Conversation.objects.acreate(owner=alice)
    slow = await connect(alice_cookie, conversation.pk)
    await slow.send_json_to(form("A long story [[sim:tps=5]] [[sim:words=600]]"))
    await frames_until(slow, is_delta)
    ws = await connect(alice_cookie, other.pk)
    await ws.send_json_to(form("Meanwhile"))
    frames = await frames_until(ws, is_invalid)
    assert "You already have 1 answer streaming" in prompt_error(frames)
    assert not await Message.objects.filter(conversation=other).aexists()
    await slow.send_json_to({"action": "stop"})
    await frames_until(slow, is_done)
    await wait_generations()
    # One finished, the next may start.
    await answer(ws, "Now")
    await slow.disconnect()
    await ws.disconnect()
    assert await Message.objects.filter(conversation=other, status="complete").acount() == 2


async def test_the_days_tokens_on_the_servers_key_run_out(settings, alice_cookie, conversation):
    settings.PLAYGROUND_TOKENS_PER_DAY = 10
    ws = await connect(alice_cookie, conversation.pk)
    await answer(ws, "Spend them")
    spent = await Message.objects.aget(conversation=conversation, role="assistant")
    assert spent.usage["total_tokens"] > 10
    await ws.send_json_to(form("One more"))
    frames = await frames_until(ws, is_invalid)
    await ws.disconnect()
    error = prompt_error(frames)
    assert "used today's 10 tokens on the server's API key" in error
    assert re.search(r"you can start another answer in \d+ (h|min|s)", error), error


async def test_a_flooding_socket_is_told_and_its_extra_frames_ignored(
    settings, alice_cookie, conversation
):
    settings.PLAYGROUND_SOCKET_MESSAGES_PER_SECOND = 3
    ws = await connect(alice_cookie, conversation.pk)
    for _ in range(40):
        await ws.send_json_to({"action": "switch:0"})
    frames = await frames_until(ws, lambda f: "Too many messages on this connection" in f)
    await ws.disconnect()
    assert "the extra ones were ignored" in prompt_error(frames)
