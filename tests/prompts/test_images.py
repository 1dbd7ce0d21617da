"""Images in saved prompts: kept with the version that was saved, shown on its pages
(the owner's and a share link's), sent again when the version runs, and nobody else's."""

from __future__ import annotations

import base64
import re

import httpx
import pytest
from asgiref.sync import sync_to_async
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from chat.conversations import attachments
from chat.models import Attachment, Conversation, Message, PromptShareLink, SavedPrompt
from tests.images import PNG, image_bytes
from tests.prompts.builders import save
from tests.sockets import recorded, wait_generations

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_root")]

GIF = image_bytes("GIF", size=(4, 4), color="blue")


def _attach(message: Message, *files: bytes) -> list[Attachment]:
    owner = message.conversation.owner
    uploads = [attachments.store(owner, SimpleUploadedFile("x.png", data)) for data in files]
    return attachments.attach(message, uploads)


def _data_url(content_type: str, data: bytes) -> str:
    return f"data:{content_type};base64,{base64.b64encode(data).decode()}"


@pytest.fixture
def pictured(alice) -> Conversation:
    """Alice's conversation about two pictures: a prompt with a PNG and a GIF, its
    answer, and a follow-up prompt with a PNG."""
    conversation = Conversation.objects.create(owner=alice, title="Pictures")
    first = Message.objects.create(conversation=conversation, role="user", content="What is it?")
    _attach(first, PNG, GIF)
    answer = Message.objects.create(
        conversation=conversation, parent=first, role="assistant", content="Two squares."
    )
    follow = Message.objects.create(
        conversation=conversation, parent=answer, role="user", content="And this one?"
    )
    _attach(follow, PNG)
    conversation.current_leaf = follow
    conversation.save()
    return conversation


def _version_images(prompt: SavedPrompt, number: int = 1) -> list[tuple[int, int, str]]:
    version = prompt.versions.get(number=number)
    return sorted((a.message_index, a.position, a.content_type) for a in version.attachments.all())


def test_saving_keeps_each_message_s_images_with_the_version(alice_client, pictured):
    preview = alice_client.get(f"/c/{pictured.pk}/save-prompt/").content.decode()
    assert preview.count('alt="Attached image 1"') == 2 and 'alt="Attached image 2"' in preview
    prompt = save(alice_client, pictured)
    assert _version_images(prompt) == [
        (0, 0, "image/png"),
        (0, 1, "image/gif"),
        (2, 0, "image/png"),
    ]
    kept = prompt.versions.get().attachments.all()
    originals = Attachment.objects.filter(message__conversation=pictured)
    assert {a.file.name for a in kept} == {a.file.name for a in originals}  # the files shared
    assert not {a.key for a in kept} & {a.key for a in originals}  # the keys new


def test_the_prompt_page_shows_the_images_and_serves_them_to_the_owner_only(
    alice_client, bob_client, pictured
):
    prompt = save(alice_client, pictured)
    page = alice_client.get(f"/prompts/{prompt.pk}/").content.decode()
    first = prompt.versions.get().attachments.first()
    url = reverse("chat-image", args=[first.key])
    assert f'<img src="{url}" alt="Attached image 1"' in page
    assert page.count("<img ") == 3
    response = alice_client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content) == PNG
    assert bob_client.get(url).status_code == 404


def test_the_version_s_images_outlive_the_conversation_they_were_saved_from(alice_client, pictured):
    prompt = save(alice_client, pictured)
    pictured.delete()
    image = prompt.versions.get().attachments.first()
    response = alice_client.get(reverse("chat-image", args=[image.key]))
    assert response.status_code == 200 and b"".join(response.streaming_content) == PNG


def test_restoring_and_duplicating_a_version_keep_its_images(alice_client, alice, pictured):
    prompt = save(alice_client, pictured)
    response = alice_client.post(f"/prompts/{prompt.pk}/restore/", {"version": "1"})
    assert response.status_code == 302
    assert _version_images(prompt, 2) == _version_images(prompt, 1)
    assert alice_client.post(f"/prompts/{prompt.pk}/duplicate/").status_code == 302
    copy = SavedPrompt.objects.exclude(pk=prompt.pk).get(owner=alice)
    assert _version_images(copy) == _version_images(prompt)


def test_a_version_s_image_cannot_be_sent_as_a_pending_upload(alice_client, alice, pictured):
    """Its key is seen on the prompt's page; it is no upload of the composer's."""
    prompt = save(alice_client, pictured)
    key = prompt.versions.get().attachments.first().key
    assert attachments.claim(alice, [key]) == ([], attachments.UNAVAILABLE)


def test_a_share_link_shows_the_version_s_images_to_anyone_and_nothing_more(
    alice_client, anonymous, pictured
):
    prompt = save(alice_client, pictured)
    assert alice_client.post(f"/prompts/{prompt.pk}/share/").status_code == 302
    link = PromptShareLink.objects.get(prompt=prompt)
    image = prompt.versions.get().attachments.first()
    url = reverse("chat-prompt-shared-image", args=[link.token, image.key])
    page = anonymous.get(f"/p/{link.token}/").content.decode()
    assert f'<img src="{url}?view=' in page
    response = anonymous.get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == PNG
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "no-referrer"
    # The conversation's own image, by its key through this link: not in the share.
    conversation_image = Attachment.objects.filter(message__conversation=pictured).first()
    other = reverse("chat-prompt-shared-image", args=[link.token, conversation_image.key])
    assert anonymous.get(other).status_code == 404
    assert alice_client.post(f"/prompt-shares/{link.token}/revoke/").status_code == 302
    assert anonymous.get(url).status_code == 404


def test_a_later_version_s_images_are_not_served_through_an_earlier_link(
    alice_client, anonymous, pictured
):
    prompt = save(alice_client, pictured)
    assert alice_client.post(f"/prompts/{prompt.pk}/share/").status_code == 302
    link = PromptShareLink.objects.get(prompt=prompt)
    alice_client.post(f"/prompts/{prompt.pk}/restore/", {"version": "1"})
    later = prompt.versions.get(number=2).attachments.first()
    url = reverse("chat-prompt-shared-image", args=[link.token, later.key])
    assert anonymous.get(url).status_code == 404


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("close_thread_connections")
async def test_a_run_sends_the_version_s_images_and_the_new_conversation_keeps_them(
    async_client, alice, pictured, settings, simulator_url
):
    settings.PLAYGROUND_API_BASE = simulator_url
    await sync_to_async(httpx.delete)(simulator_url.removesuffix("/v1") + "/_sim/requests")
    await async_client.aforce_login(alice)
    response = await async_client.post(
        f"/c/{pictured.pk}/save-prompt/", {"name": "Pictures", "tags": "", "note": ""}
    )
    assert response.status_code == 302
    prompt = await SavedPrompt.objects.aget(owner=alice)
    response = await async_client.post(f"/prompts/{prompt.pk}/run/", {})
    await wait_generations()
    run = await Conversation.objects.exclude(pk=pictured.pk).aget()
    assert response.status_code == 302 and response.url == f"/c/{run.pk}/"
    body = (await sync_to_async(recorded)(simulator_url))[-1]
    users = [m["content"] for m in body["messages"] if m["role"] == "user"]
    assert users == [
        [
            {"type": "text", "text": "What is it?"},
            {"type": "image_url", "image_url": {"url": _data_url("image/png", PNG)}},
            {"type": "image_url", "image_url": {"url": _data_url("image/gif", GIF)}},
        ],
        [
            {"type": "text", "text": "And this one?"},
            {"type": "image_url", "image_url": {"url": _data_url("image/png", PNG)}},
        ],
    ]
    kept = [
        (a.message.content, a.position, a.content_type)
        async for a in Attachment.objects.filter(message__conversation=run).select_related(
            "message"
        )
    ]
    assert sorted(kept) == [
        ("And this one?", 0, "image/png"),
        ("What is it?", 0, "image/png"),
        ("What is it?", 1, "image/gif"),
    ]
    # The version keeps its own: running it again sends them again.
    assert await Attachment.objects.filter(version__prompt=prompt).acount() == 3


def test_comparing_two_versions_names_an_image_added(alice_client, pictured):
    prompt = save(alice_client, pictured)
    last = pictured.current_leaf
    _attach(last, GIF)
    save(alice_client, pictured, target=prompt.pk)
    page = alice_client.get(f"/prompts/{prompt.pk}/?from=1&to=2").content.decode()
    rows = re.findall(r'<tr class="diff-(\w+)">\s*<td class="diff-old[^"]*">(.*?)</td>', page)
    assert not page.count("The system prompt and messages are the same")
    inserted = re.search(r'<tr class="diff-insert">.*?<td class="diff-new">(.*?)</td>', page, re.S)
    assert inserted and inserted.group(1).startswith("<ins>[image 2: image/gif, 4 x 4, ")
    assert [kind for kind, _ in rows].count("insert") == 1
