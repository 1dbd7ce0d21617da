"""Prompts' images in exports (JSON with the data, Markdown with a note) and back in
through the import."""

from __future__ import annotations

import base64
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from chat.conversations import attachments
from chat.models import Attachment, Conversation, Message
from tests.images import PNG, image_bytes

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_root")]

JPEG = image_bytes("JPEG", size=(64, 64), noise=True)


@pytest.fixture
def conversation(alice):
    """Alice's conversation: a prompt with two images, and its answer."""
    conversation = Conversation.objects.create(owner=alice, title="Pictures")
    prompt = Message.objects.create(conversation=conversation, role="user", content="Compare")
    uploads = [
        attachments.store(alice, SimpleUploadedFile(name, data))
        for name, data in (("a.png", PNG), ("b.jpg", JPEG))
    ]
    attachments.attach(prompt, uploads)
    answer = Message.objects.create(
        conversation=conversation, parent=prompt, role="assistant", content="Alike."
    )
    conversation.current_leaf = answer
    conversation.save()
    return conversation


def _export(client, conversation) -> dict:
    response = client.get(reverse("chat-export-json", args=[conversation.pk]))
    return json.loads(response.content)


def test_the_json_export_holds_each_image_and_sends_it_as_a_data_url(alice_client, conversation):
    data = _export(alice_client, conversation)
    prompt = data["tree"][0]
    assert [image["name"] for image in prompt["images"]] == ["image-1.png", "image-2.jpg"]
    assert base64.b64decode(prompt["images"][0]["data"]) == PNG
    assert prompt["images"][1]["content_type"] == "image/jpeg"
    assert prompt["images"][1]["size"] == len(JPEG)
    assert data["messages"][0]["content"] == [
        {"type": "text", "text": "Compare"},
        {
            "type": "image_url",
            "image_url": {"url": "data:image/png;base64," + base64.b64encode(PNG).decode()},
        },
        {
            "type": "image_url",
            "image_url": {"url": "data:image/jpeg;base64," + base64.b64encode(JPEG).decode()},
        },
    ]
    assert "images" not in data["tree"][1]  # answers have none


def test_the_markdown_export_notes_each_image(alice_client, conversation):
    response = alice_client.get(reverse("chat-export-md", args=[conversation.pk]))
    text = response.content.decode()
    size = f"{len(JPEG) / 1024:.1f}".removesuffix(".0")
    assert f"[image: image-1.png, {len(PNG)} bytes]\n\n[image: image-2.jpg, {size} KB]" in text
    assert "base64" not in text


def test_an_export_with_images_imports_back_with_them(alice_client, alice, conversation):
    exported = json.dumps(_export(alice_client, conversation)).encode()
    response = alice_client.post(
        reverse("chat-import"), {"file": SimpleUploadedFile("c.json", exported)}
    )
    assert response.status_code == 302
    copy = Conversation.objects.exclude(pk=conversation.pk).get(owner=alice)
    images = list(Attachment.objects.filter(message__conversation=copy))
    assert [(i.content_type, i.position) for i in images] == [("image/png", 0), ("image/jpeg", 1)]
    assert attachments.read(images[0]) == PNG


def test_an_import_with_something_else_as_an_image_is_refused_whole(
    alice_client, alice, conversation
):
    data = _export(alice_client, conversation)
    data["tree"][0]["images"][0]["data"] = base64.b64encode(b"<svg onload=alert(1)>").decode()
    response = alice_client.post(
        reverse("chat-import"), {"file": SimpleUploadedFile("c.json", json.dumps(data).encode())}
    )
    assert response.status_code == 400
    assert "Message 1: &quot;image 1&quot; is not an image" in response.content.decode()
    assert Conversation.objects.filter(owner=alice).count() == 1


def _import(client, document: object):
    upload = SimpleUploadedFile("messages.json", json.dumps(document).encode())
    return client.post(reverse("chat-import"), {"file": upload})


def _images_of(conversation: Conversation) -> list[tuple[str, bytes]]:
    found = Attachment.objects.filter(message__conversation=conversation).order_by(
        "message_id", "position"
    )
    return [(image.content_type, attachments.read(image)) for image in found]


def test_a_plain_messages_array_with_data_urls_imports_its_images_and_exports_them_back(
    alice_client, alice, conversation, media_root
):
    # The export's own `messages` is such an array: the images go out and come back.
    messages = _export(alice_client, conversation)["messages"]
    assert _import(alice_client, messages).status_code == 302
    copy = Conversation.objects.exclude(pk=conversation.pk).get(owner=alice)
    assert _images_of(copy) == [("image/png", PNG), ("image/jpeg", JPEG)]
    files = {image.file.name for image in Attachment.objects.filter(message__conversation=copy)}
    assert all(name.startswith("attachments/") for name in files)  # names the server made
    assert all((media_root / name).is_file() for name in files)

    again = _export(alice_client, copy)
    assert again["messages"] == messages
    assert _import(alice_client, again).status_code == 302
    newest = Conversation.objects.filter(owner=alice).order_by("-pk").first()
    assert _images_of(newest) == [("image/png", PNG), ("image/jpeg", JPEG)]


def test_an_image_at_a_web_address_is_refused_and_nothing_is_fetched_or_saved(
    alice_client, alice, conversation
):
    part = {"type": "image_url", "image_url": {"url": "http://127.0.0.1:9/cat.png"}}
    response = _import(alice_client, [{"role": "user", "content": [part]}])
    assert response.status_code == 400
    assert "never fetches images" in response.content.decode()
    assert Conversation.objects.filter(owner=alice).count() == 1


def test_an_import_is_held_to_the_servers_image_limits(alice_client, alice, conversation, settings):
    settings.PLAYGROUND_IMAGES_PER_MESSAGE = 1
    response = _import(alice_client, _export(alice_client, conversation)["messages"])
    assert response.status_code == 400
    assert "Message 1: 2 images; a message can carry at most 1." in response.content.decode()
    settings.PLAYGROUND_IMAGES_PER_MESSAGE = 8
    settings.PLAYGROUND_IMAGE_MAX_BYTES = len(PNG)
    response = _import(alice_client, _export(alice_client, conversation)["messages"])
    assert response.status_code == 400
    assert "&quot;image 2&quot; is too large" in response.content.decode()
    assert Conversation.objects.filter(owner=alice).count() == 1
