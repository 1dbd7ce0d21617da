"""Attaching images: the composer's upload and the image itself, for who may see it."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from chat.models import Attachment, Message
from tests.images import PNG, SVG, image_bytes

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_root")]


def upload(client, conversation, data: bytes, name: str, content_type: str = "image/png"):
    url = reverse("chat-upload-image", args=[conversation.pk])
    return client.post(url, {"image": SimpleUploadedFile(name, data, content_type)})


def test_a_png_named_txt_is_accepted_and_stored_under_a_name_of_the_server(
    alice_client, alice, conversation, media_root
):
    response = upload(alice_client, conversation, PNG, "holiday notes.txt", "text/plain")
    assert response.status_code == 200
    attachment = Attachment.objects.get()
    assert (attachment.owner, attachment.message) == (alice, None)
    assert (attachment.content_type, attachment.size) == ("image/png", len(PNG))
    assert (attachment.width, attachment.height) == (3, 2)
    assert attachment.file.name == f"attachments/{attachment.key}.png"
    assert "holiday" not in attachment.file.name
    assert (media_root / attachment.file.name).read_bytes() == PNG
    page = response.content.decode()
    # The composer's thumbnail: the image, the key the next Send names, a remove button.
    assert f'<input type="hidden" name="attachment" value="{attachment.key}">' in page
    assert f'src="{reverse("chat-image", args=[attachment.key])}"' in page
    assert 'aria-label="Remove image holiday notes.txt"' in page


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"plain text, not a picture\n", "photo.png", '"photo.png" is not an image'),
        (SVG, "logo.svg", '"logo.svg" is not an image'),
        (PNG[:20], "broken.png", '"broken.png" is damaged'),
    ],
)
def test_what_is_not_an_image_is_refused_and_nothing_is_stored(
    alice_client, conversation, media_root, data, name, message
):
    response = upload(alice_client, conversation, data, name)
    assert response.status_code == 400
    assert response.content.decode().startswith(message)
    assert not Attachment.objects.exists()
    assert not any(media_root.rglob("*.*"))


def test_the_pages_script_gets_a_refusal_as_a_message_to_show(alice_client, conversation):
    # The page asks as htmx does: the message comes as a fragment, not as an error.
    url = reverse("chat-upload-image", args=[conversation.pk])
    text = SimpleUploadedFile("a.png", b"not a picture", "image/png")
    response = alice_client.post(url, {"image": text}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert response.content.decode().strip() == (
        "<p data-refused-attachment>&quot;a.png&quot; is not an image: "
        "attach PNG, JPEG, WebP or GIF files.</p>"
    )
    assert not Attachment.objects.exists()


def test_an_image_over_the_size_limit_is_refused_naming_the_limit(
    alice_client, conversation, settings
):
    settings.PLAYGROUND_IMAGE_MAX_BYTES = 1000
    big = image_bytes("PNG", size=(100, 100), noise=True)
    response = upload(alice_client, conversation, big, "big.png")
    assert response.status_code == 400
    assert "at most 1000 bytes each" in response.content.decode()
    assert not Attachment.objects.exists()


def test_uploads_go_only_to_ones_own_conversation(bob_client, conversation):
    # The conversation is Alice's: Bob gets a 404, someone signed out the sign-in page.
    assert upload(bob_client, conversation, PNG, "a.png").status_code == 404
    assert upload(Client(), conversation, PNG, "a.png").status_code == 302
    assert not Attachment.objects.exists()


def test_the_image_is_served_as_an_image_that_runs_nothing(alice_client, alice, conversation):
    upload(alice_client, conversation, PNG, "a.png")
    attachment = Attachment.objects.get()
    response = alice_client.get(reverse("chat-image", args=[attachment.key]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PNG
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"] == 'inline; filename="image-1.png"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"].startswith("default-src 'none'")


def test_another_person_asking_for_the_image_gets_a_404(alice_client, bob_client, conversation):
    upload(alice_client, conversation, PNG, "a.png")
    attachment = Attachment.objects.get()
    url = reverse("chat-image", args=[attachment.key])
    assert bob_client.get(url).status_code == 404  # pending: Alice's alone
    attachment.message = Message.objects.create(
        conversation=conversation, role=Message.Role.USER, content="Look"
    )
    attachment.save()
    assert alice_client.get(url).status_code == 200
    assert bob_client.get(url).status_code == 404  # sent: who sees the conversation
    assert Client().get(url).status_code == 302  # signed out: the sign-in page
    conversation.deleted_at = conversation.created_at
    conversation.save()
    assert alice_client.get(url).status_code == 404  # in the bin: gone with it
