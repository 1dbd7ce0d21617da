"""Saving a conversation's setup as a prompt, or as a new version of one."""

from __future__ import annotations

import pytest

from chat.models import Conversation, PromptVersion, SavedPrompt
from tests.prompts.builders import ANSWER, FIRST, LAST, SETTINGS, SYSTEM, save

pytestmark = pytest.mark.django_db


def test_the_conversation_page_links_to_save_prompt(alice_client, conversation):
    html = alice_client.get(f"/c/{conversation.pk}/").content.decode()
    assert f'href="/c/{conversation.pk}/save-prompt/"' in html and ">Save prompt</a>" in html


def test_the_save_form_asks_for_name_tags_and_note(alice_client, conversation):
    html = alice_client.get(f"/c/{conversation.pk}/save-prompt/").content.decode()
    for label in (">Name</label>", ">Tags</label>", ">Note</label>"):
        assert label in html
    assert "Comma-separated" in html and "Optional" in html
    assert '<button type="submit" class="primary">Save prompt</button>' in html
    assert "Save as" not in html  # no prompt to add a version to yet
    assert "Explain {{topic}}." in html  # what will be saved


def test_saving_keeps_the_system_prompt_the_visible_path_and_every_parameter(
    alice_client, conversation
):
    prompt = save(alice_client, conversation, note="First try")
    assert prompt.name == "Tutor" and prompt.tags == "teaching, science"
    version = prompt.versions.get()
    assert version.number == 1 and version.note == "First try"
    assert version.system_prompt == SYSTEM
    assert version.messages == [
        {"role": "user", "content": FIRST},
        {"role": "assistant", "content": ANSWER},
        {"role": "user", "content": LAST},
    ]
    assert version.settings == SETTINGS  # tools and response format included


def test_saving_again_to_the_same_prompt_makes_the_next_version(alice_client, conversation, prompt):
    conversation.system_prompt = "You are terse."
    conversation.save()
    html = alice_client.get(f"/c/{conversation.pk}/save-prompt/").content.decode()
    assert "Save as" in html and "A new version of “Tutor”" in html
    again = save(alice_client, conversation, target=prompt.pk, name="", tags="", note="Terse")
    assert again == prompt
    assert list(prompt.versions.order_by("number").values_list("number", "note")) == [
        (1, "First try"),
        (2, "Terse"),
    ]
    assert prompt.versions.get(number=2).system_prompt == "You are terse."
    prompt.refresh_from_db()
    assert prompt.name == "Tutor" and prompt.tags == "teaching, science"
    third = save(alice_client, conversation, target=prompt.pk)
    assert third.versions.order_by("-number").first().number == 3


def test_a_new_prompt_needs_a_name_and_nothing_is_saved_without_one(alice_client, conversation):
    response = alice_client.post(f"/c/{conversation.pk}/save-prompt/", {"name": "  ", "note": "x"})
    assert response.status_code == 400
    assert "Give the new prompt a name." in response.content.decode()
    assert SavedPrompt.objects.count() == 0 and PromptVersion.objects.count() == 0


def test_tags_are_tidied_and_a_conversation_without_messages_can_be_saved(alice_client, alice):
    empty = Conversation.objects.create(owner=alice, system_prompt="Only a system prompt.")
    prompt = save(alice_client, empty, tags=" Work,, code  review , work,Fun ")
    assert prompt.tags == "Work, code review, Fun"
    version = prompt.versions.get()
    assert version.messages == [] and version.system_prompt == "Only a system prompt."
    assert version.settings["model"] == "kimi-k2-thinking"  # the panel's defaults


def test_saving_to_someone_elses_prompt_is_404_and_changes_nothing(
    bob_client, bob, conversation, prompt
):
    bobs = Conversation.objects.create(owner=bob, system_prompt="Bob's")
    url = f"/c/{bobs.pk}/save-prompt/"
    response = bob_client.post(url, {"target": prompt.pk, "note": "mine"})
    assert response.status_code == 404
    assert prompt.versions.count() == 1 and SavedPrompt.objects.count() == 1
    assert "Tutor" not in bob_client.get(url).content.decode()
