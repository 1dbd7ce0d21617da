"""Running a version with its {{variables}} filled in, as a new conversation."""

from __future__ import annotations

import re

import httpx
import pytest
from asgiref.sync import sync_to_async

from chat.models import Conversation, Message, SavedPrompt
from tests.prompts.builders import TOOLS, VALUES, add_version
from tests.sockets import recorded, wait_generations

pytestmark = pytest.mark.django_db


def test_the_run_form_asks_for_each_variable_prefilled_with_the_last_values(alice_client, prompt):
    prompt.last_values = {"tone": "cheerful", "unused": "x"}
    prompt.save()
    html = alice_client.get(f"/prompts/{prompt.pk}/run/").content.decode()
    labels = re.findall(r'<label for="(var-\d)" hx-ignore>([^<]*)</label>', html)
    assert [name for _, name in labels] == ["tone", "topic", "audience"]
    assert '<textarea id="var-1" name="var-tone" rows="2" >cheerful</textarea>' in html
    assert '<textarea id="var-2" name="var-topic" rows="2" ></textarea>' in html
    assert "literal" not in [name for _, name in labels]
    assert r"\{{</code> is sent as <code>{{</code>" in html  # the escape, explained
    assert ">Run</button>" in html


def test_missing_values_are_named_and_nothing_is_created(alice_client, prompt):
    before = (Conversation.objects.count(), Message.objects.count())
    response = alice_client.post(
        f"/prompts/{prompt.pk}/run/", {"var-tone": "calm", "var-topic": "  ", "version": "1"}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Give a value for topic, audience. Nothing was sent." in html
    assert 'name="var-tone" rows="2" >calm</textarea>' in html  # what was typed stays
    assert 'name="var-topic" rows="2" aria-invalid="true"' in html
    assert (Conversation.objects.count(), Message.objects.count()) == before
    prompt.refresh_from_db()
    assert prompt.last_values == {}


def test_a_run_ending_with_an_answer_opens_a_conversation_with_the_messages(
    alice_client, alice, prompt
):
    messages = [*prompt.versions.get().messages[:2]]  # ends with the assistant's answer
    add_version(prompt, messages=messages)
    before = Conversation.objects.count()
    response = alice_client.post(
        f"/prompts/{prompt.pk}/run/", {"var-tone": "dry", "var-topic": "x"}
    )
    conversation = Conversation.objects.latest("id")
    assert response.status_code == 302 and response.url == f"/c/{conversation.pk}/"
    assert Conversation.objects.count() == before + 1
    assert conversation.owner == alice and conversation.system_prompt == "You are a dry tutor."
    assert conversation.settings["temperature"] == 0.4 and conversation.settings["tools"] == TOOLS
    user, answer = conversation.messages.order_by("id")
    assert (user.role, user.content, user.parent) == ("user", "Explain x.", None)
    assert (answer.role, answer.content, answer.parent) == (
        "assistant",
        "Here is x in short.",
        user,
    )
    assert answer.status == "complete" and conversation.current_leaf == answer
    assert conversation.started_at is not None and conversation.title == "Explain x."
    prompt.refresh_from_db()
    assert prompt.last_values == {"tone": "dry", "topic": "x"}
    again = alice_client.get(f"/prompts/{prompt.pk}/run/").content.decode()
    assert 'name="var-tone" rows="2" >dry</textarea>' in again


def test_a_run_of_an_earlier_version_uses_that_version(alice_client, prompt):
    add_version(prompt, system_prompt="Version two.", messages=[])
    html = alice_client.get(f"/prompts/{prompt.pk}/run/?version=1").content.decode()
    assert 'name="version" value="1"' in html and 'name="var-audience"' in html
    latest = alice_client.get(f"/prompts/{prompt.pk}/run/").content.decode()
    assert "This prompt has no variables." in latest
    response = alice_client.post(f"/prompts/{prompt.pk}/run/", {"version": "2"})
    conversation = Conversation.objects.get(pk=int(response.url.split("/")[2]))
    assert conversation.system_prompt == "Version two." and conversation.messages.count() == 0
    assert alice_client.get(f"/prompts/{prompt.pk}/run/?version=7").status_code == 404


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("close_thread_connections")
async def test_a_run_sends_the_substituted_last_message_and_streams(
    async_client, alice, conversation, settings, simulator_url
):
    settings.PLAYGROUND_API_BASE = simulator_url
    await sync_to_async(httpx.delete)(simulator_url.removesuffix("/v1") + "/_sim/requests")
    await async_client.aforce_login(alice)
    response = await async_client.post(
        f"/c/{conversation.pk}/save-prompt/", {"name": "Tutor", "tags": "", "note": ""}
    )
    assert response.status_code == 302
    prompt = await SavedPrompt.objects.aget(owner=alice)
    response = await async_client.post(
        f"/prompts/{prompt.pk}/run/", {f"var-{k}": v for k, v in VALUES.items()}
    )
    await wait_generations()
    run = await Conversation.objects.exclude(pk=conversation.pk).aget()
    assert response.status_code == 302 and response.url == f"/c/{run.pk}/"
    sent_last = "Now for kids, and keep {{literal}} as it is."
    rows = [m async for m in run.messages.order_by("id")]
    assert [(m.role, m.content) for m in rows[:3]] == [
        ("user", "Explain tides."),
        ("assistant", "Here is tides in short."),
        ("user", sent_last),
    ]
    assert rows[3].role == "assistant" and rows[3].status == "complete" and rows[3].content
    assert [m.parent_id for m in rows] == [None, rows[0].pk, rows[1].pk, rows[2].pk]
    body = (await sync_to_async(recorded)(simulator_url))[-1]
    assert body["messages"] == [
        {"role": "system", "content": "You are a patient tutor."},
        {"role": "user", "content": "Explain tides."},
        {"role": "assistant", "content": "Here is tides in short."},
        {"role": "user", "content": sent_last},
    ]
    assert body["temperature"] == 0.4 and body["max_tokens"] == 64
    assert body["tools"] == TOOLS and body["response_format"] == {"type": "json_object"}
    await prompt.arefresh_from_db()
    assert prompt.last_values == VALUES
    page = (await async_client.get(f"/c/{run.pk}/")).content.decode()
    assert sent_last in page and "You are a patient tutor." in page
