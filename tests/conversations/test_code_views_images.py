"""View code with images: a small image is shown whole, so the code sends exactly what
the upstream received; a big one is shortened, with a note saying so."""

from __future__ import annotations

import base64

import pytest
from asgiref.sync import sync_to_async
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from chat.conversations import attachments
from chat.models import Message
from tests.api.test_snippets import NAMES
from tests.conversations.test_code_views import sent_bodies, shown
from tests.images import PNG, image_bytes
from tests.sockets import connect, form, frames_until, is_done, recorded

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("upstream_is_simulator", "close_thread_connections", "media_root"),
]

PHOTO = image_bytes("JPEG", size=(160, 160), noise=True)  # tens of KB: shortened
NOTE = "here it is shortened to its type and size"


@sync_to_async
def uploaded(person, data: bytes):
    return attachments.store(person, SimpleUploadedFile("x", data))


@sync_to_async
def page(person, url: str, data: dict | None = None) -> str:
    client = Client()
    client.force_login(person)
    response = client.post(url, data) if data is not None else client.get(url)
    assert response.status_code == 200
    return response.content.decode()


async def _send(alice_cookie, conversation, **fields) -> Message:
    ws = await connect(alice_cookie, conversation.pk)
    await ws.send_json_to(form("What is it?", **fields))
    await frames_until(ws, is_done)
    await ws.disconnect()
    return await Message.objects.aget(conversation=conversation, role="assistant")


async def test_an_answers_code_with_a_small_image_sends_exactly_what_was_received(
    alice, alice_cookie, conversation, upstream_is_simulator
):
    image = await uploaded(alice, PNG)
    answer = await _send(alice_cookie, conversation, attachment=image.key)
    html = await page(alice, reverse("chat-message-code", args=[conversation.pk, answer.pk]))
    received = recorded(upstream_is_simulator)[-1]
    assert received["messages"][0]["content"][1]["type"] == "image_url"
    assert sent_bodies(html) == dict.fromkeys(NAMES, received)
    assert NOTE not in html


async def test_an_answers_code_shortens_a_big_image_and_says_so(alice, alice_cookie, conversation):
    image = await uploaded(alice, PHOTO)
    answer = await _send(alice_cookie, conversation, attachment=image.key)
    html = await page(alice, reverse("chat-message-code", args=[conversation.pk, answer.pk]))
    size = f"{len(PHOTO) / 1024:.1f}".removesuffix(".0")
    for code in shown(html).values():
        assert f"data:image/jpeg;base64,…({size} KB elided)…" in code
    assert NOTE in html
    assert base64.b64encode(PHOTO).decode()[1000:1100] not in html  # none of the data


async def test_the_next_sends_code_holds_the_images_waiting_in_the_composer(
    alice, bob, conversation
):
    mine, bobs = await uploaded(alice, PNG), await uploaded(bob, PNG)
    url = reverse("chat-code", args=[conversation.pk])
    html = await page(alice, url, form("Look", attachment=mine.key))
    (body,) = set(map(str, sent_bodies(html).values()))
    assert "data:image/png;base64," in body
    refused = await sync_to_async(
        lambda: _client_post(alice, url, form("Look", attachment=bobs.key))
    )()
    assert refused.status_code == 400
    assert "no longer available" in refused.content.decode()


def _client_post(person, url: str, data: dict):
    client = Client()
    client.force_login(person)
    return client.post(url, data)
