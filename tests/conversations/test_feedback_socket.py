"""What the socket tells the page beside Send and for the sidebar."""

from __future__ import annotations

import json

import pytest
from asgiref.sync import sync_to_async
from django.urls import reverse
from django.utils import timezone

from chat.api.params import default_settings
from chat.models import Conversation
from tests.sockets import connect, form, frames_until, is_done

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("upstream_is_simulator", "close_thread_connections"),
]


def _is_invalid(frame: str) -> bool:
    return frame.startswith("{") and json.loads(frame).get("event") == "invalid"


async def test_a_bad_parameter_on_send_is_summarised_beside_send(alice_cookie, conversation):
    ws = await connect(alice_cookie, conversation.pk)
    await ws.send_json_to(form("Hello", temperature="3"))
    frames = await frames_until(ws, _is_invalid)
    await ws.disconnect()
    shown = "".join(frames)
    assert (
        '<hx-partial hx-target="#param-summary" hx-swap="innerHTML"><p>'
        '<a href="#param-temperature" data-focus-field="param-temperature">'
        "Temperature must be between 0 and 2.</a></p></hx-partial>"
    ) in shown


async def test_a_started_prompt_tells_the_sidebar_to_redraw(alice_cookie, conversation):
    ws = await connect(alice_cookie, conversation.pk)
    await ws.send_json_to(form("Explain recursion [[sim:words=3]]"))
    frames = await frames_until(ws, is_done)
    await ws.disconnect()
    assert '{"event": "listed"}' in frames


async def test_a_prompt_in_one_tab_redraws_the_sidebar_of_every_other(
    alice_cookie, bob_cookie, alice, bob
):
    sending = await Conversation.objects.acreate(owner=alice, settings=default_settings())
    watching = await Conversation.objects.acreate(owner=alice, settings=default_settings())
    strangers = await Conversation.objects.acreate(owner=bob, settings=default_settings())
    other_tab = await connect(alice_cookie, watching.pk)
    stranger = await connect(bob_cookie, strangers.pk)
    ws = await connect(alice_cookie, sending.pk)
    await ws.send_json_to(form("Explain recursion [[sim:words=3]]"))
    assert '{"event": "listed"}' in await frames_until(ws, is_done)
    await ws.disconnect()
    assert json.loads(await other_tab.receive_from(timeout=30)) == {"event": "listed"}
    await other_tab.disconnect()
    # Bob's socket heard nothing of it: the first news it has is of his own prompt.
    await stranger.send_json_to(form("Explain tides [[sim:words=3]]"))
    frames = await frames_until(stranger, is_done)
    await stranger.disconnect()
    assert frames.count('{"event": "listed"}') == 1


@pytest.mark.parametrize("change", ["rename", "pin", "delete", "restore"])
async def test_renaming_pinning_deleting_or_restoring_redraws_the_other_tabs(
    alice_cookie, alice_client, alice, change
):
    changed = await Conversation.objects.acreate(owner=alice, title="Tides")
    watching = await Conversation.objects.acreate(owner=alice, settings=default_settings())
    if change == "restore":
        await Conversation.objects.filter(pk=changed.pk).aupdate(deleted_at=timezone.now())
    other_tab = await connect(alice_cookie, watching.pk)
    urls = {
        "rename": reverse("chat-rename", args=[changed.pk]),
        "pin": reverse("chat-pin", args=[changed.pk]),
        "delete": reverse("chat-delete", args=[changed.pk]),
        "restore": reverse("chat-restore", args=[changed.pk]),
    }
    response = await sync_to_async(alice_client.post)(urls[change], {"title": "Moon and tides"})
    assert response.status_code == 302
    assert json.loads(await other_tab.receive_from(timeout=30)) == {"event": "listed"}
    await other_tab.disconnect()


async def test_the_title_is_sent_only_when_it_changed(alice_cookie, conversation):
    # Sent as the first prompt names the conversation; not again as the answer ends,
    # where it would replace what a person is typing as its new name.
    ws = await connect(alice_cookie, conversation.pk)
    await ws.send_json_to(form("Explain recursion [[sim:words=3]]"))
    frames = await frames_until(ws, is_done)
    await ws.disconnect()
    retitled = [frame for frame in frames if 'hx-target="#title-input"' in frame]
    assert len(retitled) == 1 and 'value="Explain recursion"' in retitled[0]
