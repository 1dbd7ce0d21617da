"""The streaming path at its edges: a long conversation, a page that comes back after
its answer ended or while it ends, two sends at the same instant, and more generations
than the upstream connections allowed."""

from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator

from chat.conversations import actions, generation
from chat.models import Conversation, Message
from playground.asgi import application
from tests.sockets import (
    ORIGIN,
    appended,
    connect,
    form,
    frames_until,
    is_delta,
    is_done,
    wait_generations,
)

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("upstream_is_simulator", "close_thread_connections"),
]

# Daphne refuses frames over 1 MiB: no frame the page is sent may come near it.
SERVER_FRAME_LIMIT = 1024 * 1024


async def _version(conversation: Conversation) -> str:
    fresh = await Conversation.objects.aget(pk=conversation.pk)
    return await sync_to_async(fresh.page_version)()


async def _page(cookie, conversation: Conversation, version: str) -> WebsocketCommunicator:
    """A socket as the page opens it: with the version the page was rendered at."""
    path = f"/ws/c/{conversation.pk}/?v={version}"
    communicator = WebsocketCommunicator(application, path, [ORIGIN, cookie])
    connected, _ = await communicator.connect()
    assert connected
    return communicator


@sync_to_async
def _long_history(conversation: Conversation, turns: int) -> None:
    parent = None
    for n in range(turns):
        parent = Message.objects.create(
            conversation=conversation, parent=parent, role="user", content=f"Question {n}"
        )
        parent = Message.objects.create(
            conversation=conversation,
            parent=parent,
            role="assistant",
            status="complete",
            content=f"Answer {n}: " + "words of an ordinary answer " * 40,
        )
    conversation.current_leaf = parent
    conversation.started_at = parent.created_at
    conversation.save()


async def test_a_thousand_message_conversation_still_streams_live(alice_cookie, conversation):
    await _long_history(conversation, 500)
    ws = await _page(alice_cookie, conversation, await _version(conversation))
    await ws.send_json_to(form("One more [[sim:words=40]]"))
    frames = await frames_until(ws, is_done)
    await ws.disconnect()
    answer = await Message.objects.filter(role="assistant").alatest("id")
    assert answer.status == "complete"
    assert appended(frames, f"a{answer.pk}") == answer.content  # live, delta by delta
    assert max(len(f.encode()) for f in frames) < SERVER_FRAME_LIMIT / 10
    # The start sent the new turn, not the 500 before it.
    assert not any("Question 3 " in f or "Answer 3:" in f for f in frames)


async def test_a_page_back_after_its_answer_ended_shows_the_final_state(alice_cookie, conversation):
    rendered_at = await _version(conversation)  # the page as it was rendered: empty
    tab = await connect(alice_cookie, conversation.pk)
    await tab.send_json_to(form("Hello [[sim:words=30]]"))
    await frames_until(tab, is_done)
    await tab.disconnect()
    # The page was away (its tab hidden) the whole time, and reconnects now.
    page = await _page(alice_cookie, conversation, rendered_at)
    joined = await page.receive_from(timeout=30)
    await page.disconnect()
    answer = await Message.objects.aget(role="assistant")
    assert 'hx-target="#messages"' in joined and 'data-status="complete"' in joined
    assert f'id="message-{answer.pk}"' in joined
    assert "data-stop hidden" in joined and "data-send disabled" not in joined  # Send again


@pytest.mark.parametrize("join_after_frames", [0, 1, 3])
async def test_a_page_joining_while_its_answer_ends_gets_the_whole_text_and_status(
    alice_cookie, conversation, join_after_frames
):
    rendered_at = await _version(conversation)
    first = await connect(alice_cookie, conversation.pk)
    await first.send_json_to(form("Quick [[sim:words=20]] [[sim:reasoning=10]]"))
    for _ in range(join_after_frames):
        await first.receive_from(timeout=30)
    late = await _page(alice_cookie, conversation, rendered_at)
    await frames_until(first, is_done)
    frames = await frames_until(late, lambda f: 'data-status="complete"' in f)
    await first.disconnect()
    await late.disconnect()
    answer = await Message.objects.aget(role="assistant")
    final = frames[-1]
    assert f'id="message-{answer.pk}"' in final
    # The finished card holds the whole answer (as rendered markdown).
    words = answer.content.split()
    assert answer.status == "complete" and words[0] in final and words[-1] in final


async def test_two_sends_at_the_same_instant_start_one_answer(alice_cookie, conversation):
    one = await connect(alice_cookie, conversation.pk)
    two = await connect(alice_cookie, conversation.pk)
    slow = "A long story [[sim:tps=20]] [[sim:words=2000]]"
    await asyncio.gather(one.send_json_to(form(slow)), two.send_json_to(form(slow)))
    refused = None
    for ws in (one, two):
        frames = await frames_until(ws, lambda f: is_delta(f) or "error-prompt" in f)
        if not is_delta(frames[-1]):
            errors = [f for f in frames if 'hx-target="#error-prompt"' in f]
            if any(actions.STARTING in f or "still streaming" in f for f in errors):
                refused = ws
    await one.send_json_to({"action": "stop"})
    await frames_until(one, is_done)
    await wait_generations()
    await one.disconnect()
    await two.disconnect()
    assert refused is not None
    assert await Message.objects.filter(role="user").acount() == 1
    assert await Message.objects.filter(role="assistant").acount() == 1


async def test_more_generations_than_upstream_connections_wait_queued_and_all_complete(
    settings, alice, alice_cookie, conversation
):
    settings.PLAYGROUND_UPSTREAM_CONNECTIONS = 1
    settings.PLAYGROUND_CONCURRENT_GENERATIONS = 0
    settings.PLAYGROUND_STARTS_PER_MINUTE = 0
    holder = await connect(alice_cookie, conversation.pk)
    await holder.send_json_to(form("A long story [[sim:tps=20]] [[sim:words=2000]]"))
    await frames_until(holder, is_delta)  # it holds the one connection
    others = [await Conversation.objects.acreate(owner=alice) for _ in range(2)]
    sockets = [await connect(alice_cookie, other.pk) for other in others]
    for ws in sockets:
        await ws.send_json_to(form("Meanwhile [[sim:words=20]]"))
    for ws in sockets:
        frames = await frames_until(ws, lambda f: generation.QUEUED in f)
        assert 'hx-target="#gen-status-' in frames[-1]
    # A page opened now (or reconnecting) is told too: the snapshot carries the status.
    another = await connect(alice_cookie, others[0].pk)
    frames = await frames_until(another, lambda f: generation.QUEUED in f)
    assert 'hx-swap="innerHTML">' in frames[-1] and "#answer-text-" in frames[-1]
    await another.disconnect()
    await holder.send_json_to({"action": "stop"})  # frees it: the queued ones go on
    for ws in sockets:
        frames = await frames_until(ws, is_done)
        assert any(is_delta(f) for f in frames)
        await ws.disconnect()
    await frames_until(holder, is_done)
    await holder.disconnect()
    for other in others:
        answer = await Message.objects.aget(conversation=other, role="assistant")
        assert answer.status == "complete" and answer.content
