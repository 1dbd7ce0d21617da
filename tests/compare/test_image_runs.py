"""Comparisons send images and tool turns: from a conversation, from the builder's own
uploads, every column's request carries them as the conversation's would."""

from __future__ import annotations

import re

import pytest
from asgiref.sync import sync_to_async
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import AsyncClient
from django.urls import reverse

from chat.conversations import attachments
from chat.models import Attachment, Comparison
from tests.compare.pictured import CALL, REASONING, RESULT, form_fields, pictured_conversation
from tests.compare.test_runs import wait_all_runs
from tests.images import PNG
from tests.sockets import recorded

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("upstream_is_simulator", "close_thread_connections", "media_root"),
]

DATA_URL = re.compile(r"^data:image/png;base64,[A-Za-z0-9+/=]+$")


@pytest.fixture
async def alice_async(alice) -> AsyncClient:
    """Alice's browser, in this test's event loop: what her Run starts runs here."""
    client = AsyncClient()
    await client.aforce_login(alice)
    return client


def _two_columns(fields: dict[str, list[str]]) -> dict[str, list[str]]:
    """The builder's fields with a second column, as "Add column" makes it."""
    column = {
        k.removeprefix("column-0-"): v for k, v in fields.items() if k.startswith("column-0-")
    }
    second = {f"column-1-{k}": v for k, v in column.items()}
    return {**fields, **second, "column-1-temperature": ["1.5"], "action": ["run"]}


async def _run(client: AsyncClient, data: dict) -> Comparison:
    response = await client.post(reverse("chat-compare-new"), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    pk = int(re.search(r"/compare/(\d+)/$", response["Location"]).group(1))
    await wait_all_runs()
    return await Comparison.objects.aget(pk=pk)


def _image_urls(message: dict) -> list[str]:
    content = message["content"]
    parts = content if isinstance(content, list) else []
    return [p["image_url"]["url"] for p in parts if p.get("type") == "image_url"]


async def test_a_comparison_from_a_conversation_sends_its_images_and_tool_turns(
    alice, alice_async, simulator_url
):
    conversation = await sync_to_async(pictured_conversation)(alice)
    page = await alice_async.get(reverse("chat-compare-new") + f"?conversation={conversation.pk}")
    html = page.content.decode()
    assert 'name="message-0-image"' in html and 'alt="Attached image 1"' in html
    assert 'name="message-1-tool_calls"' in html and "get_weather" in html
    assert 'name="message-2-tool_results"' in html and "Result for" in html

    comparison = await _run(alice_async, _two_columns(form_fields(html)))

    bodies = recorded(simulator_url)
    assert len(bodies) == 2
    for body in bodies:
        user, call, result, answer, follow = body["messages"]
        assert user["content"][0] == {"type": "text", "text": "What is this, and the weather?"}
        assert [DATA_URL.match(url) is not None for url in _image_urls(user)] == [True]
        assert call["tool_calls"] == [CALL] and call["reasoning_content"] == REASONING
        assert result == {"role": "tool", **RESULT}
        assert answer == {"role": "assistant", "content": "A square; 21 C."}
        assert follow == {"role": "user", "content": "And tomorrow?"}
    # The comparison keeps its own copy of the image, on its hidden conversation.
    key = comparison.messages[0]["images"][0]
    kept = await Attachment.objects.select_related("message").aget(key=key)
    assert kept.message.conversation_id == comparison.conversation_id
    assert comparison.messages[1]["tool_calls"] == [CALL]


async def test_images_attached_in_the_builder_go_with_the_prompt_to_every_column(
    alice_async, simulator_url
):
    upload = await alice_async.post(
        reverse("chat-compare-upload-image"),
        {"image": SimpleUploadedFile("notes.txt", PNG)},  # a PNG, whatever its name
        headers={"HX-Request": "true"},
    )
    key = re.search(r'name="image" value="([0-9a-f]{32})"', upload.content.decode()).group(1)
    fields = form_fields((await alice_async.get(reverse("chat-compare-new"))).content.decode())
    fields["message-0-content"] = ["Describe it"]
    comparison = await _run(alice_async, {**_two_columns(fields), "image": [key]})

    bodies = recorded(simulator_url)
    assert len(bodies) == 2
    assert all(len(_image_urls(body["messages"][-1])) == 1 for body in bodies)
    assert comparison.messages[-1]["images"] == [key]  # the upload itself, now on the run
    linked = await Attachment.objects.select_related("message").aget(key=key)
    assert linked.message.conversation_id == comparison.conversation_id


async def test_someone_elses_image_is_refused_and_nothing_runs(alice_async, bob, simulator_url):
    bobs = await sync_to_async(attachments.store)(bob, SimpleUploadedFile("b.png", PNG))
    fields = form_fields((await alice_async.get(reverse("chat-compare-new"))).content.decode())
    fields["message-0-content"] = ["Describe it"]
    response = await alice_async.post(
        reverse("chat-compare-new"), {**fields, "action": "run", "image": [bobs.key]}
    )
    assert response.status_code == 400
    assert attachments.UNAVAILABLE in response.content.decode()
    assert recorded(simulator_url) == []
    assert not await Comparison.objects.aexists()
