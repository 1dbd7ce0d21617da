"""Extra request fields in a conversation: sent to the upstream, kept with the answer,
shown by "view code", and refused, starting nothing, when they are not what they
should be. Against the simulator on a real port."""

from __future__ import annotations

import json
from html import unescape

import pytest
from asgiref.sync import sync_to_async
from django.test import Client
from django.urls import reverse

from chat.models import Conversation, Message
from tests.api.test_snippets import NAMES
from tests.conversations.test_code_views import code_url, sent_bodies
from tests.sockets import connect, form, frames_until, is_done, recorded

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("upstream_is_simulator", "close_thread_connections"),
]

EXTRA = '{"reasoning_effort": "high", "chat_template_kwargs": {"thinking": true}}'
SENT = {"reasoning_effort": "high", "chat_template_kwargs": {"thinking": True}}

BAD = [
    pytest.param(
        '{"temperature": 2}',
        '"temperature" is set by the Temperature field; use it instead.',
        id="overrides-temperature",
    ),
    pytest.param(
        '["reasoning_effort", "high"]',
        "Extra request fields must be a JSON object",
        id="not-an-object",
    ),
    pytest.param(
        '{"reasoning_effort": high}',
        "Extra request fields are not valid JSON: Expecting value at line 1, column 22.",
        id="invalid-json",
    ),
]


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


async def _post(user, url: str, data: dict, **extra):
    return await sync_to_async(lambda: _client(user).post(url, data, **extra))()


async def _get(user, url: str):
    return await sync_to_async(lambda: _client(user).get(url))()


def _is_invalid(frame: str) -> bool:
    return frame.startswith('{"event": "invalid"')


async def test_an_answer_sends_them_and_keeps_them_as_sent(
    alice, alice_cookie, conversation, simulator_url
):
    ws = await connect(alice_cookie, conversation.pk)
    await ws.send_json_to(form("Think hard", temperature="0.6", extra_body=EXTRA))
    await frames_until(ws, is_done)
    await ws.disconnect()
    body = recorded(simulator_url)[-1]
    assert {k: body[k] for k in SENT} == SENT
    assert body["temperature"] == 0.6
    answer = await Message.objects.aget(conversation=conversation, role="assistant")
    assert answer.status == "complete" and answer.content
    # The stored request: every field as sent, the extra ones too.
    assert answer.request_params == {k: v for k, v in body.items() if k != "messages"}
    # The panel comes back with them.
    await conversation.arefresh_from_db()
    assert conversation.settings["extra_body"] == SENT
    page = (await _get(alice, f"/c/{conversation.pk}/")).content.decode()
    assert "Extra request fields</label>" in page
    assert json.dumps(SENT) in unescape(page)
    # View code of the answer sends exactly what the simulator received.
    response = await _get(alice, code_url(answer))
    assert sent_bodies(response.content.decode()) == dict.fromkeys(NAMES, body)


async def test_the_next_sends_code_shows_them(alice, alice_cookie, conversation, simulator_url):
    fields = form("Think hard", extra_body=EXTRA)
    response = await _post(alice, reverse("chat-code", args=[conversation.pk]), fields)
    assert response.status_code == 200
    ws = await connect(alice_cookie, conversation.pk)
    await ws.send_json_to(fields)
    await frames_until(ws, is_done)
    await ws.disconnect()
    received = recorded(simulator_url)[-1]
    assert sent_bodies(response.content.decode()) == dict.fromkeys(NAMES, received)


async def test_run_again_sends_them_again(alice_cookie, conversation, simulator_url):
    ws = await connect(alice_cookie, conversation.pk)
    await ws.send_json_to(form("Think hard", extra_body=EXTRA))
    await frames_until(ws, is_done)
    answer = await Message.objects.aget(conversation=conversation, role="assistant")
    await ws.send_json_to(form("", action=f"rerun:{answer.pk}"))
    await frames_until(ws, is_done)
    await ws.disconnect()
    first, again = recorded(simulator_url)[-2:]
    assert again == first


@pytest.mark.parametrize(("extra", "message"), BAD)
async def test_a_bad_value_on_the_socket_is_named_beside_the_field_and_starts_nothing(
    alice_cookie, conversation, simulator_url, extra, message
):
    ws = await connect(alice_cookie, conversation.pk)
    await ws.send_json_to(form("Think hard", extra_body=extra))
    frames = await frames_until(ws, _is_invalid)
    await ws.disconnect()
    shown = unescape("".join(frames))
    assert f'#error-extra_body" hx-swap="innerHTML">{message}' in shown
    assert json.loads(frames[-1])["fields"] == ["extra_body"]
    assert await Message.objects.filter(conversation=conversation).acount() == 0
    assert recorded(simulator_url) == []


@pytest.mark.parametrize(("extra", "message"), BAD)
async def test_a_bad_value_posted_without_the_socket_starts_nothing(
    alice, conversation, simulator_url, extra, message
):
    url = reverse("chat-send", args=[conversation.pk])
    response = await _post(alice, url, form("Think hard", extra_body=extra), follow=True)
    assert message in unescape(response.content.decode())
    assert await Message.objects.filter(conversation=conversation).acount() == 0
    assert recorded(simulator_url) == []


@pytest.mark.parametrize(("extra", "message"), BAD)
async def test_the_panels_check_names_a_bad_value_as_it_is_typed(alice, extra, message):
    response = await _post(alice, reverse("chat-check-params"), {"extra_body": extra})
    html = unescape(response.content.decode())
    assert f'<hx-partial hx-target="#error-extra_body" hx-swap="innerHTML">{message}' in html


async def test_bob_cannot_see_alices_extra_fields(alice_cookie, bob, conversation, simulator_url):
    ws = await connect(alice_cookie, conversation.pk)
    await ws.send_json_to(form("Think hard", extra_body=EXTRA))
    await frames_until(ws, is_done)
    await ws.disconnect()
    answer = await Message.objects.aget(conversation=conversation, role="assistant")
    assert (await _get(bob, code_url(answer))).status_code == 404
    assert (await _get(bob, f"/c/{conversation.pk}/")).status_code == 404
    assert await Conversation.objects.filter(owner=bob).acount() == 0
