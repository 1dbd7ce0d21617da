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
