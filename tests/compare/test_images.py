"""A comparison's images and tool turns once it has run: shown on its page and its share
page (to anyone with the link, and only its own images), exported (JSON with the data,
Markdown with a note), in "View code"; and where a builder starts from a saved prompt."""

from __future__ import annotations

import base64
import json
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from chat.compare import builders, form, runs
from chat.conversations import attachments
from chat.models import Attachment, Comparison, ComparisonRun, Message, PromptVersion, SavedPrompt
from chat.providers.upstreams import Provider
from tests.compare.pictured import CALL, REASONING, RESULT, pictured_conversation
from tests.images import PNG, SVG

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_root")]


@pytest.fixture(autouse=True)
def _simulator_models(settings, simulator_url):
    settings.PLAYGROUND_API_BASE = simulator_url  # the builder lists the upstream's models


@pytest.fixture
def pictured(alice):
    """Alice's comparison of two columns from her weather conversation (an image, a tool
    call and its result), run and answered."""
    conversation = pictured_conversation(alice)
    builder = builders.builder_from(alice, conversation=conversation)
    form.add_column(builder)
    comparison = runs.create(alice, builder, conversation)
    provider = Provider("Built-in simulator", "http://127.0.0.1:1/v1", is_simulator=True)
    runs._create_run(comparison, lambda column: provider)
    Message.objects.filter(status="queued").update(status="complete", content="Sunny.")
    comparison.refresh_from_db()
    return comparison


def _key(comparison: Comparison) -> str:
    return comparison.messages[0]["images"][0]


def test_the_page_shows_the_prompt_s_image_and_tool_turn(alice_client, pictured):
    html = alice_client.get(reverse("chat-compare", args=[pictured.pk])).content.decode()
    assert f'src="/images/{_key(pictured)}/"' in html or _key(pictured) in html
    assert 'alt="Attached image 1"' in html
    assert "get_weather" in html and "Result for" in html and REASONING in html
    image = alice_client.get(reverse("chat-image", args=[_key(pictured)]))
    assert image.status_code == 200 and image["Content-Type"] == "image/png"


def test_a_share_page_shows_the_image_to_anyone_with_the_link_and_nothing_else(
    alice_client, bob_client, alice, pictured
):
    alice_client.post(reverse("chat-compare-share", args=[pictured.pk]))
    link = pictured.share_links.get()
    html = Client().get(reverse("chat-compare-shared", args=[link.token])).content.decode()
    url = reverse("chat-compare-shared-image", args=[link.token, _key(pictured)])
    assert f'src="{url}?view=' in html  # with the page view's ticket
    assert "get_weather" in html and REASONING not in html  # shared without reasoning
    image = Client().get(url)
    assert image.status_code == 200
    assert image["Content-Type"] == "image/png"
    assert image["X-Content-Type-Options"] == "nosniff"
    assert image["Content-Disposition"] == 'inline; filename="image-1.png"'
    assert b"".join(image.streaming_content) == PNG
    # Another image of Alice's (her conversation's original) is not this link's to serve.
    original = Attachment.objects.get(message__conversation=pictured.source_conversation)
    other = reverse("chat-compare-shared-image", args=[link.token, original.key])
    assert Client().get(other).status_code == 404
    # Without the link, the image is Alice's alone.
    assert bob_client.get(reverse("chat-image", args=[_key(pictured)])).status_code == 404
    link.revoked_at = link.created_at
    link.save()
    assert Client().get(url).status_code == 404


def test_the_json_export_holds_the_image_data_and_the_tool_turns(alice_client, pictured):
    data = json.loads(alice_client.get(reverse("chat-compare-json", args=[pictured.pk])).content)
    prompt, call, results, *_ = data["messages"]
    (image,) = prompt["images"]
    assert base64.b64decode(image["data"]) == PNG
    assert image["name"] == "image-1.png" and image["content_type"] == "image/png"
    assert call["tool_calls"] == [CALL] and call["reasoning"] == REASONING
    assert results == {"role": "tool", "content": "", "tool_results": [RESULT]}


def test_the_markdown_export_writes_the_prompt_and_every_run(alice_client, pictured):
    response = alice_client.get(reverse("chat-compare-markdown", args=[pictured.pk]))
    assert response["Content-Type"] == "text/markdown; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="comparison-{pictured.pk}.md"'
    text = response.content.decode()
    assert "[image: image-1.png" in text  # an image is a note, never its data
    assert "Tool results" in text and "get_weather" in text and "call_weather_1" in text
    # Each run under its own heading (punctuation may be escaped, as any literal title).
    assert re.search(r"^# Column 1\\?, run 1$", text, re.M)
    assert re.search(r"^# Column 2\\?, run 1$", text, re.M)
    assert text.count("Sunny.") == 2
    assert "base64" not in text


def test_view_code_of_a_column_shows_the_image_part_and_the_tool_turns(alice_client, pictured):
    html = alice_client.get(reverse("chat-compare-code", args=[pictured.pk, 1])).content.decode()
    assert "image_url" in html and "data:image/png;base64," in html
    assert "tool_call_id" in html and "call_weather_1" in html and "reasoning_content" in html
    assert alice_client.get(reverse("chat-compare-code", args=[pictured.pk, 3])).status_code == 404


def test_view_code_shortens_a_big_image(alice_client, pictured, settings):
    big = base64.b64encode(b"x" * 30_000)
    key = _key(pictured)
    image = Attachment.objects.get(key=key)
    image.file.save("attachments/big.png", SimpleUploadedFile("big.png", big), save=True)
    html = alice_client.get(reverse("chat-compare-code", args=[pictured.pk, 2])).content.decode()
    assert "elided)" in html


def test_a_saved_prompt_starts_the_builder_with_its_images(alice_client, alice):
    prompt = SavedPrompt.objects.create(owner=alice, name="Pictures")
    version = PromptVersion.objects.create(
        prompt=prompt, number=1, messages=[{"role": "user", "content": "What is it?"}]
    )
    upload = attachments.store(alice, SimpleUploadedFile("x.png", PNG))
    kept = attachments.copy_to_version(upload, version, 0, 0)
    html = alice_client.get(reverse("chat-compare-new") + f"?prompt={prompt.pk}").content.decode()
    assert f'name="message-0-image" value="{kept.key}"' in html
    assert 'alt="Attached image 1"' in html


def test_the_builder_refuses_a_file_that_is_not_an_image(alice_client):
    for name, data in [("photo.png", b"just text"), ("icon.svg", SVG)]:
        response = alice_client.post(
            reverse("chat-compare-upload-image"), {"image": SimpleUploadedFile(name, data)}
        )
        assert response.status_code == 400
        assert "is not an image" in response.content.decode()
    assert not Attachment.objects.exists()


def test_the_upload_is_for_signed_in_people_only(client):
    response = client.post(
        reverse("chat-compare-upload-image"), {"image": SimpleUploadedFile("x.png", PNG)}
    )
    assert response.status_code == 302 and not Attachment.objects.exists()


def test_run_again_keeps_the_images_on_its_own_run(pictured):
    again = runs.copy(pictured)
    provider = Provider("Built-in simulator", "http://127.0.0.1:1/v1", is_simulator=True)
    runs._create_run(again, lambda column: provider)
    again.refresh_from_db()
    assert _key(again) != _key(pictured)
    image = Attachment.objects.get(key=_key(again))
    assert image.message.conversation_id == again.conversation_id
    assert ComparisonRun.objects.filter(comparison=again).count() == 2
