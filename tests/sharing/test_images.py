"""Images on share pages: shown to anyone holding the link, served through it, and
nothing more; a copy of the share keeps them."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from chat.conversations import attachments
from chat.models import Attachment, Conversation, Message, ShareLink
from tests.images import PNG, image_bytes

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_root")]


def _image_of(message: Message, data: bytes = PNG) -> Attachment:
    image = attachments.store(message.conversation.owner, SimpleUploadedFile("x.png", data))
    attachments.attach(message, [image])
    image.refresh_from_db()
    return image


@pytest.fixture
def conversation(alice):
    """Alice's conversation: a prompt with an image, and its answer."""
    conversation = Conversation.objects.create(owner=alice, title="A picture")
    prompt = Message.objects.create(conversation=conversation, role="user", content="What is it?")
    _image_of(prompt)
    answer = Message.objects.create(
        conversation=conversation, parent=prompt, role="assistant", content="A red square."
    )
    conversation.current_leaf = answer
    conversation.save()
    return conversation


@pytest.fixture
def link(alice_client, conversation) -> ShareLink:
    assert alice_client.post(reverse("chat-share", args=[conversation.pk])).status_code == 302
    return ShareLink.objects.get(conversation=conversation)


def test_an_image_is_visible_on_the_share_page_to_someone_signed_out(link, conversation, anonymous):
    image = Attachment.objects.get(message__conversation=conversation)
    page = anonymous.get(reverse("chat-shared", args=[link.token])).content.decode()
    url = reverse("chat-shared-image", args=[link.token, image.key])
    assert f'<img src="{url}?view=' in page
    response = anonymous.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PNG
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"] == 'inline; filename="image-1.png"'
    assert response["Referrer-Policy"] == "no-referrer"
    assert response["Cache-Control"] == "no-store"


def test_the_snapshot_names_its_images_by_key_only(link):
    (image,) = link.snapshot["steps"][0]["user"]["images"]
    assert set(image) == {"key", "content_type", "size", "width", "height"}
    assert (image["content_type"], image["size"]) == ("image/png", len(PNG))


def test_the_image_file_itself_stays_refused_to_others(link, conversation, anonymous, bob_client):
    image = Attachment.objects.get(message__conversation=conversation)
    direct = reverse("chat-image", args=[image.key])
    assert bob_client.get(direct).status_code == 404
    assert anonymous.get(direct).status_code == 302  # to sign in, and then a 404


def test_a_link_serves_only_the_images_its_snapshot_shows(alice, link, conversation, anonymous):
    # Another conversation of Alice's, and an image added after the share was taken.
    other = Conversation.objects.create(owner=alice)
    elsewhere = _image_of(Message.objects.create(conversation=other, role="user", content="x"))
    later = Message.objects.create(conversation=conversation, role="user", content="More")
    added = _image_of(later, image_bytes("GIF"))
    for image in (elsewhere, added):
        url = reverse("chat-shared-image", args=[link.token, image.key])
        assert anonymous.get(url).status_code == 404


def test_a_revoked_link_serves_no_image(alice_client, link, conversation, anonymous):
    image = Attachment.objects.get(message__conversation=conversation)
    alice_client.post(reverse("chat-share-revoke", args=[link.token]))
    url = reverse("chat-shared-image", args=[link.token, image.key])
    assert anonymous.get(url).status_code == 404


def test_continuing_a_share_copies_its_images_for_the_reader(link, conversation, bob, bob_client):
    response = bob_client.post(reverse("chat-shared-continue", args=[link.token]))
    assert response.status_code == 302
    copy = Conversation.objects.get(owner=bob)
    (image,) = Attachment.objects.filter(message__conversation=copy)
    original = Attachment.objects.get(message__conversation=conversation)
    assert image.key != original.key and image.owner == bob
    assert image.message.content == "What is it?"
    served = bob_client.get(reverse("chat-image", args=[image.key]))
    assert b"".join(served.streaming_content) == PNG


def test_a_fork_keeps_the_prompts_images(alice_client, alice, conversation):
    answer = conversation.current_leaf
    response = alice_client.post(reverse("chat-fork", args=[conversation.pk, answer.pk]))
    fork = Conversation.objects.get(forked_from=conversation)
    assert response.url == reverse("chat-conversation", args=[fork.pk])
    (image,) = Attachment.objects.filter(message__conversation=fork)
    page = alice_client.get(response.url).content.decode()
    assert f'src="{reverse("chat-image", args=[image.key])}" alt="Attached image 1"' in page
