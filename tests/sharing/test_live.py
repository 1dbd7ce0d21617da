"""A "Live" share link's socket: read-only, streaming the owner's answers to anyone
holding the link, and closing when the link stops opening."""

from __future__ import annotations

import json

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator

from chat.models import ShareLink
from chat.sharing import links, notices
from playground.asgi import application
from tests.sockets import ORIGIN, appended, connect, form, frames_until, is_done, wait_generations

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("upstream_is_simulator", "close_thread_connections"),
]


@pytest.fixture
def live_link(alice, conversation):
    """Alice's conversation, shared Live, with its reasoning."""
    return ShareLink.objects.create(owner=alice, conversation=conversation, live=True)


async def _open(link: ShareLink, ticket: str | None = None) -> tuple[WebsocketCommunicator, bool]:
    view = links.ticket(link.token) if ticket is None else ticket
    ws = WebsocketCommunicator(application, f"/ws/s/{link.token}/?view={view}", [ORIGIN])
    connected, _ = await ws.connect()
    return ws, connected


async def test_a_stranger_sees_the_answer_stream_and_cannot_act(alice_cookie, live_link):
    stranger, connected = await _open(live_link)
    assert connected
    first = await stranger.receive_from(timeout=10)
    assert 'hx-target="#shared-messages"' in first
    owner = await connect(alice_cookie, live_link.conversation_id)
    await owner.send_json_to(form("Tell a story [[sim:tps=200]] [[sim:words=60]]"))
    # Whatever the page sends is ignored: no stop, no send.
    await stranger.send_json_to({"action": "stop"})
    await stranger.send_json_to(form("Mine now"))
    frames = await frames_until(stranger, lambda f: 'data-status="complete"' in f)
    streamed = [f for f in frames if f.startswith('{"a1"') or f.startswith('{"r1"')]
    assert streamed, "text arrived before the card completed"
    assert appended(frames, "a1") or any("answer-text-1" in f for f in frames)
    await frames_until(owner, is_done)
    await wait_generations()
    count = await ShareLink.objects.filter(pk=live_link.pk).acount()
    assert count == 1
    messages = await sync_to_async(
        lambda: list(live_link.conversation.messages.values_list("content", flat=True))
    )()
    assert "Mine now" not in messages and len(messages) == 2
    await stranger.disconnect()
    await owner.disconnect()


async def test_reasoning_stays_out_when_the_link_leaves_it_out(alice_cookie, live_link):
    await ShareLink.objects.filter(pk=live_link.pk).aupdate(include_reasoning=False)
    stranger, connected = await _open(live_link)
    assert connected
    await stranger.receive_from(timeout=10)
    owner = await connect(alice_cookie, live_link.conversation_id)
    await owner.send_json_to(form("Think [[sim:tps=200]] [[sim:words=30]] [[sim:reasoning=30]]"))
    frames = await frames_until(stranger, lambda f: 'data-status="complete"' in f)
    assert not any(f.startswith('{"r') or '"r1"' in f for f in frames)
    assert not any(f.startswith('{"R') or '"R1"' in f for f in frames)  # nor rendered
    assert not any("reasoning-text-" in f for f in frames)
    await frames_until(owner, is_done)
    await wait_generations()
    await stranger.disconnect()
    await owner.disconnect()


async def test_revoking_the_link_closes_its_socket(live_link):
    stranger, connected = await _open(live_link)
    assert connected
    await stranger.receive_from(timeout=10)
    await sync_to_async(live_link.revoke)()
    await sync_to_async(notices.changed)(live_link.token)
    note = await stranger.receive_from(timeout=10)
    assert "This link no longer opens." in note
    closed = await stranger.receive_output(timeout=10)
    assert closed["type"] == "websocket.close"


@pytest.mark.parametrize(
    "change",
    [
        {"live": False},
        {"revoked_at": "now"},
        {"expires_at": "now"},
    ],
)
async def test_a_link_that_is_not_live_or_not_open_refuses_the_socket(live_link, change):
    from django.utils import timezone

    values = {k: timezone.now() if v == "now" else v for k, v in change.items()}
    await ShareLink.objects.filter(pk=live_link.pk).aupdate(**values)
    _, connected = await _open(live_link)
    assert not connected


async def test_the_last_view_s_ticket_lets_its_socket_in_and_no_other(live_link):
    await ShareLink.objects.filter(pk=live_link.pk).aupdate(view_limit=1, views=1)
    ws, connected = await _open(live_link)
    assert connected
    await ws.disconnect()
    _, connected = await _open(live_link, ticket="forged")
    assert not connected


async def test_a_stranger_sees_the_answer_rendered_as_it_streams(alice_cookie, live_link):
    stranger, connected = await _open(live_link)
    assert connected
    await stranger.receive_from(timeout=10)
    owner = await connect(alice_cookie, live_link.conversation_id)
    await owner.send_json_to(form("Explain tides [[sim:tps=150]] [[sim:words=90]]"))
    frames = await frames_until(stranger, lambda f: 'data-status="complete"' in f)
    # Under the page's own number for the answer, never its database id.
    rendered = [json.loads(f)["A1"] for f in frames if f.startswith('{"A1"')]
    assert rendered, "the answer was rendered before the card completed"
    assert any(tail or any(html for _, html in blocks) for blocks, tail, _ in rendered)
    await frames_until(owner, is_done)
    await wait_generations()
    await stranger.disconnect()
    await owner.disconnect()
