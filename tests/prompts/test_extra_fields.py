"""A saved prompt keeps a conversation's extra request fields, and a run sends them."""

from __future__ import annotations

from html import unescape

import httpx
import pytest
from asgiref.sync import sync_to_async

from chat.models import Conversation, SavedPrompt
from tests.prompts.builders import SETTINGS, VALUES, add_version, save
from tests.sockets import recorded, wait_generations

EXTRA = {"reasoning": {"effort": "high"}}


@pytest.fixture
def conversation(conversation):
    """The variables conversation (tests/prompts/conftest.py), with extra request fields."""
    conversation.settings = {**SETTINGS, "extra_body": EXTRA}
    conversation.save()
    return conversation


@pytest.mark.django_db
def test_a_version_keeps_the_extra_fields_and_shows_them(alice_client, conversation):
    prompt = save(alice_client, conversation)
    assert prompt.versions.get().settings["extra_body"] == EXTRA
    page = unescape(alice_client.get(f"/prompts/{prompt.pk}/").content.decode())
    assert "Extra request fields" in page and '{"reasoning": {"effort": "high"}}' in page


@pytest.mark.django_db
def test_a_new_version_lists_changed_extra_fields(alice_client, conversation):
    prompt = save(alice_client, conversation)
    add_version(prompt, settings={**SETTINGS, "extra_body": {"reasoning": {"effort": "low"}}})
    page = unescape(alice_client.get(f"/prompts/{prompt.pk}/?from=1&to=2").content.decode())
    assert (
        '<th scope="row">Extra request fields</th><td><del>{"reasoning": {"effort": "high"}}'
        '</del></td><td><ins>{"reasoning": {"effort": "low"}}'
    ) in page


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("close_thread_connections")
async def test_a_run_sends_the_extra_fields(
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
    assert response.status_code == 302
    body = (await sync_to_async(recorded)(simulator_url))[-1]
    assert body["reasoning"] == {"effort": "high"} and body["temperature"] == 0.4
    run = await Conversation.objects.exclude(pk=conversation.pk).aget()
    assert run.settings["extra_body"] == EXTRA
