"""Prompts with images over the conversation socket, against the simulator on a real
port: what the upstream is sent, and the images that are refused."""

from __future__ import annotations

import base64

import pytest
from asgiref.sync import sync_to_async
from django.core.files.uploadedfile import SimpleUploadedFile

from chat.conversations import attachments
from chat.models import Attachment, Message
from tests.images import PNG, image_bytes
from tests.sockets import connect, form, frames_until, is_done, recorded, wait_generations

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("upstream_is_simulator", "close_thread_connections", "media_root"),
]

GIF = image_bytes("GIF", size=(4, 4), color="blue")


@sync_to_async
def uploaded(person, data: bytes = PNG, name: str = "picture.png") -> Attachment:
    return attachments.store(person, SimpleUploadedFile(name, data, "image/png"))


def data_url(content_type: str, data: bytes) -> str:
    return f"data:{content_type};base64,{base64.b64encode(data).decode()}"


def is_error_shown(frame: str) -> bool:
    return frame.startswith("{") and '"invalid"' in frame


def last_user_content(body: dict):
    return [m for m in body["messages"] if m["role"] == "user"][-1]["content"]


async def test_images_are_sent_upstream_as_image_url_parts_after_the_text(
    alice, alice_cookie, conversation, upstream_is_simulator
):
    first, second = await uploaded(alice), await uploaded(alice, GIF, "b.gif")
    ws = await connect(alice_cookie, conversation.pk)
    await ws.send_json_to(form("What is in these?", attachment=[first.key, second.key]))
    frames = await frames_until(ws, is_done)
    await ws.disconnect()
    assert last_user_content(recorded(upstream_is_simulator)[-1]) == [
        {"type": "text", "text": "What is in these?"},
        {"type": "image_url", "image_url": {"url": data_url("image/png", PNG)}},
        {"type": "image_url", "image_url": {"url": data_url("image/gif", GIF)}},
    ]
    prompt = await Message.objects.aget(conversation=conversation, role="user")
    linked = [a async for a in prompt.attachments.all()]
    assert [(a.key, a.position) for a in linked] == [(first.key, 0), (second.key, 1)]
    answer = await Message.objects.aget(conversation=conversation, role="assistant")
    assert "I see 2 images" in answer.content  # the simulator read them
    # The page shows the sent prompt's thumbnails, and is told to clear the composer's.
    page = "".join(frames)
    assert 'alt="Attached image 1"' in page and 'alt="Attached image 2"' in page
    assert '{"event": "sent"}' in frames


async def test_a_single_image_arrives_as_one_key_not_a_list(
    alice, alice_cookie, conversation, upstream_is_simulator
):
    image = await uploaded(alice)
    ws = await connect(alice_cookie, conversation.pk)
    await ws.send_json_to(form("And this?", attachment=image.key))
    await frames_until(ws, is_done)
    await ws.disconnect()
    content = last_user_content(recorded(upstream_is_simulator)[-1])
    assert content[1] == {"type": "image_url", "image_url": {"url": data_url("image/png", PNG)}}


async def test_later_turns_send_the_earlier_prompts_images_again(
    alice, alice_cookie, conversation, upstream_is_simulator
):
    image = await uploaded(alice)
    ws = await connect(alice_cookie, conversation.pk)
    await ws.send_json_to(form("Describe it", attachment=image.key))
    await frames_until(ws, is_done)
    await ws.send_json_to(form("And its colour?"))
    await frames_until(ws, is_done)
    await ws.disconnect()
    body = recorded(upstream_is_simulator)[-1]
    users = [m["content"] for m in body["messages"] if m["role"] == "user"]
    assert users[0][1]["image_url"]["url"] == data_url("image/png", PNG)
    assert users[1] == "And its colour?"


async def test_regenerate_run_again_and_edit_keep_the_prompts_images(
    alice, alice_cookie, conversation, upstream_is_simulator
):
    image = await uploaded(alice)
    ws = await connect(alice_cookie, conversation.pk)
    await ws.send_json_to(form("Describe it", attachment=image.key))
    await frames_until(ws, is_done)
    answer = await Message.objects.aget(conversation=conversation, role="assistant")
    prompt = await Message.objects.aget(conversation=conversation, role="user")
    await ws.send_json_to(form("", action=f"regenerate:{answer.pk}"))
    await frames_until(ws, is_done)
    await ws.send_json_to({"action": f"rerun:{answer.pk}"})
    await frames_until(ws, is_done)
    await ws.send_json_to(
        form("", action=f"edit:{prompt.pk}", **{f"edit-{prompt.pk}": "Describe it briefly"})
    )
    await frames_until(ws, is_done)
    await ws.disconnect()
    bodies = recorded(upstream_is_simulator)[-3:]
    expected = {"type": "image_url", "image_url": {"url": data_url("image/png", PNG)}}
    assert [last_user_content(body)[1] for body in bodies] == [expected] * 3
    assert last_user_content(bodies[-1])[0]["text"] == "Describe it briefly"
    edited = await Message.objects.filter(role="user").order_by("-pk").afirst()
    assert await edited.attachments.acount() == 1  # the new branch shows the image too


async def test_another_persons_image_is_refused_and_nothing_is_sent(
    alice_cookie, bob, conversation, upstream_is_simulator
):
    bobs = await uploaded(bob)
    ws = await connect(alice_cookie, conversation.pk)
    await ws.send_json_to(form("Whose is this?", attachment=bobs.key))
    frames = await frames_until(ws, is_error_shown)
    await ws.disconnect()
    # Beside the composer's images: "One of the attached images is no longer available…"
    shown = (
        f'<hx-partial hx-target="#error-attachments" hx-swap="innerHTML">{attachments.UNAVAILABLE}'
    )
    assert shown in "".join(frames)
    assert not await Message.objects.filter(conversation=conversation).aexists()
    await bobs.arefresh_from_db()
    assert bobs.message_id is None  # still Bob's, still pending
    assert recorded(upstream_is_simulator) == []


async def test_an_image_already_sent_cannot_be_sent_again_by_its_key(
    alice, alice_cookie, conversation, upstream_is_simulator
):
    image = await uploaded(alice)
    ws = await connect(alice_cookie, conversation.pk)
    await ws.send_json_to(form("Once", attachment=image.key))
    await frames_until(ws, is_done)
    await ws.send_json_to(form("Twice", attachment=image.key))
    frames = await frames_until(ws, is_error_shown)
    await ws.disconnect()
    await wait_generations()
    assert "no longer available" in "".join(frames)
    assert await Message.objects.filter(conversation=conversation, role="user").acount() == 1


async def test_more_images_than_the_limit_are_refused(
    alice, alice_cookie, conversation, settings, upstream_is_simulator
):
    settings.PLAYGROUND_IMAGES_PER_MESSAGE = 2
    keys = [(await uploaded(alice)).key for _ in range(3)]
    ws = await connect(alice_cookie, conversation.pk)
    await ws.send_json_to(form("Three pictures", attachment=keys))
    frames = await frames_until(ws, is_error_shown)
    await ws.disconnect()
    assert "at most 2 images; 3 are attached" in "".join(frames)
    assert not await Message.objects.filter(conversation=conversation).aexists()
    assert await Attachment.objects.filter(message__isnull=True).acount() == 3
